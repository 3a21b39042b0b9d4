import { KBackupError } from "../errors.js";
import type { ObjectStore } from "../ports/object-store.js";
import type { OperationOptions } from "../ports/options.js";
import type { SnapshotProvider } from "../ports/snapshot-provider.js";
import { recoveryPointKeys } from "../recovery-point/layout.js";
import type { RecoveryPointManifest } from "../recovery-point/manifest.js";
import { readManifest } from "../recovery-point/recovery-point-store.js";
import type { VaultDataStore } from "../vault/catalogue-records.js";
import type { InstanceHandle } from "../vault/instance-handle.js";
import type { VaultCopier, VaultCopy } from "../vault/vault-copier.js";
import { verifyStoredRecoveryPoint, type RecoveryPointVerifyReport, type VerifyRecoveryPointOptions } from "./archive-verification.js";
import type { RestoreRoute } from "./restore-route.js";
import { checkStaging, withStagedCopy, type StagingRequest } from "./staged-restore.js";

/** What a restore reads: the archive's place and the provider that makes the volumes. */
export interface RestoreData {
  store: ObjectStore;
  archiveKey: string;
  snapshotProvider: SnapshotProvider | undefined;
}

/** How the restore wants its data: the target's provider, and the staging resources for a copy that needs them. */
export interface RestoreDataRequest extends Omit<StagingRequest, "snapshotProvider"> {
  /** Makes volumes from snapshots in the target (a copy read in place). */
  targetSnapshotProvider: SnapshotProvider | undefined;
  /** Stages a vault copy's volumes; the target provider when absent and able to. */
  stagingSnapshotProvider: SnapshotProvider | undefined;
}

/** One copy of a recovery point, opened for verification and restore. */
export interface RestoreSource {
  readonly dataStore: VaultDataStore;
  /** True when read from the vault store's secondary (a cross-region restore). */
  readonly secondary: boolean;
  readonly manifest: RecoveryPointManifest;
  /** Re-reads and checks the copy. Integrity naming the object (`details.key`) when it is damaged. */
  verify(options?: VerifyRecoveryPointOptions): Promise<RecoveryPointVerifyReport>;
  /** Checks `request` before any work: InvalidArgument for a staging provider that cannot stage this copy. */
  check(request: RestoreDataRequest): void;
  /**
   * Runs `work` on the copy's data, in place or staged (see `withStagedCopy`); `warnings` say what
   * staging could not clean up.
   */
  use<T>(request: RestoreDataRequest, work: (data: RestoreData) => Promise<T>): Promise<{ value: T; warnings: string[] }>;
}

function stagingProviderOf(request: RestoreDataRequest): SnapshotProvider | undefined {
  if (request.stagingSnapshotProvider) return request.stagingSnapshotProvider;
  const target = request.targetSnapshotProvider;
  return target && typeof target.createSnapshotFromData === "function" ? target : undefined;
}

function copier(handle: InstanceHandle, secondary: boolean): VaultCopier {
  const primary = handle.vault.copier;
  if (!secondary) return primary;
  if (typeof primary.secondary !== "function") {
    throw new KBackupError("Unsupported", "The vault's copier cannot read the vault store's secondary region, so it cannot restore to another region.", { field: "targetCluster" });
  }
  return primary.secondary();
}

function vaultSource(copy: VaultCopy, secondary: boolean): RestoreSource {
  const inPlace = copy.inPlace;
  return {
    dataStore: "VaultStore",
    secondary,
    manifest: copy.manifest,
    verify: (options) => copy.verify(options),
    check: (request) => {
      if (!inPlace) checkStaging(copy, { ...request, snapshotProvider: stagingProviderOf(request) });
    },
    use: async (request, work) => {
      if (inPlace) return { value: await work({ ...inPlace, snapshotProvider: request.targetSnapshotProvider }), warnings: [] };
      const outcome = await withStagedCopy(copy, { ...request, snapshotProvider: stagingProviderOf(request) }, work);
      return { value: outcome.value, warnings: outcome.cleanupWarnings };
    },
  };
}

/**
 * Opens the copy of a recovery point that `route` names (see `planRestoreRoute`): the operational
 * one while it exists unless told otherwise, else the vault store's, from its secondary for a
 * cross-region restore.
 * @throws NotFound when there is no such point or copy (a copy not yet replicated to the secondary is
 *   one); Integrity when a vault copy is damaged; Unsupported when the secondary cannot be read.
 */
export async function openRestoreSource(handle: InstanceHandle, recoveryPointId: string, route: RestoreRoute, options: OperationOptions = {}): Promise<RestoreSource> {
  const record = await handle.read(options.abortSignal);
  const point = record.recoveryPoints.find((candidate) => candidate.recoveryPointId === recoveryPointId);
  const useVault = point !== undefined && (route.dataStore === "VaultStore" || (route.dataStore === undefined && !point.dataStores.OperationalStore && point.dataStores.VaultStore !== undefined));
  if (useVault) {
    const copy = await copier(handle, route.secondary).read(handle.name, recoveryPointId, options);
    if (!copy) {
      const where = route.secondary ? "on the vault store's secondary yet (geo-replication lags the primary)" : "";
      throw new KBackupError("NotFound", `Recovery point ${recoveryPointId} has no vault-store copy${where ? ` ${where}` : ""}.`, { field: "recoveryPointId" });
    }
    return vaultSource(copy, route.secondary);
  }
  if (point && route.dataStore === "OperationalStore" && !point.dataStores.OperationalStore) {
    throw new KBackupError("NotFound", `Recovery point ${recoveryPointId} has no operational copy.`, { field: "recoveryPointId" });
  }
  const store = handle.requireOperationalStore();
  const manifest = await readManifest(store, record.storePrefix, recoveryPointId, options.abortSignal);
  const archiveKey = recoveryPointKeys(record.storePrefix, recoveryPointId).archive;
  return {
    dataStore: "OperationalStore",
    secondary: false,
    manifest,
    verify: (verifyOptions) => verifyStoredRecoveryPoint(store, record.storePrefix, recoveryPointId, "OperationalStore", verifyOptions),
    check: () => undefined,
    use: async (request, work) => ({ value: await work({ store, archiveKey, snapshotProvider: request.targetSnapshotProvider }), warnings: [] }),
  };
}
