import { z } from "zod";
import {
  addSelectionIssues,
  isRecord,
  namespacedNameSchema,
  namespaceNameSchema,
  parseOrThrow,
  selectionShape,
  type NamespacedName,
} from "./selection-schema.js";
import { SYSTEM_NAMESPACES } from "./selection.js";

/** Whether a restore recreates volumes from their snapshots, as Azure names the choices. */
export const PERSISTENT_VOLUME_RESTORE_MODES = ["RestoreWithVolumeData", "RestoreWithoutVolumeData"] as const;
/** `RestoreWithVolumeData` (the default) or `RestoreWithoutVolumeData`. */
export type PersistentVolumeRestoreMode = (typeof PERSISTENT_VOLUME_RESTORE_MODES)[number];

/** What a restore does with an object that already exists in the target cluster. */
export const RESTORE_CONFLICT_POLICIES = ["Skip", "Patch"] as const;
/** `Skip` (the default: leave the existing object) or `Patch` (patch it to the backed up one). */
export type RestoreConflictPolicy = (typeof RESTORE_CONFLICT_POLICIES)[number];

/**
 * What to restore from a recovery point of the operational tier: Azure's
 * `KubernetesClusterRestoreCriteria`, with Azure's field names. The namespaces named in the
 * selection fields are those of the backup, before `namespaceMappings` applies.
 */
export interface KubernetesClusterRestoreCriteria {
  objectType: "KubernetesClusterRestoreCriteria";
  /** Restore cluster-scoped objects. Default true. */
  includeClusterScopeResources: boolean;
  /** Namespaces of the backup to restore; absent or empty: all. */
  includedNamespaces?: string[];
  /** Namespaces of the backup not to restore. */
  excludedNamespaces?: string[];
  /** Resource types to restore; absent or empty: all. */
  includedResourceTypes?: string[];
  /** Resource types not to restore. */
  excludedResourceTypes?: string[];
  /** Kubernetes label selector strings; an object is restored when it matches any one. */
  labelSelectors?: string[];
  /** Default `RestoreWithVolumeData`. */
  persistentVolumeRestoreMode: PersistentVolumeRestoreMode;
  /** Default `Skip`. */
  conflictPolicy: RestoreConflictPolicy;
  /** Source namespace (in the backup) → target namespace (in the cluster restored to). */
  namespaceMappings?: Record<string, string>;
  /** The `RestoreHook` custom resources to run after the restore. */
  restoreHookReferences?: NamespacedName[];
  /** The ConfigMap holding the resource modifier rules to apply to restored objects. */
  resourceModifierReference?: NamespacedName;
}

/** What to restore from a recovery point of the vault tier: Azure's `KubernetesClusterVaultTierRestoreCriteria`. */
export interface KubernetesClusterVaultTierRestoreCriteria extends Omit<KubernetesClusterRestoreCriteria, "objectType"> {
  objectType: "KubernetesClusterVaultTierRestoreCriteria";
  /** ARM id of the resource group where the vault tier's data is staged during the restore. */
  stagingResourceGroupId?: string;
  /** ARM id of the storage account where the vault tier's data is staged during the restore. */
  stagingStorageAccountId?: string;
}

/** Either kind of restore criteria, told apart by `objectType`. */
export type RestoreCriteria = KubernetesClusterRestoreCriteria | KubernetesClusterVaultTierRestoreCriteria;

/** The fields {@link parseRestoreCriteria} fills in with defaults when absent, and so optional in its input types (but the vault tier's `objectType`). */
export type DefaultedRestoreCriteriaField = "objectType" | "includeClusterScopeResources" | "persistentVolumeRestoreMode" | "conflictPolicy";

/** What {@link parseRestoreCriteria} accepts for the operational tier: defaulted fields optional. */
export type KubernetesClusterRestoreCriteriaInput = Omit<KubernetesClusterRestoreCriteria, DefaultedRestoreCriteriaField> &
  Partial<Pick<KubernetesClusterRestoreCriteria, DefaultedRestoreCriteriaField>>;

/** What {@link parseRestoreCriteria} accepts for the vault tier: `objectType` required, other defaulted fields optional. */
export type KubernetesClusterVaultTierRestoreCriteriaInput = Omit<KubernetesClusterVaultTierRestoreCriteria, DefaultedRestoreCriteriaField> &
  Partial<Pick<KubernetesClusterVaultTierRestoreCriteria, Exclude<DefaultedRestoreCriteriaField, "objectType">>> &
  Pick<KubernetesClusterVaultTierRestoreCriteria, "objectType">;

const OPERATIONAL = "KubernetesClusterRestoreCriteria";
const VAULT_TIER = "KubernetesClusterVaultTierRestoreCriteria";
const OBJECT_TYPE_ERROR = `must be "${OPERATIONAL}" or "${VAULT_TIER}"`;
const RESOURCE_GROUP_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+$/i;
const STORAGE_ACCOUNT_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Storage\/storageAccounts\/[a-z0-9]{3,24}$/i;

const restoreShape = {
  ...selectionShape,
  persistentVolumeRestoreMode: z.enum(PERSISTENT_VOLUME_RESTORE_MODES).default("RestoreWithVolumeData"),
  conflictPolicy: z.enum(RESTORE_CONFLICT_POLICIES).default("Skip"),
  namespaceMappings: z.record(namespaceNameSchema, namespaceNameSchema).optional(),
  restoreHookReferences: z.array(namespacedNameSchema).optional(),
  resourceModifierReference: namespacedNameSchema.optional(),
};

/** The zod schema of {@link KubernetesClusterRestoreCriteria}: strict, defaulted, cross-field faults included. */
export const restoreCriteriaSchema = z
  .strictObject({
    objectType: z.literal(OPERATIONAL, { error: OBJECT_TYPE_ERROR }).default(OPERATIONAL),
    ...restoreShape,
  })
  .superRefine(addRestoreIssues, { when: () => true }) satisfies z.ZodType<KubernetesClusterRestoreCriteria, KubernetesClusterRestoreCriteriaInput>;

/** The zod schema of {@link KubernetesClusterVaultTierRestoreCriteria}: strict, defaulted, cross-field faults included. */
export const vaultTierRestoreCriteriaSchema = z
  .strictObject({
    objectType: z.literal(VAULT_TIER, { error: OBJECT_TYPE_ERROR }),
    ...restoreShape,
    stagingResourceGroupId: z
      .string()
      .regex(RESOURCE_GROUP_ID, { error: "must be a resource group id: /subscriptions/<id>/resourceGroups/<name>" })
      .optional(),
    stagingStorageAccountId: z
      .string()
      .regex(STORAGE_ACCOUNT_ID, {
        error: "must be a storage account id: /subscriptions/<id>/resourceGroups/<name>/providers/Microsoft.Storage/storageAccounts/<name>",
      })
      .optional(),
  })
  .superRefine(addRestoreIssues, { when: () => true }) satisfies z.ZodType<
  KubernetesClusterVaultTierRestoreCriteria,
  KubernetesClusterVaultTierRestoreCriteriaInput
>;

/**
 * Validates restore criteria (Azure's JSON as it is) and returns them typed, with defaults:
 * `objectType: "KubernetesClusterRestoreCriteria"` when absent, `includeClusterScopeResources: true`,
 * `persistentVolumeRestoreMode: "RestoreWithVolumeData"`, `conflictPolicy: "Skip"`. An `objectType` of
 * `KubernetesClusterVaultTierRestoreCriteria` selects the vault tier's shape.
 * Throws ONE InvalidArgument listing every fault with its path under `field` (default
 * `restoreCriteria`): wrong types, unknown fields, invalid namespace names, label selectors or resource
 * type forms, a namespace or type both included and excluded, a system namespace included, two
 * namespaces mapped to the same target, a mapping into a system namespace.
 */
export function parseRestoreCriteria(input: unknown, field: string = "restoreCriteria"): RestoreCriteria {
  if (isRecord(input) && input.objectType === VAULT_TIER) return parseOrThrow(vaultTierRestoreCriteriaSchema, input, field);
  return parseOrThrow(restoreCriteriaSchema, input, field);
}

function addRestoreIssues(value: unknown, ctx: z.RefinementCtx): void {
  addSelectionIssues(value, ctx);
  if (!isRecord(value) || !isRecord(value.namespaceMappings)) return;
  const sourceOfTarget = new Map<string, string>();
  for (const [source, target] of Object.entries(value.namespaceMappings)) {
    if (typeof target !== "string") continue;
    const path = ["namespaceMappings", source];
    const earlier = sourceOfTarget.get(target);
    if (earlier !== undefined) {
      ctx.addIssue({ code: "custom", path, message: `maps to "${target}", as "${earlier}" does already: two namespaces cannot be restored into one` });
    } else {
      sourceOfTarget.set(target, source);
    }
    if (SYSTEM_NAMESPACES.includes(target)) {
      ctx.addIssue({ code: "custom", path, message: `maps to the system namespace "${target}", which is never restored to` });
    }
  }
}
