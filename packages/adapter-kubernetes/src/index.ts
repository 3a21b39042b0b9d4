export { KubernetesCluster, type KubernetesClusterOptions } from "./kubernetes-cluster.js";
export type { KubeConfigSource } from "./load-kube-config.js";
