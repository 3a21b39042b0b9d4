import { z } from "zod";
import {
  addSelectionIssues,
  namespacedNameSchema,
  parseOrThrow,
  selectionShape,
  type NamespacedName,
} from "./selection-schema.js";

/** The volume types an AKS backup can snapshot, as Azure names them. */
export const AKS_VOLUME_TYPES = ["AzureDisk", "AzureFileShareSMB"] as const;

/** `AzureDisk` or `AzureFileShareSMB`. */
export type AksVolumeType = (typeof AKS_VOLUME_TYPES)[number];

/**
 * What to back up from an AKS cluster: Azure's `KubernetesClusterBackupDatasourceParameters`, with
 * Azure's field names. A list that is absent or empty does not restrict (all namespaces, all types).
 */
export interface KubernetesClusterBackupDatasourceParameters {
  objectType: "KubernetesClusterBackupDatasourceParameters";
  /** Snapshot the persistent volumes of the selected claims. Default true. */
  snapshotVolumes: boolean;
  /** Back up cluster-scoped objects (storage classes, CRDs, cluster roles, ...). Default true. */
  includeClusterScopeResources: boolean;
  /** Namespaces to back up; absent or empty: every namespace but the system ones. */
  includedNamespaces?: string[];
  /** Namespaces not to back up, whatever `includedNamespaces` says. */
  excludedNamespaces?: string[];
  /** Resource types to back up (`secrets`, `deployments.apps`, `v1/Secret`, `apps/v1/Deployment`, `Secret`, `cm`); absent or empty: all. */
  includedResourceTypes?: string[];
  /** Resource types not to back up, whatever `includedResourceTypes` says. */
  excludedResourceTypes?: string[];
  /** Kubernetes label selector strings; an object is backed up when it matches any one of them. Absent or empty: no label filter. */
  labelSelectors?: string[];
  /** The `BackupHook` custom resources to run around the backup. */
  backupHookReferences?: NamespacedName[];
  /** The volume types to snapshot; absent: every type the snapshot provider supports. */
  includedVolumeTypes?: AksVolumeType[];
}

/** What {@link parseBackupDatasourceParameters} accepts: the parameters, with defaulted fields optional. */
export type KubernetesClusterBackupDatasourceParametersInput = Omit<
  KubernetesClusterBackupDatasourceParameters,
  "objectType" | "snapshotVolumes" | "includeClusterScopeResources"
> &
  Partial<Pick<KubernetesClusterBackupDatasourceParameters, "objectType" | "snapshotVolumes" | "includeClusterScopeResources">>;

/**
 * The zod schema of {@link KubernetesClusterBackupDatasourceParameters}: strict (unknown fields are
 * faults), defaults filled in, every name and selector checked, cross-field faults reported along
 * with the others.
 */
export const backupDatasourceParametersSchema = z
  .strictObject({
    objectType: z.literal("KubernetesClusterBackupDatasourceParameters").default("KubernetesClusterBackupDatasourceParameters"),
    snapshotVolumes: z.boolean().default(true),
    ...selectionShape,
    backupHookReferences: z.array(namespacedNameSchema).optional(),
    includedVolumeTypes: z.array(z.enum(AKS_VOLUME_TYPES)).optional(),
  })
  .superRefine(addSelectionIssues, { when: () => true }) satisfies z.ZodType<
  KubernetesClusterBackupDatasourceParameters,
  KubernetesClusterBackupDatasourceParametersInput
>;

/**
 * Validates backup datasource parameters (Azure's JSON as it is) and returns them typed, with
 * defaults: `objectType`, `snapshotVolumes: true`, `includeClusterScopeResources: true`.
 * Throws ONE InvalidArgument listing every fault with its path under `field` (default
 * `datasourceParameters`), such as `datasourceParameters.labelSelectors[1]: ...`: wrong types,
 * unknown fields, invalid namespace names, label selectors or resource type forms, a namespace or
 * type both included and excluded, a system namespace included. Whether resource types exist is
 * checked against discovery by `resolveResourceTypes`.
 */
export function parseBackupDatasourceParameters(
  input: unknown,
  field: string = "datasourceParameters",
): KubernetesClusterBackupDatasourceParameters {
  return parseOrThrow(backupDatasourceParametersSchema, input, field);
}
