import { createHash } from "node:crypto";
import { KBackupError, invalidArgument, isKBackupError } from "../errors.js";
import { silentLogger, type Logger } from "../ports/logger.js";
import type { ObjectStore } from "../ports/object-store.js";
import type { SnapshotProvider, VolumeSnapshotRecord } from "../ports/snapshot-provider.js";
import { ARCHIVE_FILE } from "../recovery-point/layout.js";
import { InProcessObjectStore } from "../vault/in-process-store.js";
import type { VaultCopy } from "../vault/vault-copier.js";

/** The folder of a staging store that staged restores write under. */
export const STAGING_FOLDER = "kbackup-staging/";

/** Where a restore from the vault tier stages the copy's data, and what names the staging resources. */
export interface StagingRequest {
  /** Where the archive is staged; an in-process store (memory of this process) when absent. */
  store?: ObjectStore;
  /**
   * Makes staged snapshots from the copy's volume bytes (`createSnapshotFromData`), then the target's
   * volumes from them (`createVolume`); needed when volumes are restored with their data.
   */
  snapshotProvider?: SnapshotProvider;
  /** Names this staging: its folder in the staging store and the tag of its snapshots (the restore job's id). */
  stagingId: string;
  /** The ARM ids the restore criteria name for the staging resources, kept with the staged objects and snapshots. */
  resourceGroupId?: string;
  storageAccountId?: string;
  /** True when volumes will be made from the copy's data (a restore with volume data, not a plan). */
  volumeData: boolean;
  logger?: Logger;
  abortSignal?: AbortSignal;
}

/** What a restore reads once the copy is staged. */
export interface StagedData {
  store: ObjectStore;
  archiveKey: string;
  /** Makes volumes from the copy's data, staging each volume when the restore first asks for it. */
  snapshotProvider: SnapshotProvider | undefined;
}

/** What staging left behind that could not be removed (none, normally). */
export interface StagingOutcome<T> {
  value: T;
  cleanupWarnings: string[];
}

/**
 * Checks a staging request before any work. InvalidArgument naming `stagingSnapshotProvider` when the
 * copy holds volume data to restore and the provider cannot stage it.
 */
export function checkStaging(copy: VaultCopy, request: StagingRequest): void {
  const needsProvider = request.volumeData && copy.info.holdsVolumeData === true && copy.manifest.volumeSnapshots.length > 0;
  const provider = request.snapshotProvider;
  if (needsProvider && provider !== undefined && typeof provider.createSnapshotFromData !== "function") {
    throw invalidArgument("stagingSnapshotProvider", `the snapshot provider ${provider.name} cannot make snapshots from data (createSnapshotFromData), so it cannot stage the vault copy's volumes`);
  }
}

/**
 * Hydrates a vault copy into staging resources, runs `work` on them, and removes them afterwards,
 * whether `work` succeeded or not: the archive is copied to the staging store (its sha256 checked
 * against the manifest), and each volume is staged as a snapshot of the staging provider when the
 * restore asks for it, then made into a volume by the same provider. What cannot be removed is
 * logged and returned as warnings; an error of `work` is rethrown after the clean-up.
 * @throws Integrity when the staged archive does not match its manifest, or when a volume's data
 *   was found damaged while staging it (the restore records that claim as failed, and the whole
 *   restore fails with this error once its other items are done); what `work` throws.
 */
export async function withStagedCopy<T>(copy: VaultCopy, request: StagingRequest, work: (data: StagedData) => Promise<T>): Promise<StagingOutcome<T>> {
  checkStaging(copy, request);
  const { abortSignal } = request;
  const logger = request.logger ?? silentLogger;
  const store = request.store ?? new InProcessObjectStore();
  const folder = `${STAGING_FOLDER}${request.stagingId}/`;
  const archiveKey = folder + ARCHIVE_FILE;
  const metadata: Record<string, string> = {
    kbackup_staging_id: request.stagingId,
    ...(request.resourceGroupId ? { staging_resource_group_id: request.resourceGroupId } : {}),
    ...(request.storageAccountId ? { staging_storage_account_id: request.storageAccountId } : {}),
  };
  const staged = new Map<string, Promise<VolumeSnapshotRecord>>();
  const damage: KBackupError[] = [];
  const provider = request.snapshotProvider;
  try {
    await stageArchive(copy, store, archiveKey, metadata, abortSignal);
    const stagingProvider = provider && wrapProvider(provider, copy, staged, damage, metadata, abortSignal);
    const value = await work({ store, archiveKey, snapshotProvider: stagingProvider });
    if (damage[0]) throw damage[0];
    return { value, cleanupWarnings: await cleanUp(store, folder, provider, staged, logger) };
  } catch (error) {
    await cleanUp(store, folder, provider, staged, logger);
    throw error;
  }
}

async function stageArchive(copy: VaultCopy, store: ObjectStore, key: string, metadata: Record<string, string>, abortSignal: AbortSignal | undefined): Promise<void> {
  const hash = createHash("sha256");
  const body = await copy.readArchive(abortSignal ? { abortSignal } : {});
  const hashed = (async function* () {
    for await (const chunk of body) {
      hash.update(chunk);
      yield chunk;
    }
  })();
  const info = await store.put(key, hashed, { contentType: "application/gzip", metadata, ...(abortSignal ? { abortSignal } : {}) });
  const digest = hash.digest("hex");
  if (info.size !== copy.manifest.archive.sizeInBytes || digest !== copy.manifest.archive.sha256) {
    throw new KBackupError("Integrity", `The staged archive of recovery point ${copy.manifest.recoveryPointId} does not match its manifest (${info.size} bytes, sha256 ${digest}).`, { details: { key } });
  }
}

/** The staging provider as the restore sees it: `createVolume` first stages the volume's bytes, once per volume. */
function wrapProvider(provider: SnapshotProvider, copy: VaultCopy, staged: Map<string, Promise<VolumeSnapshotRecord>>, damage: KBackupError[], metadata: Record<string, string>, abortSignal: AbortSignal | undefined): SnapshotProvider {
  const stage = (record: VolumeSnapshotRecord): Promise<VolumeSnapshotRecord> | undefined => {
    const known = staged.get(record.persistentVolumeName);
    if (known) return known;
    const reader = copy.openVolume(record.persistentVolumeName);
    if (!reader) return undefined;
    const create = provider.createSnapshotFromData as NonNullable<SnapshotProvider["createSnapshotFromData"]>;
    const made = (async () => {
      try {
        return await create.call(provider, reader, { source: record, tags: { ...metadata }, ...(abortSignal ? { abortSignal } : {}) });
      } catch (error) {
        if (isKBackupError(error, "Integrity")) damage.push(error);
        throw error;
      } finally {
        await reader.close();
      }
    })();
    staged.set(record.persistentVolumeName, made);
    return made;
  };
  return {
    name: provider.name,
    capabilities: provider.capabilities,
    canSnapshot: (...args) => provider.canSnapshot(...args),
    createSnapshot: (...args) => provider.createSnapshot(...args),
    deleteSnapshot: (...args) => provider.deleteSnapshot(...args),
    openSnapshot: (...args) => provider.openSnapshot(...args),
    createVolume: async (record, persistentVolume, options) => {
      const staging = stage(record);
      return provider.createVolume(staging ? await staging : record, persistentVolume, options);
    },
  };
}

async function cleanUp(store: ObjectStore, folder: string, provider: SnapshotProvider | undefined, staged: Map<string, Promise<VolumeSnapshotRecord>>, logger: Logger): Promise<string[]> {
  const warnings: string[] = [];
  // Clean-up runs after an abort too: it takes no abort signal.
  for (const outcome of await Promise.allSettled(staged.values())) {
    if (outcome.status !== "fulfilled" || !provider) continue;
    const handle = outcome.value.snapshotHandle;
    await provider.deleteSnapshot(handle).catch((error: unknown) => {
      if (isKBackupError(error, "NotFound")) return;
      warnings.push(`The staged snapshot ${handle} could not be deleted: ${(error as Error)?.message ?? String(error)}`);
    });
  }
  try {
    const keys: string[] = [];
    for await (const info of store.list(folder)) keys.push(info.key);
    for (const key of keys) await store.delete(key);
  } catch (error) {
    warnings.push(`The staged objects under ${folder} could not all be deleted: ${(error as Error)?.message ?? String(error)}`);
  }
  for (const warning of warnings) logger.warn(warning);
  return warnings;
}
