export { MemoryCluster, MEMORY_CSI_DRIVERS, type MemoryClusterOptions, type PodLocation } from "./memory-cluster.js";
export type { MemoryClusterPermissionRule } from "./permission-rules.js";
export type { ExecCall, ExecHandler, ExecMatch } from "./exec-handlers.js";
export type { PodPhase, PodState } from "./pod-status.js";
export { MemoryDisks } from "./memory-disks.js";
export { BlockImage, DISK_BLOCK_SIZE } from "./block-image.js";
export {
  MemorySnapshotProvider,
  MEMORY_SNAPSHOT_DRIVER,
  type MemorySnapshot,
  type MemorySnapshotProviderOptions,
} from "./memory-snapshot-provider.js";
