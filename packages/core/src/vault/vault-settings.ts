import { z } from "zod";
import { KBackupError } from "../errors.js";
import { faultsError, type Fault } from "../selection/faults.js";

/** How a data store's copies are replicated, with Azure's names. */
export const STORAGE_REDUNDANCIES = ["LocallyRedundant", "ZoneRedundant", "GeoRedundant"] as const;
/** One of {@link STORAGE_REDUNDANCIES}. */
export type StorageRedundancy = (typeof STORAGE_REDUNDANCIES)[number];

/** Azure's `StorageSetting`: the redundancy of one of the vault's data stores. */
export interface StorageSetting {
  datastoreType: "OperationalStore" | "VaultStore";
  type: StorageRedundancy;
}

/** Azure's `SoftDeleteState`: `AlwaysOn` cannot be turned off again. */
export type SoftDeleteState = "Off" | "On" | "AlwaysOn";
/** Azure's `ImmutabilityState`: `Locked` cannot be undone. */
export type ImmutabilityState = "Disabled" | "Unlocked" | "Locked";
/** Azure's `CrossRegionRestoreState`. */
export type CrossRegionRestoreState = "Enabled" | "Disabled";
/** Azure's `CrossSubscriptionRestoreState`: `PermanentlyDisabled` cannot be undone. */
export type CrossSubscriptionRestoreState = "Enabled" | "Disabled" | "PermanentlyDisabled";

/** The shortest soft-delete retention, in days (Azure's bound). */
export const SOFT_DELETE_RETENTION_MIN_DAYS = 14;
/** The longest soft-delete retention, in days (Azure's bound). */
export const SOFT_DELETE_RETENTION_MAX_DAYS = 180;

/** Azure's `SecuritySettings` of a backup vault. */
export interface SecuritySettings {
  softDeleteSettings: { state: SoftDeleteState; retentionDurationInDays: number };
  immutabilitySettings: { state: ImmutabilityState };
}

/** Azure's `FeatureSettings` of a backup vault. */
export interface FeatureSettings {
  crossRegionRestoreSettings: { state: CrossRegionRestoreState };
  crossSubscriptionRestoreSettings: { state: CrossSubscriptionRestoreState };
}

/** Everything about a vault that its owner sets. */
export interface VaultSettings {
  storageSettings: StorageSetting[];
  securitySettings: SecuritySettings;
  featureSettings: FeatureSettings;
}

/** What `BackupVault.create` and `updateSettings` take: any part of {@link VaultSettings}; what is left out keeps its value. */
export interface VaultSettingsInput {
  storageSettings?: StorageSetting[];
  securitySettings?: {
    softDeleteSettings?: { state?: SoftDeleteState; retentionDurationInDays?: number };
    immutabilitySettings?: { state?: ImmutabilityState };
  };
  featureSettings?: {
    crossRegionRestoreSettings?: { state?: CrossRegionRestoreState };
    crossSubscriptionRestoreSettings?: { state?: CrossSubscriptionRestoreState };
  };
}

/**
 * The settings of a new vault where none are given: the vault store locally redundant, soft delete
 * on for 14 days, immutability disabled, cross-region restore disabled and cross-subscription restore
 * enabled (Azure's defaults for the security and feature settings).
 */
export function defaultVaultSettings(): VaultSettings {
  return {
    storageSettings: [{ datastoreType: "VaultStore", type: "LocallyRedundant" }],
    securitySettings: {
      softDeleteSettings: { state: "On", retentionDurationInDays: SOFT_DELETE_RETENTION_MIN_DAYS },
      immutabilitySettings: { state: "Disabled" },
    },
    featureSettings: {
      crossRegionRestoreSettings: { state: "Disabled" },
      crossSubscriptionRestoreSettings: { state: "Enabled" },
    },
  };
}

const inputSchema = z.looseObject({
  storageSettings: z
    .array(z.looseObject({ datastoreType: z.enum(["OperationalStore", "VaultStore"]), type: z.enum(STORAGE_REDUNDANCIES) }))
    .min(1)
    .optional(),
  securitySettings: z
    .looseObject({
      softDeleteSettings: z
        .looseObject({
          state: z.enum(["Off", "On", "AlwaysOn"]).optional(),
          retentionDurationInDays: z.number().int().min(SOFT_DELETE_RETENTION_MIN_DAYS).max(SOFT_DELETE_RETENTION_MAX_DAYS).optional(),
        })
        .optional(),
      immutabilitySettings: z.looseObject({ state: z.enum(["Disabled", "Unlocked", "Locked"]).optional() }).optional(),
    })
    .optional(),
  featureSettings: z
    .looseObject({
      crossRegionRestoreSettings: z.looseObject({ state: z.enum(["Enabled", "Disabled"]).optional() }).optional(),
      crossSubscriptionRestoreSettings: z.looseObject({ state: z.enum(["Enabled", "Disabled", "PermanentlyDisabled"]).optional() }).optional(),
    })
    .optional(),
});

/**
 * Applies `input` on top of `base` (the defaults for a new vault) and checks the result: the shapes
 * and names above, soft-delete retention 14 to 180 whole days, each datastore type named once in
 * `storageSettings`, and cross-region restore only with a geo-redundant vault store.
 * @throws InvalidArgument listing every fault with its path.
 */
export function resolveVaultSettings(input: unknown, base: VaultSettings = defaultVaultSettings()): VaultSettings {
  const parsed = inputSchema.safeParse(input ?? {});
  if (!parsed.success) {
    throw faultsError("settings", parsed.error.issues.map((issue) => ({ field: issue.path.map(String).join(".") || "settings", message: issue.message })));
  }
  const given = parsed.data;
  const security = given.securitySettings;
  const features = given.featureSettings;
  const settings: VaultSettings = {
    storageSettings: (given.storageSettings ?? base.storageSettings).map((setting) => ({ datastoreType: setting.datastoreType, type: setting.type })),
    securitySettings: {
      softDeleteSettings: {
        state: security?.softDeleteSettings?.state ?? base.securitySettings.softDeleteSettings.state,
        retentionDurationInDays: security?.softDeleteSettings?.retentionDurationInDays ?? base.securitySettings.softDeleteSettings.retentionDurationInDays,
      },
      immutabilitySettings: { state: security?.immutabilitySettings?.state ?? base.securitySettings.immutabilitySettings.state },
    },
    featureSettings: {
      crossRegionRestoreSettings: { state: features?.crossRegionRestoreSettings?.state ?? base.featureSettings.crossRegionRestoreSettings.state },
      crossSubscriptionRestoreSettings: { state: features?.crossSubscriptionRestoreSettings?.state ?? base.featureSettings.crossSubscriptionRestoreSettings.state },
    },
  };
  const faults: Fault[] = [];
  const seen = new Set<string>();
  settings.storageSettings.forEach((setting, i) => {
    if (seen.has(setting.datastoreType)) faults.push({ field: `storageSettings[${i}].datastoreType`, message: `${setting.datastoreType} is named more than once` });
    seen.add(setting.datastoreType);
  });
  const vaultRedundancy = settings.storageSettings.find((setting) => setting.datastoreType === "VaultStore")?.type;
  if (settings.featureSettings.crossRegionRestoreSettings.state === "Enabled" && vaultRedundancy !== "GeoRedundant") {
    faults.push({ field: "featureSettings.crossRegionRestoreSettings.state", message: "cross-region restore needs a GeoRedundant VaultStore storage setting" });
  }
  if (faults.length > 0) throw faultsError("settings", faults);
  return settings;
}

function denied(field: string, message: string): KBackupError {
  return new KBackupError("PermissionDenied", `${field}: ${message}`, { field });
}

/**
 * Checks that a vault may go from `current` to `next` settings.
 * @throws PermissionDenied when soft delete would leave `AlwaysOn`, immutability would leave `Locked`,
 *   cross-region restore would be disabled once enabled, or cross-subscription restore would leave
 *   `PermanentlyDisabled`; Conflict when the storage settings change while the vault protects instances.
 */
export function checkSettingsChange(current: VaultSettings, next: VaultSettings, hasInstances: boolean): void {
  const soft = current.securitySettings.softDeleteSettings.state;
  if (soft === "AlwaysOn" && next.securitySettings.softDeleteSettings.state !== "AlwaysOn") {
    throw denied("securitySettings.softDeleteSettings.state", "soft delete is AlwaysOn and cannot be turned off");
  }
  if (current.securitySettings.immutabilitySettings.state === "Locked" && next.securitySettings.immutabilitySettings.state !== "Locked") {
    throw denied("securitySettings.immutabilitySettings.state", "immutability is Locked and cannot be undone");
  }
  if (current.featureSettings.crossRegionRestoreSettings.state === "Enabled" && next.featureSettings.crossRegionRestoreSettings.state !== "Enabled") {
    throw denied("featureSettings.crossRegionRestoreSettings.state", "cross-region restore cannot be disabled once enabled");
  }
  if (current.featureSettings.crossSubscriptionRestoreSettings.state === "PermanentlyDisabled" && next.featureSettings.crossSubscriptionRestoreSettings.state !== "PermanentlyDisabled") {
    throw denied("featureSettings.crossSubscriptionRestoreSettings.state", "cross-subscription restore is PermanentlyDisabled");
  }
  if (hasInstances && JSON.stringify(current.storageSettings) !== JSON.stringify(next.storageSettings)) {
    throw new KBackupError("Conflict", "storageSettings: the storage redundancy cannot change while the vault protects backup instances.", { field: "storageSettings" });
  }
}

/** True when the vault's immutability protects vault-store copies until their expiry. */
export function isImmutable(settings: VaultSettings): boolean {
  return settings.securitySettings.immutabilitySettings.state !== "Disabled";
}

/** The soft-delete retention in milliseconds, or undefined when soft delete is off. */
export function softDeleteRetentionInMs(settings: VaultSettings): number | undefined {
  const soft = settings.securitySettings.softDeleteSettings;
  return soft.state === "Off" ? undefined : soft.retentionDurationInDays * 24 * 60 * 60 * 1000;
}
