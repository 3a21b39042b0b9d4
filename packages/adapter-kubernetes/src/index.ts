export { KubernetesCluster, type KubernetesClusterOptions } from "./kubernetes-cluster.js";
export type { KubeConfigSource } from "./load-kube-config.js";
export { CsiSnapshotProvider, type CsiSnapshotProviderOptions } from "./csi-snapshot-provider.js";
