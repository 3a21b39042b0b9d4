export * from "./blob/azure-blob-options.js";
export * from "./blob/azure-blob-object-store.js";
export * from "./blob/leasable-object-store.js";
