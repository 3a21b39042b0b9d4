import { parseApiVersion } from "../kube/types.js";
import type { PatchSchema, PatchStrategy } from "./patch-schema.js";

// Patch metadata of the built-in Kubernetes kinds, from the API's x-kubernetes-patch-strategy and
// x-kubernetes-patch-merge-key facts. Only fields that carry metadata (and the objects leading to
// them) are listed: every other map merges and every other list is replaced.

const object = (fields: Record<string, PatchSchema>): PatchSchema => ({ type: "object", fields });
const list = (items: PatchSchema | undefined, patchStrategy?: PatchStrategy, patchMergeKey?: string): PatchSchema => ({
  type: "list",
  ...(items === undefined ? {} : { items }),
  ...(patchStrategy === undefined ? {} : { patchStrategy }),
  ...(patchMergeKey === undefined ? {} : { patchMergeKey }),
});
const primitive: PatchSchema = { type: "primitive" };
const mergeBy = (key: string, items: PatchSchema = object({})): PatchSchema => list(items, "merge", key);

const objectMeta = object({
  finalizers: list(primitive, "merge"),
  ownerReferences: mergeBy("uid"),
});

const container = object({
  ports: mergeBy("containerPort"),
  env: mergeBy("name"),
  volumeMounts: mergeBy("mountPath"),
  volumeDevices: mergeBy("devicePath"),
});

const podSpec = object({
  volumes: list(object({}), "merge,retainKeys", "name"),
  initContainers: mergeBy("name", container),
  containers: mergeBy("name", container),
  ephemeralContainers: mergeBy("name", container),
  imagePullSecrets: mergeBy("name"),
  hostAliases: mergeBy("ip"),
  topologySpreadConstraints: mergeBy("topologyKey"),
  schedulingGates: mergeBy("name"),
  resourceClaims: list(object({}), "merge,retainKeys", "name"),
});

const conditionsByType = object({ conditions: mergeBy("type") });

const podTemplateSpec = object({ metadata: objectMeta, spec: podSpec });

const kind = (spec: PatchSchema | undefined, status: PatchSchema | undefined = undefined, extra: Record<string, PatchSchema> = {}): PatchSchema =>
  object({
    metadata: objectMeta,
    ...(spec === undefined ? {} : { spec }),
    ...(status === undefined ? {} : { status }),
    ...extra,
  });

const pod = kind(
  podSpec,
  object({
    conditions: mergeBy("type"),
    podIPs: mergeBy("ip"),
    hostIPs: mergeBy("ip"),
    resourceClaimStatuses: list(object({}), "merge,retainKeys", "name"),
  }),
);
const withTemplate = (extra: Record<string, PatchSchema> = {}): PatchSchema => object({ template: podTemplateSpec, ...extra });
const deployment = kind(withTemplate({ strategy: { type: "object", patchStrategy: "retainKeys" } }), conditionsByType);
const replicaSet = kind(withTemplate(), conditionsByType);
const job = kind(withTemplate(), conditionsByType);
const cronJob = kind(object({ jobTemplate: object({ metadata: objectMeta, spec: withTemplate() }) }));
const metadataOnly = kind(undefined);

/** Built-in kinds by `group/kind` ("" for the core group), with the versions that serve them. */
const BUILT_IN: ReadonlyArray<{ group: string; versions: readonly string[]; kinds: Readonly<Record<string, PatchSchema>> }> = [
  {
    group: "",
    versions: ["v1"],
    kinds: {
      Pod: pod,
      PodTemplate: kind(undefined, undefined, { template: podTemplateSpec }),
      ReplicationController: kind(withTemplate(), conditionsByType),
      Service: kind(object({ ports: mergeBy("port") }), conditionsByType),
      ServiceAccount: kind(undefined, undefined, { secrets: mergeBy("name") }),
      Namespace: kind(undefined, conditionsByType),
      PersistentVolumeClaim: kind(undefined, conditionsByType),
      Node: kind(object({ podCIDRs: list(primitive, "merge") }), object({ conditions: mergeBy("type"), addresses: mergeBy("type") })),
      ConfigMap: metadataOnly,
      Secret: metadataOnly,
      PersistentVolume: metadataOnly,
      Endpoints: metadataOnly,
      LimitRange: metadataOnly,
      ResourceQuota: metadataOnly,
      Event: metadataOnly,
    },
  },
  { group: "apps", versions: ["v1", "v1beta1", "v1beta2"], kinds: { Deployment: deployment, StatefulSet: replicaSet, DaemonSet: replicaSet, ReplicaSet: replicaSet } },
  { group: "extensions", versions: ["v1beta1"], kinds: { Deployment: deployment, DaemonSet: replicaSet, ReplicaSet: replicaSet } },
  { group: "batch", versions: ["v1", "v1beta1"], kinds: { Job: job, CronJob: cronJob } },
  { group: "policy", versions: ["v1", "v1beta1"], kinds: { PodDisruptionBudget: kind(undefined, conditionsByType) } },
  { group: "autoscaling", versions: ["v1", "v2"], kinds: { HorizontalPodAutoscaler: kind(undefined, conditionsByType) } },
  {
    group: "rbac.authorization.k8s.io",
    versions: ["v1"],
    kinds: { Role: metadataOnly, RoleBinding: metadataOnly, ClusterRole: metadataOnly, ClusterRoleBinding: metadataOnly },
  },
  { group: "networking.k8s.io", versions: ["v1"], kinds: { Ingress: metadataOnly, IngressClass: metadataOnly, NetworkPolicy: metadataOnly } },
  { group: "storage.k8s.io", versions: ["v1"], kinds: { StorageClass: metadataOnly, CSIDriver: metadataOnly, VolumeAttachment: metadataOnly } },
  { group: "scheduling.k8s.io", versions: ["v1"], kinds: { PriorityClass: metadataOnly } },
  { group: "coordination.k8s.io", versions: ["v1"], kinds: { Lease: metadataOnly } },
  { group: "discovery.k8s.io", versions: ["v1"], kinds: { EndpointSlice: metadataOnly } },
];

/**
 * The patch metadata of a built-in Kubernetes kind (Pod, the workload kinds with their pod
 * templates, Service, ServiceAccount, ...), for strategic merge patch.
 * @returns undefined for a kind or version it does not know, such as any custom resource.
 */
export function patchSchemaFor(apiVersion: string, kind: string): PatchSchema | undefined {
  const { group, version } = parseApiVersion(apiVersion);
  for (const entry of BUILT_IN) {
    if (entry.group !== group || !entry.versions.includes(version)) continue;
    return Object.prototype.hasOwnProperty.call(entry.kinds, kind) ? entry.kinds[kind] : undefined;
  }
  return undefined;
}
