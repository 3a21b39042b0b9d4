export * from "./memory-object-store.js";
export * from "./memory-secondary-store.js";
