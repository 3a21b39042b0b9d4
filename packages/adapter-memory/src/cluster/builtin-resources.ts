import type { ApiResource } from "@kbackup/core";

const ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

function resource(
  group: string,
  version: string,
  name: string,
  kind: string,
  namespaced: boolean,
  extra: { shortNames?: string[]; subresources?: string[]; verbs?: string[] } = {},
): ApiResource {
  return {
    group,
    version,
    resource: name,
    kind,
    namespaced,
    verbs: extra.verbs ?? ALL_VERBS,
    ...(extra.subresources === undefined ? {} : { subresources: extra.subresources }),
    ...(extra.shortNames === undefined ? {} : { shortNames: extra.shortNames }),
  };
}

/**
 * The resource types every memory cluster serves, as an AKS cluster's discovery shows them at
 * each group's preferred version (kinds, scopes, verbs, short names and subresources). The
 * VolumeSnapshot types are CRDs on a real cluster; AKS installs them, so they are built in here.
 */
export const BUILTIN_RESOURCES: readonly ApiResource[] = [
  resource("", "v1", "namespaces", "Namespace", false, {
    shortNames: ["ns"],
    subresources: ["finalize", "status"],
    verbs: ["create", "delete", "get", "list", "patch", "update", "watch"],
  }),
  resource("", "v1", "pods", "Pod", true, {
    shortNames: ["po"],
    subresources: ["attach", "binding", "ephemeralcontainers", "eviction", "exec", "log", "portforward", "proxy", "resize", "status"],
  }),
  resource("", "v1", "services", "Service", true, { shortNames: ["svc"], subresources: ["proxy", "status"] }),
  resource("", "v1", "endpoints", "Endpoints", true, { shortNames: ["ep"] }),
  resource("", "v1", "configmaps", "ConfigMap", true, { shortNames: ["cm"] }),
  resource("", "v1", "secrets", "Secret", true),
  resource("", "v1", "serviceaccounts", "ServiceAccount", true, { shortNames: ["sa"], subresources: ["token"] }),
  resource("", "v1", "persistentvolumes", "PersistentVolume", false, { shortNames: ["pv"], subresources: ["status"] }),
  resource("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", true, { shortNames: ["pvc"], subresources: ["status"] }),
  resource("", "v1", "limitranges", "LimitRange", true, { shortNames: ["limits"] }),
  resource("", "v1", "resourcequotas", "ResourceQuota", true, { shortNames: ["quota"], subresources: ["status"] }),
  resource("", "v1", "replicationcontrollers", "ReplicationController", true, { shortNames: ["rc"], subresources: ["scale", "status"] }),
  resource("", "v1", "events", "Event", true, { shortNames: ["ev"] }),
  resource("apps", "v1", "deployments", "Deployment", true, { shortNames: ["deploy"], subresources: ["scale", "status"] }),
  resource("apps", "v1", "statefulsets", "StatefulSet", true, { shortNames: ["sts"], subresources: ["scale", "status"] }),
  resource("apps", "v1", "daemonsets", "DaemonSet", true, { shortNames: ["ds"], subresources: ["status"] }),
  resource("apps", "v1", "replicasets", "ReplicaSet", true, { shortNames: ["rs"], subresources: ["scale", "status"] }),
  resource("apps", "v1", "controllerrevisions", "ControllerRevision", true),
  resource("batch", "v1", "jobs", "Job", true, { subresources: ["status"] }),
  resource("batch", "v1", "cronjobs", "CronJob", true, { shortNames: ["cj"], subresources: ["status"] }),
  resource("rbac.authorization.k8s.io", "v1", "roles", "Role", true),
  resource("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", true),
  resource("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", false),
  resource("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", false),
  resource("storage.k8s.io", "v1", "storageclasses", "StorageClass", false, { shortNames: ["sc"] }),
  resource("storage.k8s.io", "v1", "csidrivers", "CSIDriver", false),
  resource("storage.k8s.io", "v1", "volumeattachments", "VolumeAttachment", false, { subresources: ["status"] }),
  resource("networking.k8s.io", "v1", "ingresses", "Ingress", true, { shortNames: ["ing"], subresources: ["status"] }),
  resource("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", true, { shortNames: ["netpol"] }),
  resource("networking.k8s.io", "v1", "ingressclasses", "IngressClass", false),
  resource("", "v1", "nodes", "Node", false, { shortNames: ["no"], subresources: ["proxy", "status"] }),
  resource("autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", true, { shortNames: ["hpa"], subresources: ["status"] }),
  resource("coordination.k8s.io", "v1", "leases", "Lease", true),
  resource("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", true, { shortNames: ["pdb"], subresources: ["status"] }),
  resource("scheduling.k8s.io", "v1", "priorityclasses", "PriorityClass", false, { shortNames: ["pc"] }),
  resource("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", false, {
    shortNames: ["crd", "crds"],
    subresources: ["status"],
  }),
  resource("snapshot.storage.k8s.io", "v1", "volumesnapshots", "VolumeSnapshot", true, { shortNames: ["vs"], subresources: ["status"] }),
  resource("snapshot.storage.k8s.io", "v1", "volumesnapshotcontents", "VolumeSnapshotContent", false, {
    shortNames: ["vsc", "vscs"],
    subresources: ["status"],
  }),
  resource("snapshot.storage.k8s.io", "v1", "volumesnapshotclasses", "VolumeSnapshotClass", false, { shortNames: ["vsclass", "vsclasses"] }),
];
