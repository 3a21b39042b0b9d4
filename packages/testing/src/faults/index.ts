export * from "./fault-plan.js";
export * from "./faulty-object-store.js";
export * from "./faulty-cluster.js";
