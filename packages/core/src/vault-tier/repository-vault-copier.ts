import { createHash } from "node:crypto";
import { KBackupError, invalidArgument, isKBackupError, throwIfAborted } from "../errors.js";
import { VAULT_VOLUME_LIMIT_BYTES } from "../policy/retention.js";
import { systemClock, type Clock } from "../ports/clock.js";
import type { Logger } from "../ports/logger.js";
import type { ObjectStore } from "../ports/object-store.js";
import type { OperationOptions } from "../ports/options.js";
import type { SnapshotProvider, VolumeSnapshotRecord } from "../ports/snapshot-provider.js";
import { isRecoveryPointId, recoveryPointKeys } from "../recovery-point/layout.js";
import { parseManifest, type RecoveryPointManifest } from "../recovery-point/manifest.js";
import { readManifest } from "../recovery-point/recovery-point-store.js";
import type { GarbageCollectionReport } from "../repository/garbage-collection.js";
import type { KeyProvider } from "../repository/key-provider.js";
import type { RepositoryContent, RepositorySnapshot } from "../repository/repository-content.js";
import { assertPrefix } from "../repository/repository-layout.js";
import { Repository, type InitRepositoryOptions } from "../repository/repository.js";
import type { SnapshotWriter } from "../repository/snapshot-writer.js";
import { dns1123LabelProblem } from "../selection/index.js";
import { pagedIterator, type PagedAsyncIterableIterator } from "../util/paged.js";
import type { VaultCopier, VaultCopy, VaultCopyInfo, VaultCopySource, VaultGarbageCollectionOptions } from "../vault/vault-copier.js";
import { checkArchiveStream, verifyLevelOf, type RecoveryPointVerifyReport, type VerifyRecoveryPointOptions } from "./archive-verification.js";

/** The repository's place in the vault store unless told otherwise. */
export const DEFAULT_VAULT_REPOSITORY_PREFIX = "vault-repository/";

/** Names of a vault copy's blobs in its repository snapshot. */
export const VAULT_COPY_BLOBS = { manifest: "manifest.json", archive: "resources.tar.gz" } as const;

/** Options of {@link RepositoryVaultCopier}. */
export interface RepositoryVaultCopierOptions {
  /** Wraps the repository's key: a passphrase (`PassphraseKeyProvider`), a key vault's key. */
  keyProvider: KeyProvider;
  /** Where the repository lives in the vault store: segments ending in `/`; {@link DEFAULT_VAULT_REPOSITORY_PREFIX} by default. */
  prefix?: string;
  /** Worker threads that hash, compress and encrypt; the repository's default (the available parallelism) unless given. */
  workers?: number;
  /** Chunks in flight per copy or read. */
  concurrency?: number;
  /** zstd level of new chunks, 1 to 19. */
  compressionLevel?: number;
  /** Chunk sizes and pack size, used when the copier creates the repository (fixed for its life). */
  chunker?: InitRepositoryOptions["chunker"];
  packTargetSizeInBytes?: number;
  clock?: Clock;
  logger?: Logger;
}

const READ_ONLY = Symbol("readOnly");

/** The snapshot id of an instance's recovery point: the instance name cannot hold a `.`, so the id is unambiguous. */
function snapshotIdOf(instanceName: string, recoveryPointId: string): string {
  const problem = dns1123LabelProblem(instanceName);
  if (problem) throw invalidArgument("instanceName", problem);
  if (typeof recoveryPointId !== "string" || !isRecoveryPointId(recoveryPointId)) throw invalidArgument("recoveryPointId", "is not a recovery point id");
  return `${instanceName}.${recoveryPointId}`;
}

function infoOf(snapshot: RepositorySnapshot): VaultCopyInfo {
  const info = snapshot.properties["vaultCopy"] as VaultCopyInfo | undefined;
  if (typeof info !== "object" || info === null || typeof info.recoveryPointId !== "string") {
    throw new KBackupError("Integrity", `The repository snapshot ${snapshot.id} is not a vault copy (it has no vaultCopy property).`, { details: { snapshotId: snapshot.id } });
  }
  return info;
}

/**
 * The vault tier on a deduplicating, compressed and encrypted repository (see
 * `docs/repository-format.md`): a vault copy is one repository snapshot, named
 * `<instance>.<recovery point id>`, holding the recovery point's manifest and archive as blobs and
 * every volume's bytes, read through the instance's snapshot provider. A volume's copy reads only
 * what changed since the previous vault copy of the same volume when the provider can tell
 * (`changedRanges` against the snapshot that copy was read from); either way only chunks the
 * repository lacks are uploaded. A copy cut short resumes where it stopped when retried (its copy id
 * is its snapshot id), and nothing is visible before the snapshot's manifest, written last.
 *
 * The repository is opened on first use (and created when the vault store has none under
 * `prefix`); `close` stops its worker threads.
 */
export class RepositoryVaultCopier implements VaultCopier {
  readonly store: ObjectStore;
  readonly #options: RepositoryVaultCopierOptions;
  readonly #prefix: string;
  readonly #clock: Clock;
  readonly #readOnly: boolean;
  #repository: Promise<Repository> | undefined;
  #secondary: RepositoryVaultCopier | undefined;

  /**
   * A copier over the repository under `options.prefix` of `store`. Nothing is read before the
   * first call.
   * @throws InvalidArgument for a bad store, key provider or prefix.
   */
  constructor(store: ObjectStore, options: RepositoryVaultCopierOptions) {
    if (typeof store !== "object" || store === null || typeof store.put !== "function") throw invalidArgument("store", "must be an ObjectStore");
    if (typeof options?.keyProvider?.wrapKey !== "function" || typeof options.keyProvider.unwrapKey !== "function") {
      throw invalidArgument("options.keyProvider", "must have wrapKey and unwrapKey");
    }
    const prefix = options.prefix ?? DEFAULT_VAULT_REPOSITORY_PREFIX;
    assertPrefix(prefix);
    this.store = store;
    this.#options = options;
    this.#prefix = prefix;
    this.#clock = options.clock ?? systemClock;
    this.#readOnly = (options as { [READ_ONLY]?: boolean })[READ_ONLY] === true;
  }

  /**
   * The open repository: opened on first use, and created when there is none (never by a read-only
   * copier over a secondary, which says NotFound instead).
   * @throws PermissionDenied when the key provider's key does not open it; what the store throws.
   */
  repository(options: OperationOptions = {}): Promise<Repository> {
    throwIfAborted(options.abortSignal);
    if (this.#repository === undefined) {
      const opening = this.#open();
      this.#repository = opening;
      // A failed open is not kept, so that the next call tries again.
      opening.catch(() => {
        if (this.#repository === opening) this.#repository = undefined;
      });
    }
    return this.#repository;
  }

  async #open(): Promise<Repository> {
    const { keyProvider, workers, concurrency, compressionLevel, logger } = this.#options;
    const settings = {
      keyProvider,
      prefix: this.#prefix,
      clock: this.#clock,
      ...(workers !== undefined ? { workers } : {}),
      ...(concurrency !== undefined ? { concurrency } : {}),
      ...(compressionLevel !== undefined ? { compressionLevel } : {}),
      ...(logger ? { logger } : {}),
    };
    try {
      return await Repository.open(this.store, settings);
    } catch (error) {
      if (this.#readOnly && isKBackupError(error, "NotFound")) {
        throw new KBackupError("NotFound", `The vault store's secondary holds no repository under ${this.#prefix} yet: geo-replication lags the primary.`, { cause: error, details: error.details });
      }
      if (this.#readOnly || !isKBackupError(error, "NotFound")) throw error;
    }
    try {
      const { chunker, packTargetSizeInBytes } = this.#options;
      return await Repository.init(this.store, { ...settings, ...(chunker ? { chunker } : {}), ...(packTargetSizeInBytes !== undefined ? { packTargetSizeInBytes } : {}) });
    } catch (error) {
      // Another process created it first.
      if (isKBackupError(error, "AlreadyExists")) return Repository.open(this.store, settings);
      throw error;
    }
  }

  #assertWritable(operation: string): void {
    if (this.#readOnly) throw new KBackupError("Unsupported", `The vault store's secondary is read-only: ${operation} on the primary.`);
  }

  /**
   * Copies a committed recovery point into the repository; returns its info, with `transfer` telling
   * what this copy read and uploaded. A point already copied is returned as it is.
   * @throws NotFound for a missing source point or archive, or when the point has volume snapshots and
   *   no snapshot provider is given; Unsupported for a provider that cannot read snapshots or a volume
   *   over 1 TiB (`VAULT_VOLUME_LIMIT_BYTES`); Integrity when the archive does not match its manifest.
   */
  async copy(source: VaultCopySource, options: OperationOptions = {}): Promise<VaultCopyInfo> {
    this.#assertWritable("copy");
    const { abortSignal } = options;
    const id = snapshotIdOf(source.instanceName, source.recoveryPointId);
    const repository = await this.repository(options);
    const existing = await snapshotOrNothing(repository, id, abortSignal);
    if (existing) return infoOf(existing);
    const manifest = await readManifest(source.store, source.instancePrefix, source.recoveryPointId, abortSignal);
    const provider = checkVolumes(manifest, source.snapshotProvider);
    const writer = repository.startSnapshot({ copyId: id });
    const archive = await this.#copyArchive(writer, source, manifest, abortSignal);
    const manifestBlob = await writer.writeBlob(new TextEncoder().encode(JSON.stringify(manifest)), { abortSignal });
    const volumes: Record<string, RepositoryContent> = {};
    for (const record of manifest.volumeSnapshots) {
      volumes[record.persistentVolumeName] = await this.#copyVolume(repository, writer, source.instanceName, id, record, provider as SnapshotProvider, abortSignal);
    }
    const info: VaultCopyInfo = {
      instanceName: source.instanceName,
      recoveryPointId: source.recoveryPointId,
      recoveryPointTime: manifest.startTime,
      copiedAt: this.#clock.now().toISOString(),
      archiveSizeInBytes: manifest.archive.sizeInBytes,
      volumeSnapshots: manifest.volumeSnapshots,
      holdsVolumeData: true,
    };
    try {
      await writer.commit({
        id,
        volumes,
        blobs: { [VAULT_COPY_BLOBS.manifest]: manifestBlob, [VAULT_COPY_BLOBS.archive]: archive },
        properties: { vaultCopy: info },
        tags: { backupInstanceName: source.instanceName, recoveryPointId: source.recoveryPointId },
        ...(abortSignal ? { abortSignal } : {}),
      });
    } catch (error) {
      // Another process copying the same point committed first: its copy is this one.
      if (!isKBackupError(error, "AlreadyExists")) throw error;
      const copied = await snapshotOrNothing(repository, id, abortSignal);
      if (!copied) throw error;
      return infoOf(copied);
    }
    const { bytesRead, bytesUploaded, chunksStored, chunksReused } = writer.statistics;
    return { ...info, transfer: { bytesRead, bytesUploaded, chunksStored, chunksReused } };
  }

  // The archive is checked against its manifest as it streams: a damaged source is never copied.
  async #copyArchive(writer: SnapshotWriter, source: VaultCopySource, manifest: RecoveryPointManifest, abortSignal: AbortSignal | undefined): Promise<RepositoryContent> {
    const key = recoveryPointKeys(source.instancePrefix, source.recoveryPointId).archive;
    const archive = await source.store.getStream(key, { abortSignal });
    if (!archive) throw new KBackupError("NotFound", `The archive of recovery point ${source.recoveryPointId} is missing.`, { details: { key } });
    const hash = createHash("sha256");
    let size = 0;
    const counted = (async function* () {
      for await (const chunk of archive.body) {
        hash.update(chunk);
        size += chunk.length;
        yield chunk;
      }
    })();
    const content = await writer.writeBlob(counted, { abortSignal });
    const digest = hash.digest("hex");
    if (size !== manifest.archive.sizeInBytes || digest !== manifest.archive.sha256) {
      throw new KBackupError("Integrity", `The archive ${key} does not match its manifest (${size} bytes, sha256 ${digest}; the manifest says ${manifest.archive.sizeInBytes} bytes, ${manifest.archive.sha256}); it is not copied.`, { details: { key } });
    }
    return content;
  }

  async #copyVolume(repository: Repository, writer: SnapshotWriter, instanceName: string, id: string, record: VolumeSnapshotRecord, provider: SnapshotProvider, abortSignal: AbortSignal | undefined): Promise<RepositoryContent> {
    const parent = await this.#parentOf(repository, instanceName, id, record, abortSignal);
    const reader = await provider.openSnapshot(record.snapshotHandle, { abortSignal });
    try {
      if (reader.sizeInBytes !== record.sizeInBytes) {
        throw new KBackupError("Integrity", `The snapshot ${record.snapshotHandle} of ${record.persistentVolumeName} reads ${reader.sizeInBytes} bytes; the recovery point recorded ${record.sizeInBytes}.`, { details: { snapshotHandle: record.snapshotHandle } });
      }
      let changedRanges: Array<{ offset: number; length: number }> | undefined;
      if (parent && provider.capabilities.changedRanges && reader.changedRanges) {
        // The earlier snapshot may be gone (its operational copy expired): then the whole volume is read, still deduplicated.
        changedRanges = await reader.changedRanges(parent.snapshotHandle, { abortSignal }).catch((error: unknown) => {
          if (isKBackupError(error, "NotFound") || isKBackupError(error, "Unsupported")) return undefined;
          throw error;
        });
      }
      return await writer.writeVolume(reader, { ...(parent ? { parent: parent.content } : {}), ...(changedRanges ? { changedRanges } : {}), ...(abortSignal ? { abortSignal } : {}) });
    } finally {
      await reader.close();
    }
  }

  /** The latest earlier vault copy of the same volume (same source disk), with the snapshot handle it was read from. */
  async #parentOf(repository: Repository, instanceName: string, id: string, record: VolumeSnapshotRecord, abortSignal: AbortSignal | undefined): Promise<{ content: RepositoryContent; snapshotHandle: string } | undefined> {
    const earlier = (await repository.listSnapshots({ abortSignal })).filter((candidate) => candidate.startsWith(`${instanceName}.`) && candidate < id);
    for (const candidate of earlier.reverse()) {
      const snapshot = await snapshotOrNothing(repository, candidate, abortSignal);
      if (!snapshot) continue;
      const before = infoOf(snapshot).volumeSnapshots.find((candidateRecord) => candidateRecord.volumeHandle === record.volumeHandle && candidateRecord.driver === record.driver);
      const content = before && snapshot.volumes[before.persistentVolumeName];
      if (before && content) return { content, snapshotHandle: before.snapshotHandle };
    }
    return undefined;
  }

  /** Deletes a vault copy's snapshot; its space comes back with {@link collectGarbage}. False when there was none. */
  async delete(instanceName: string, recoveryPointId: string, options: OperationOptions = {}): Promise<boolean> {
    this.#assertWritable("delete");
    const id = snapshotIdOf(instanceName, recoveryPointId);
    return (await this.repository(options)).deleteSnapshot(id, options);
  }

  /** The instance's vault copies, oldest first. */
  list(instanceName: string, options: OperationOptions = {}): PagedAsyncIterableIterator<VaultCopyInfo> {
    const problem = dns1123LabelProblem(instanceName);
    if (problem) throw invalidArgument("instanceName", problem);
    return pagedIterator(async (token, maxPageSize) => {
      const repository = await this.repository(options);
      const ids = (await repository.listSnapshots(options)).filter((id) => id.startsWith(`${instanceName}.`) && (token === undefined || id > token));
      const page = ids.slice(0, maxPageSize ?? 100);
      const items: VaultCopyInfo[] = [];
      for (const id of page) {
        const snapshot = await snapshotOrNothing(repository, id, options.abortSignal);
        if (snapshot) items.push(infoOf(snapshot));
      }
      const last = page[page.length - 1];
      return { items, ...(page.length < ids.length && last ? { continuationToken: last } : {}) };
    });
  }

  /**
   * A vault copy opened for restore: checked at the index level (which also brings this process's
   * view of the repository up to date with copies other processes made), its manifest read, its
   * archive and volumes readable from the repository. Undefined when there is no such copy.
   * @throws Integrity naming the object (`details.key`) when the snapshot, a pack it needs or its
   *   manifest is damaged or missing.
   */
  async read(instanceName: string, recoveryPointId: string, options: OperationOptions = {}): Promise<VaultCopy | undefined> {
    const id = snapshotIdOf(instanceName, recoveryPointId);
    const repository = await this.repository(options);
    const snapshot = await snapshotOrNothing(repository, id, options.abortSignal);
    if (!snapshot) return undefined;
    await repository.verify(id, { level: "index", ...(options.abortSignal ? { abortSignal: options.abortSignal } : {}) });
    const info = infoOf(snapshot);
    const manifestContent = snapshot.blobs[VAULT_COPY_BLOBS.manifest];
    const archiveContent = snapshot.blobs[VAULT_COPY_BLOBS.archive];
    const where = `${this.#prefix}snapshots/${id}`;
    if (!manifestContent || !archiveContent) throw new KBackupError("Integrity", `The vault copy ${where} lacks its manifest or archive.`, { details: { key: where } });
    const manifest = parseManifest(await repository.readBlob(manifestContent, options), `${where}#${VAULT_COPY_BLOBS.manifest}`);
    return {
      info,
      manifest,
      readArchive: async (readOptions = {}) => repository.readBlobStream(archiveContent, readOptions),
      openVolume: (persistentVolumeName) => {
        const content = snapshot.volumes[persistentVolumeName];
        return content && repository.openVolume(content);
      },
      verify: (verifyOptions = {}) => this.#verify(repository, snapshot, manifest, archiveContent, verifyOptions),
    };
  }

  async #verify(repository: Repository, snapshot: RepositorySnapshot, manifest: RecoveryPointManifest, archive: RepositoryContent, options: VerifyRecoveryPointOptions): Promise<RecoveryPointVerifyReport> {
    const level = verifyLevelOf(options);
    const report = await repository.verify(snapshot.id, { level, ...(options.abortSignal ? { abortSignal: options.abortSignal } : {}) });
    if (level === "full") await checkArchiveStream(repository.readBlobStream(archive, options), manifest, `${this.#prefix}snapshots/${snapshot.id}#${VAULT_COPY_BLOBS.archive}`);
    return { recoveryPointId: manifest.recoveryPointId, dataStore: "VaultStore", level, objectsChecked: report.packs + 1, bytesChecked: report.bytesChecked };
  }

  /**
   * A read-only copier over the vault store's secondary (the paired region's copy), for cross-region
   * restore; one per copier, closed with it. What replication has not brought there yet is missing.
   * @throws Unsupported when the vault store has no readable secondary.
   */
  secondary(): RepositoryVaultCopier {
    if (this.#secondary) return this.#secondary;
    if (this.#readOnly || !this.store.capabilities.secondaryRead || typeof this.store.secondary !== "function") {
      throw new KBackupError("Unsupported", "The vault store has no readable secondary region (capabilities.secondaryRead).");
    }
    this.#secondary = new RepositoryVaultCopier(this.store.secondary(), { ...this.#options, prefix: this.#prefix, [READ_ONLY]: true } as RepositoryVaultCopierOptions);
    return this.#secondary;
  }

  /**
   * Runs the repository's garbage collection: chunks no vault copy references any more are removed,
   * packs younger than `safetyWindowInMs` are left, and nothing is removed while a copy has been
   * active within the window (its marker is fresh), so a copy in flight never loses a chunk.
   */
  async collectGarbage(options: VaultGarbageCollectionOptions): Promise<GarbageCollectionReport> {
    this.#assertWritable("collectGarbage");
    if (typeof options !== "object" || options === null) throw invalidArgument("options", "must give safetyWindowInMs");
    const repository = await this.repository(options);
    return repository.gc({ safetyWindowInMs: options.safetyWindowInMs, ...(options.now ? { now: options.now } : {}), ...(options.abortSignal ? { abortSignal: options.abortSignal } : {}) });
  }

  /** Stops the worker threads of the repository (and of the secondary's). Idempotent; a later call opens it again. */
  async close(): Promise<void> {
    const opening = this.#repository;
    this.#repository = undefined;
    await this.#secondary?.close();
    if (opening) await (await opening.catch(() => undefined))?.close();
  }
}

/** A committed snapshot, or undefined when there is none with this id. */
async function snapshotOrNothing(repository: Repository, id: string, abortSignal: AbortSignal | undefined): Promise<RepositorySnapshot | undefined> {
  try {
    return await repository.getSnapshot(id, { ...(abortSignal ? { abortSignal } : {}) });
  } catch (error) {
    if (isKBackupError(error, "NotFound")) return undefined;
    throw error;
  }
}

/** The provider that reads the point's volumes; refuses points whose volumes cannot be copied. */
function checkVolumes(manifest: RecoveryPointManifest, provider: SnapshotProvider | undefined): SnapshotProvider | undefined {
  for (const record of manifest.volumeSnapshots) {
    if (record.sizeInBytes > VAULT_VOLUME_LIMIT_BYTES) {
      throw new KBackupError("Unsupported", `Recovery point ${manifest.recoveryPointId} is not copied to the vault store: volume ${record.persistentVolumeName} has ${record.sizeInBytes} bytes, over the limit of ${VAULT_VOLUME_LIMIT_BYTES}.`, {
        details: { persistentVolumeName: record.persistentVolumeName, sizeInBytes: record.sizeInBytes },
      });
    }
  }
  if (manifest.volumeSnapshots.length === 0) return provider;
  if (!provider) {
    throw new KBackupError("NotFound", `Recovery point ${manifest.recoveryPointId} has volume snapshots, and no snapshot provider is bound to read them for the vault copy.`, { field: "snapshotProviders" });
  }
  if (!provider.capabilities.readData) {
    throw new KBackupError("Unsupported", `The snapshot provider ${provider.name} cannot read snapshots (capabilities.readData), so recovery point ${manifest.recoveryPointId} cannot be copied to the vault store.`);
  }
  return provider;
}
