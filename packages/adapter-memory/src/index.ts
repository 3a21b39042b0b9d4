export * from "./cluster/index.js";
export * from "./object-store/index.js";
