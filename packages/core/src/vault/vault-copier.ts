import { KBackupError } from "../errors.js";
import type { Clock } from "../ports/clock.js";
import type { ObjectStore } from "../ports/object-store.js";
import type { OperationOptions } from "../ports/options.js";
import type { SnapshotProvider, SnapshotReader, VolumeSnapshotRecord } from "../ports/snapshot-provider.js";
import { RECOVERY_POINTS_FOLDER, recoveryPointKeys } from "../recovery-point/layout.js";
import type { RecoveryPointManifest } from "../recovery-point/manifest.js";
import { readManifest } from "../recovery-point/recovery-point-store.js";
import type { GarbageCollectionReport } from "../repository/garbage-collection.js";
import { pagedIterator, type PagedAsyncIterableIterator } from "../util/paged.js";
import { verifyStoredRecoveryPoint, type RecoveryPointVerifyReport, type VerifyRecoveryPointOptions } from "../vault-tier/archive-verification.js";
import { readJson } from "./json-objects.js";

/** The committed recovery point a copy is made from: its instance, and where its operational copy lies. */
export interface VaultCopySource {
  instanceName: string;
  recoveryPointId: string;
  /** The operational store, and the instance's folder in it. */
  store: ObjectStore;
  instancePrefix: string;
  /** The instance's snapshot provider: copiers that keep volume data read the snapshots through it. */
  snapshotProvider?: SnapshotProvider;
}

/** What making a copy moved, for copiers that can tell. */
export interface VaultCopyTransfer {
  /** Bytes read from the operational copy and the volume snapshots. */
  bytesRead: number;
  /** Bytes written to the vault store. */
  bytesUploaded: number;
  /** Chunks stored anew, and chunks found already stored (deduplicated). */
  chunksStored: number;
  chunksReused: number;
}

/** What the vault store holds of one recovery point. */
export interface VaultCopyInfo {
  instanceName: string;
  recoveryPointId: string;
  recoveryPointTime: string;
  copiedAt: string;
  archiveSizeInBytes: number;
  /** The volume snapshots the recovery point refers to. */
  volumeSnapshots: VolumeSnapshotRecord[];
  /** True when the copy holds every volume's bytes; absent when it keeps only the snapshot references above. */
  holdsVolumeData?: boolean;
  /** What making the copy moved: on the info `copy` returns, when the copier tells. */
  transfer?: VaultCopyTransfer;
}

/** A vault copy opened for restore and verification. */
export interface VaultCopy {
  info: VaultCopyInfo;
  manifest: RecoveryPointManifest;
  /** Where the archive is read in place, for a copy kept as plain objects; absent when a restore must stage the copy first. */
  inPlace?: { store: ObjectStore; archiveKey: string };
  /** The archive's bytes as a stream. Integrity when they are damaged or missing. */
  readArchive(options?: OperationOptions): Promise<AsyncIterable<Uint8Array>>;
  /**
   * A reader of the copied bytes of the volume `persistentVolumeName` (close it after use);
   * undefined when the copy keeps only that volume's snapshot reference.
   */
  openVolume(persistentVolumeName: string): SnapshotReader | undefined;
  /**
   * Re-reads and checks what the copy needs (see {@link VerifyRecoveryPointOptions.level}).
   * @throws Integrity naming the damaged or missing object (`details.key`).
   */
  verify(options?: VerifyRecoveryPointOptions): Promise<RecoveryPointVerifyReport>;
}

/** Options of {@link VaultCopier.collectGarbage}. */
export interface VaultGarbageCollectionOptions extends OperationOptions {
  /**
   * Stored data younger than this is never removed, and nothing is removed while a copy has been
   * active within it: far longer than any copy's pause (a day, say).
   */
  safetyWindowInMs: number;
  /** The time to judge ages by; the copier's clock by default. */
  now?: Date;
}

/**
 * The seam between the vault and its vault store (the vault tier): how a recovery point is copied
 * there, found, read and deleted. The scheduler calls `copy` when retention says a copy is due and
 * `delete` when a vault copy expires; restores read through `read`.
 *
 * Contract:
 * - `copy` is idempotent: copying a recovery point the store already holds returns its info and
 *   writes nothing; a copy cut short leaves nothing that `read` or `list` would show.
 * - `delete` is idempotent: `false` when there was nothing to delete.
 * - `read` returns `undefined` and `list` skips what is not (or no longer) wholly copied.
 * - Errors are KBackupErrors; a source recovery point that is missing is NotFound.
 */
export interface VaultCopier {
  /**
   * Copies the committed recovery point `source` names into the vault store; returns what the store
   * holds of it. Idempotent: a point already copied returns its info and writes nothing.
   * `NotFound` when the source point is missing.
   */
  copy(source: VaultCopySource, options?: OperationOptions): Promise<VaultCopyInfo>;
  /** Deletes the vault copy of a recovery point; `false` when there was nothing to delete. */
  delete(instanceName: string, recoveryPointId: string, options?: OperationOptions): Promise<boolean>;
  /** The whole copies of an instance's recovery points, in pages; a copy cut short is skipped. */
  list(instanceName: string, options?: OperationOptions): PagedAsyncIterableIterator<VaultCopyInfo>;
  /** Opens the copy of a recovery point for restore and verification; `undefined` when it is not (or no longer) wholly copied. */
  read(instanceName: string, recoveryPointId: string, options?: OperationOptions): Promise<VaultCopy | undefined>;
  /**
   * Optional: a read-only copier over the vault store's secondary, the copy geo-redundant storage
   * keeps in the paired region (cross-region restore reads there). Unsupported when the vault
   * store has no readable secondary.
   */
  secondary?(): VaultCopier;
  /**
   * Optional, for copiers that share data between copies: removes what no copy uses any more,
   * never what a copy in flight may still need (see {@link VaultGarbageCollectionOptions}).
   */
  collectGarbage?(options: VaultGarbageCollectionOptions): Promise<GarbageCollectionReport>;
  /** Optional: releases what the copier holds (worker threads); it may open again on next use. */
  close?(): Promise<void>;
}

const VAULT_COPY_FILE = "vault-copy.json";

/**
 * The first vault copier: copies a recovery point's archive and manifest into an object store
 * under `prefix`, in the operational tier's layout (`<prefix><instance>/recovery-points/<id>/`), with
 * a `vault-copy.json` that records the copy and the volume snapshots the point refers to. The
 * manifest is written last, as in the operational tier, so it marks a whole copy. It keeps no volume
 * data: a restore of its copy needs the volume snapshots to still exist. `RepositoryVaultCopier`
 * keeps everything, deduplicated and encrypted.
 */
export class ObjectStoreVaultCopier implements VaultCopier {
  constructor(
    private readonly store: ObjectStore,
    private readonly prefix: string,
    private readonly clock: Clock,
  ) {}

  private instancePrefix(instanceName: string): string {
    return `${this.prefix}${instanceName}/`;
  }

  async copy(source: VaultCopySource, options: OperationOptions = {}): Promise<VaultCopyInfo> {
    const { abortSignal } = options;
    const existing = await this.read(source.instanceName, source.recoveryPointId, options);
    if (existing) return existing.info;
    const manifest = await readManifest(source.store, source.instancePrefix, source.recoveryPointId, abortSignal);
    const from = recoveryPointKeys(source.instancePrefix, source.recoveryPointId);
    const to = recoveryPointKeys(this.instancePrefix(source.instanceName), source.recoveryPointId);
    const archive = await source.store.getStream(from.archive, { abortSignal });
    if (!archive) throw new KBackupError("NotFound", `The archive of recovery point ${source.recoveryPointId} is missing.`, { details: { key: from.archive } });
    const written = await this.store.put(to.archive, archive.body, { contentType: "application/gzip", abortSignal });
    if (written.size !== manifest.archive.sizeInBytes) {
      throw new KBackupError("Integrity", `The vault copy of ${source.recoveryPointId} has ${written.size} archive bytes; the manifest says ${manifest.archive.sizeInBytes}.`, { details: { key: to.archive } });
    }
    const info: VaultCopyInfo = {
      instanceName: source.instanceName,
      recoveryPointId: source.recoveryPointId,
      recoveryPointTime: manifest.startTime,
      copiedAt: this.clock.now().toISOString(),
      archiveSizeInBytes: written.size,
      volumeSnapshots: manifest.volumeSnapshots,
    };
    await this.store.put(to.folder + VAULT_COPY_FILE, new TextEncoder().encode(JSON.stringify(info)), { contentType: "application/json", abortSignal });
    await this.store.put(to.manifest, new TextEncoder().encode(JSON.stringify(manifest)), { contentType: "application/json", abortSignal });
    return info;
  }

  async delete(instanceName: string, recoveryPointId: string, options: OperationOptions = {}): Promise<boolean> {
    const keys = recoveryPointKeys(this.instancePrefix(instanceName), recoveryPointId);
    // The manifest goes first, so that a delete cut short leaves no copy that looks whole.
    const existed = await this.store.delete(keys.manifest, options);
    const rest: string[] = [];
    for await (const info of this.store.list(keys.folder, options)) rest.push(info.key);
    for (const key of rest) await this.store.delete(key, options);
    return existed || rest.length > 0;
  }

  list(instanceName: string, options: OperationOptions = {}): PagedAsyncIterableIterator<VaultCopyInfo> {
    const folder = this.instancePrefix(instanceName) + RECOVERY_POINTS_FOLDER;
    return pagedIterator(async (token) => {
      const page = await this.store.list(folder, options).byPage(token ? { continuationToken: token } : {}).next();
      if (page.done) return { items: [] };
      const items: VaultCopyInfo[] = [];
      for (const object of page.value.items) {
        if (!object.key.endsWith(`/${VAULT_COPY_FILE}`)) continue;
        const id = object.key.slice(folder.length).split("/")[0] ?? "";
        const copy = await this.read(instanceName, id, options);
        if (copy) items.push(copy.info);
      }
      return { items, ...(page.value.continuationToken ? { continuationToken: page.value.continuationToken } : {}) };
    });
  }

  async read(instanceName: string, recoveryPointId: string, options: OperationOptions = {}): Promise<VaultCopy | undefined> {
    const instancePrefix = this.instancePrefix(instanceName);
    const keys = recoveryPointKeys(instancePrefix, recoveryPointId);
    if ((await this.store.head(keys.manifest, options)) === undefined) return undefined;
    const info = await readJson<VaultCopyInfo>(this.store, keys.folder + VAULT_COPY_FILE, options.abortSignal);
    if (!info) return undefined;
    const manifest = await readManifest(this.store, instancePrefix, recoveryPointId, options.abortSignal);
    const store = this.store;
    return {
      info: info.value,
      manifest,
      inPlace: { store, archiveKey: keys.archive },
      readArchive: async (readOptions = {}) => {
        const archive = await store.getStream(keys.archive, readOptions);
        if (!archive) throw new KBackupError("Integrity", `The archive ${keys.archive} of the vault copy of ${recoveryPointId} is missing.`, { details: { key: keys.archive } });
        return archive.body;
      },
      openVolume: () => undefined,
      verify: (verifyOptions = {}) => verifyStoredRecoveryPoint(store, instancePrefix, recoveryPointId, "VaultStore", verifyOptions),
    };
  }

  /** A read-only copier over the vault store's secondary. Unsupported when the store has none. */
  secondary(): VaultCopier {
    if (!this.store.capabilities.secondaryRead || typeof this.store.secondary !== "function") {
      throw new KBackupError("Unsupported", "The vault store has no readable secondary region (capabilities.secondaryRead).");
    }
    return new ObjectStoreVaultCopier(this.store.secondary(), this.prefix, this.clock);
  }
}
