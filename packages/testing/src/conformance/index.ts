export {};
export * from "./object-store.js";
export * from "./cluster-client.js";
export * from "./snapshot-provider.js";
