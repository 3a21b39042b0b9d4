export * from "./blob/azure-blob-options.js";
export * from "./blob/azure-blob-object-store.js";
export * from "./blob/leasable-object-store.js";
export * from "./disk/arm-resource-id.js";
export * from "./disk/azure-disk-snapshot-provider.js";
export * from "./disk/page-blob-snapshot-reader.js";
export * from "./disk/restored-persistent-volume.js";
