import {
  KBackupError,
  assertValidByteRange,
  assertValidObjectKey,
  assertValidPageSize,
  byteRangeBounds,
  invalidArgument,
  pagedIterator,
  throwIfAborted,
  type Clock,
  type DeleteStoredObjectOptions,
  type GetStoredObjectOptions,
  type ListStoredObjectsOptions,
  type ObjectBody,
  type ObjectInfo,
  type ObjectStore,
  type ObjectStoreCapabilities,
  type OperationOptions,
  type PagedAsyncIterableIterator,
  type PutStoredObjectOptions,
  type StoredObject,
  type StoredObjectStream,
} from "@kbackup/core";

/** Options of `MemoryObjectStore.secondary`. */
export interface MemorySecondaryOptions {
  /**
   * How long after a write or delete on the primary it shows on the secondary, on the primary's
   * clock. Default 0 (at once). Given again, it changes the lag for what is still on its way.
   */
  replicationLagInMs?: number;
}

interface Replica {
  bytes: Uint8Array;
  info: ObjectInfo;
}

interface Change {
  at: number;
  key: string;
  /** Absent for a delete. */
  replica?: Replica;
}

/** Chunk size of `getStream`. */
const STREAM_CHUNK_BYTES = 256 * 1024;

/**
 * The read-only secondary of a `MemoryObjectStore`, as geo-redundant storage with read access keeps
 * it in the paired region: every write and delete of the primary reaches it, in order, once
 * `replicationLagInMs` has passed on the primary's clock; until then it shows the older state. Objects
 * keep the primary's ETag and times. Its writes fail with `Unsupported`. Made by
 * `MemoryObjectStore.secondary()`.
 */
export class MemorySecondaryStore implements ObjectStore {
  readonly capabilities: ObjectStoreCapabilities = { conditionalWrites: false, immutability: false, secondaryRead: false, leases: false };
  readonly #clock: Clock;
  readonly #objects = new Map<string, Replica>();
  readonly #pending: Change[] = [];
  #lagInMs = 0;

  /** @internal Made by `MemoryObjectStore.secondary()`, with the objects already replicated. */
  constructor(clock: Clock, replicated: Iterable<[string, Replica]>) {
    this.#clock = clock;
    for (const [key, replica] of replicated) this.#objects.set(key, replica);
  }

  /** The replication lag now in force. */
  get replicationLagInMs(): number {
    return this.#lagInMs;
  }

  /** Writes and deletes of the primary not replicated yet, as of the clock's now. */
  get pendingChanges(): number {
    this.#catchUp();
    return this.#pending.length;
  }

  /** @internal Sets the lag; `InvalidArgument` for a negative or non-finite one. */
  setReplicationLag(options: MemorySecondaryOptions): void {
    const lag = options.replicationLagInMs;
    if (lag === undefined) return;
    if (!(Number.isFinite(lag) && lag >= 0)) throw invalidArgument("replicationLagInMs", "must be a non-negative number");
    this.#lagInMs = lag;
  }

  /** @internal The primary reports a write (`replica` given) or a delete of `key`. */
  replicate(key: string, replica: Replica | undefined): void {
    this.#pending.push({ at: this.#clock.now().getTime(), key, ...(replica ? { replica } : {}) });
  }

  // Changes arrive in the order they were made; all of them are equally late.
  #catchUp(): void {
    const now = this.#clock.now().getTime();
    while (this.#pending.length > 0 && (this.#pending[0] as Change).at + this.#lagInMs <= now) {
      const change = this.#pending.shift() as Change;
      if (change.replica) this.#objects.set(change.key, change.replica);
      else this.#objects.delete(change.key);
    }
  }

  #arrive(key: string, signal: AbortSignal | undefined): Replica | undefined {
    assertValidObjectKey(key);
    throwIfAborted(signal);
    this.#catchUp();
    return this.#objects.get(key);
  }

  /** The object as replicated so far (a range of it with `options.range`); `undefined` if missing here. */
  async get(key: string, options: GetStoredObjectOptions = {}): Promise<StoredObject | undefined> {
    assertValidByteRange(options.range);
    const replica = this.#arrive(key, options.abortSignal);
    if (!replica) return undefined;
    const { start, end } = byteRangeBounds(replica.bytes.length, options.range);
    return { info: { ...replica.info }, body: replica.bytes.slice(start, end) };
  }

  /** The object as replicated so far, in chunks; `undefined` if missing here. */
  async getStream(key: string, options: GetStoredObjectOptions = {}): Promise<StoredObjectStream | undefined> {
    const object = await this.get(key, options);
    if (!object) return undefined;
    const { body } = object;
    const signal = options.abortSignal;
    return {
      info: object.info,
      body: (async function* () {
        for (let at = 0; at < body.length; at += STREAM_CHUNK_BYTES) {
          throwIfAborted(signal);
          yield body.slice(at, at + STREAM_CHUNK_BYTES);
        }
      })(),
    };
  }

  /** The object's info as replicated so far; `undefined` if missing here. */
  async head(key: string, options: OperationOptions = {}): Promise<ObjectInfo | undefined> {
    const replica = this.#arrive(key, options.abortSignal);
    return replica && { ...replica.info };
  }

  /** The replicated objects whose key starts with `prefix`, in code unit order, in pages (1,000 by default). */
  list(prefix: string, options: ListStoredObjectsOptions = {}): PagedAsyncIterableIterator<ObjectInfo> {
    if (typeof prefix !== "string") throw invalidArgument("prefix", "must be a string");
    return pagedIterator(async (continuationToken, maxPageSize) => {
      assertValidPageSize(maxPageSize);
      throwIfAborted(options.abortSignal);
      this.#catchUp();
      const keys = [...this.#objects.keys()].filter((key) => key.startsWith(prefix) && (continuationToken === undefined || continuationToken === "" || key > continuationToken)).sort();
      const page = keys.slice(0, maxPageSize ?? 1000);
      const items = page.map((key) => ({ ...(this.#objects.get(key) as Replica).info }));
      const last = page[page.length - 1];
      return page.length < keys.length && last !== undefined ? { items, continuationToken: last } : { items };
    });
  }

  /** Always `Unsupported`: the secondary is read-only. */
  async put(key: string, _body?: ObjectBody, _options?: PutStoredObjectOptions): Promise<ObjectInfo> {
    throw readOnly("put", key);
  }

  /** Always `Unsupported`: the secondary is read-only. */
  async delete(key: string, _options?: DeleteStoredObjectOptions): Promise<boolean> {
    throw readOnly("delete", key);
  }
}

function readOnly(operation: string, key: string): KBackupError {
  return new KBackupError("Unsupported", `The secondary of a geo-redundant store is read-only: ${operation} ${key} on the primary.`, { details: { key } });
}
