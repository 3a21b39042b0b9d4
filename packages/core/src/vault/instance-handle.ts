import { KBackupError } from "../errors.js";
import type { ClusterClient } from "../ports/cluster-client.js";
import type { Clock } from "../ports/clock.js";
import type { Logger } from "../ports/logger.js";
import type { ObjectStore } from "../ports/object-store.js";
import type { BackupPolicy } from "../policy/index.js";
import type { CatalogueKeys, InstanceRecord } from "./catalogue-records.js";
import type { JobRecorder } from "./job-recorder.js";
import { readJson, updateJson } from "./json-objects.js";
import type { ResolvedBinding } from "./vault-bindings.js";
import type { VaultCopier } from "./vault-copier.js";
import type { VaultSettings } from "./vault-settings.js";

/** What a vault shares with its instances and its scheduler. */
export interface VaultContext {
  readonly name: string;
  /** The vault's own store, holding its catalogue. */
  readonly store: ObjectStore;
  readonly keys: CatalogueKeys;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly jobs: JobRecorder;
  readonly copier: VaultCopier;
  /** The vault store's object store, when the vault knows it (a custom copier may hide it). */
  readonly vaultStore?: ObjectStore;
  readonly abandonAfterInMs: number;
  /** The vault's settings as stored now (security checks must not trust a cached copy). */
  settings(abortSignal?: AbortSignal): Promise<VaultSettings>;
  /** A policy of the vault; NotFound when there is none of that name. */
  policy(name: string, abortSignal?: AbortSignal): Promise<BackupPolicy>;
  /** Forgets an instance that was purged. */
  forget(instanceName: string): void;
}

/**
 * One backup instance's catalogue object and live objects, as the instance's operations use them:
 * the last record read (updated by every read and write), fresh reads, conditional updates.
 */
export class InstanceHandle {
  private current: InstanceRecord;

  constructor(
    readonly vault: VaultContext,
    record: InstanceRecord,
    readonly binding: ResolvedBinding,
  ) {
    this.current = record;
  }

  get name(): string {
    return this.current.name;
  }

  /** The record as last read or written by this process. */
  get record(): InstanceRecord {
    return this.current;
  }

  private get key(): string {
    return this.vault.keys.instance(this.current.name);
  }

  /** Reads the record afresh. NotFound when the instance has been purged. */
  async read(abortSignal?: AbortSignal): Promise<InstanceRecord> {
    const read = await readJson<InstanceRecord>(this.vault.store, this.key, abortSignal);
    if (!read) throw new KBackupError("NotFound", `The backup instance ${this.name} no longer exists.`, { field: "name" });
    this.current = read.value;
    return read.value;
  }

  /** Conditionally updates the record (see `updateJson`); NotFound when the instance has been purged. */
  async update(change: (record: InstanceRecord) => boolean | void, abortSignal?: AbortSignal): Promise<InstanceRecord> {
    const updated = await updateJson<InstanceRecord>(this.vault.store, this.key, change, abortSignal);
    this.current = updated.value;
    return updated.value;
  }

  /** Replaces the cached record with one read elsewhere. */
  adopt(record: InstanceRecord): void {
    this.current = record;
  }

  /** The live cluster; NotFound when the vault could not resolve it. */
  requireCluster(): ClusterClient {
    if (this.binding.cluster) return this.binding.cluster;
    throw new KBackupError("NotFound", `No cluster client is bound to ${this.current.cluster.name} for backup instance ${this.name}: give open() a clusters resolver that knows it.`, { field: "clusters" });
  }

  /** The live operational store; NotFound when the vault could not resolve it. */
  requireOperationalStore(): ObjectStore {
    if (this.binding.operationalStore) return this.binding.operationalStore;
    throw new KBackupError("NotFound", `No operational store named ${this.current.operationalStoreName} is bound for backup instance ${this.name}: give open() an operationalStores resolver that knows it.`, { field: "operationalStores" });
  }
}
