import { KBackupError } from "../errors.js";
import type { Clock } from "../ports/clock.js";
import type { ObjectStore } from "../ports/object-store.js";
import type { OperationOptions } from "../ports/options.js";
import type { VolumeSnapshotRecord } from "../ports/snapshot-provider.js";
import { RECOVERY_POINTS_FOLDER, recoveryPointKeys } from "../recovery-point/layout.js";
import type { RecoveryPointManifest } from "../recovery-point/manifest.js";
import { readManifest } from "../recovery-point/recovery-point-store.js";
import { pagedIterator, type PagedAsyncIterableIterator } from "../util/paged.js";
import { readJson } from "./json-objects.js";

/** The committed recovery point a copy is made from: its instance, and where its operational copy lies. */
export interface VaultCopySource {
  instanceName: string;
  recoveryPointId: string;
  /** The operational store, and the instance's folder in it. */
  store: ObjectStore;
  instancePrefix: string;
}

/** What the vault store holds of one recovery point. */
export interface VaultCopyInfo {
  instanceName: string;
  recoveryPointId: string;
  recoveryPointTime: string;
  copiedAt: string;
  archiveSizeInBytes: number;
  /** The volume snapshots the recovery point refers to (their data is not part of this copy). */
  volumeSnapshots: VolumeSnapshotRecord[];
}

/** A vault copy opened for restore: its manifest, and a store view from which `archiveKey` reads its archive. */
export interface VaultCopy {
  info: VaultCopyInfo;
  manifest: RecoveryPointManifest;
  store: ObjectStore;
  archiveKey: string;
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
  copy(source: VaultCopySource, options?: OperationOptions): Promise<VaultCopyInfo>;
  delete(instanceName: string, recoveryPointId: string, options?: OperationOptions): Promise<boolean>;
  list(instanceName: string, options?: OperationOptions): PagedAsyncIterableIterator<VaultCopyInfo>;
  read(instanceName: string, recoveryPointId: string, options?: OperationOptions): Promise<VaultCopy | undefined>;
}

const VAULT_COPY_FILE = "vault-copy.json";

/**
 * The first vault copier: copies a recovery point's archive and manifest into an object store
 * under `prefix`, in the operational tier's layout (`<prefix><instance>/recovery-points/<id>/`), with
 * a `vault-copy.json` that records the copy and the volume snapshots the point refers to. The
 * manifest is written last, as in the operational tier, so it marks a whole copy.
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
    return { info: info.value, manifest, store: this.store, archiveKey: keys.archive };
  }
}
