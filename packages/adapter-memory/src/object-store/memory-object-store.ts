import {
  KBackupError,
  assertValidByteRange,
  assertValidObjectBody,
  assertValidObjectKey,
  assertValidObjectMetadata,
  assertValidPageSize,
  assertValidWriteConditions,
  byteRangeBounds,
  invalidArgument,
  pagedIterator,
  readObjectBody,
  sameEtag,
  systemClock,
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
import { MemorySecondaryStore, type MemorySecondaryOptions } from "./memory-secondary-store.js";

/** Options of the {@link MemoryObjectStore} constructor. */
export interface MemoryObjectStoreOptions {
  /** Each call (and each page of a list) waits this long first, to imitate a remote store. Default 0. */
  latencyInMs?: number;
  /** Gives `lastModified` and does the waiting of `latencyInMs`. Default: the system clock. */
  clock?: Clock;
  /** Size of the chunks `getStream` yields. Default 256 KiB. */
  streamChunkSizeInBytes?: number;
  /**
   * Behave as a geo-redundant store with read access: `capabilities.secondaryRead` is true and
   * `secondary()` gives the paired region's copy. Default false.
   */
  secondaryRead?: boolean;
}

/** The largest page a list returns when `byPage` names no `maxPageSize`. */
export const MEMORY_OBJECT_STORE_DEFAULT_PAGE_SIZE = 1000;

interface Entry {
  bytes: Uint8Array;
  etag: string;
  lastModified: Date;
  contentType: string | undefined;
  metadata: Record<string, string> | undefined;
}

/**
 * An `ObjectStore` held in memory: the reference implementation of the port's contract, and a
 * store for unit tests. Objects are copied in and out, so callers can never change stored bytes.
 * ETags are `"<n>"`, from a counter that moves on every write, so even an identical rewrite gets
 * a new ETag. Conditional writes are exact: conditions are checked when the write commits, after
 * a streamed body has been read whole.
 */
export class MemoryObjectStore implements ObjectStore {
  readonly capabilities: ObjectStoreCapabilities;

  readonly #objects = new Map<string, Entry>();
  // Sorted lazily: rebuilt on the first list after a key was added or removed.
  #sortedKeys: string[] | undefined;
  #generation = 0;
  readonly #latencyInMs: number;
  readonly #clock: Clock;
  readonly #chunkSize: number;
  #secondary: MemorySecondaryStore | undefined;

  /** Throws `InvalidArgument` for a negative latency or a chunk size below 1. */
  constructor(options: MemoryObjectStoreOptions = {}) {
    const { latencyInMs = 0, clock = systemClock, streamChunkSizeInBytes = 256 * 1024 } = options;
    if (!(Number.isFinite(latencyInMs) && latencyInMs >= 0)) throw invalidArgument("latencyInMs", "must be a non-negative number");
    if (!Number.isSafeInteger(streamChunkSizeInBytes) || streamChunkSizeInBytes < 1) {
      throw invalidArgument("streamChunkSizeInBytes", "must be a positive integer");
    }
    this.#latencyInMs = latencyInMs;
    this.#clock = clock;
    this.#chunkSize = streamChunkSizeInBytes;
    this.capabilities = { conditionalWrites: true, immutability: false, secondaryRead: options.secondaryRead === true, leases: false };
  }

  /**
   * Stores a copy of `body`. `AlreadyExists` when `ifNoneMatch: "*"` finds the key taken;
   * `PreconditionFailed` when `ifMatch` differs from the current ETag or the key is missing;
   * `Aborted` (storing nothing) when the signal fires before the body is read whole.
   */
  async put(key: string, body: ObjectBody, options: PutStoredObjectOptions = {}): Promise<ObjectInfo> {
    assertValidObjectKey(key);
    assertValidObjectBody(body);
    assertValidWriteConditions(options);
    assertValidObjectMetadata(options.metadata);
    if (options.contentType !== undefined && typeof options.contentType !== "string") {
      throw invalidArgument("options.contentType", "must be a string");
    }
    await this.#arrive(options.abortSignal);
    // Checked before reading the body too, so that a doomed write does not consume a large stream.
    this.#checkConditions(key, options);
    const bytes = await readObjectBody(key, body, options.abortSignal);
    throwIfAborted(options.abortSignal);
    this.#checkConditions(key, options);
    const entry: Entry = {
      bytes,
      etag: `"${++this.#generation}"`,
      lastModified: this.#clock.now(),
      contentType: options.contentType,
      metadata: options.metadata === undefined ? undefined : { ...options.metadata },
    };
    if (!this.#objects.has(key)) this.#sortedKeys = undefined;
    this.#objects.set(key, entry);
    this.#secondary?.replicate(key, { bytes, info: infoOf(key, entry) });
    return infoOf(key, entry);
  }

  /** A copy of the object's bytes (or of `range` of them) and its info; `undefined` if missing. */
  async get(key: string, options: GetStoredObjectOptions = {}): Promise<StoredObject | undefined> {
    assertValidObjectKey(key);
    assertValidByteRange(options.range);
    await this.#arrive(options.abortSignal);
    const entry = this.#objects.get(key);
    if (entry === undefined) return undefined;
    const { start, end } = byteRangeBounds(entry.bytes.length, options.range);
    return { info: infoOf(key, entry), body: entry.bytes.slice(start, end) };
  }

  /**
   * The object (or `range` of it) as it was when called, in chunks; `undefined` if missing. A later
   * write does not change what an open stream yields. Iteration throws `Aborted` once the signal fires.
   */
  async getStream(key: string, options: GetStoredObjectOptions = {}): Promise<StoredObjectStream | undefined> {
    assertValidObjectKey(key);
    assertValidByteRange(options.range);
    await this.#arrive(options.abortSignal);
    const entry = this.#objects.get(key);
    if (entry === undefined) return undefined;
    const { start, end } = byteRangeBounds(entry.bytes.length, options.range);
    return { info: infoOf(key, entry), body: chunksOf(entry.bytes, start, end, this.#chunkSize, options.abortSignal) };
  }

  /** The object's info; `undefined` if missing. */
  async head(key: string, options: OperationOptions = {}): Promise<ObjectInfo | undefined> {
    assertValidObjectKey(key);
    await this.#arrive(options.abortSignal);
    const entry = this.#objects.get(key);
    return entry === undefined ? undefined : infoOf(key, entry);
  }

  /**
   * Objects whose key starts with `prefix`, in code unit order, in pages of `maxPageSize`
   * (default 1,000). The continuation token is the last key of a page; each page shows the store
   * as it is when that page is fetched.
   */
  list(prefix: string, options: ListStoredObjectsOptions = {}): PagedAsyncIterableIterator<ObjectInfo> {
    if (typeof prefix !== "string") throw invalidArgument("prefix", "must be a string");
    return pagedIterator(async (continuationToken, maxPageSize) => {
      assertValidPageSize(maxPageSize);
      if (continuationToken !== undefined && typeof continuationToken !== "string") {
        throw invalidArgument("continuationToken", "must be a string");
      }
      await this.#arrive(options.abortSignal);
      const keys = this.#keysInOrder();
      let index = firstIndexAtLeast(keys, prefix);
      if (continuationToken !== undefined && continuationToken !== "") {
        index = Math.max(index, firstIndexAbove(keys, continuationToken));
      }
      const pageSize = maxPageSize ?? MEMORY_OBJECT_STORE_DEFAULT_PAGE_SIZE;
      const items: ObjectInfo[] = [];
      for (; index < keys.length && items.length < pageSize; index++) {
        const key = keys[index] as string;
        if (!key.startsWith(prefix)) break;
        items.push(infoOf(key, this.#objects.get(key) as Entry));
      }
      const more = index < keys.length && (keys[index] as string).startsWith(prefix);
      const last = items.at(-1);
      return more && last !== undefined ? { items, continuationToken: last.key } : { items };
    });
  }

  /**
   * Deletes the object: `true` if there was one, `false` if not (also with `ifMatch`).
   * `PreconditionFailed` when `ifMatch` differs from the current ETag.
   */
  async delete(key: string, options: DeleteStoredObjectOptions = {}): Promise<boolean> {
    assertValidObjectKey(key);
    assertValidWriteConditions({ ifMatch: options.ifMatch });
    await this.#arrive(options.abortSignal);
    const entry = this.#objects.get(key);
    if (entry === undefined) return false;
    if (options.ifMatch !== undefined && !sameEtag(options.ifMatch, entry.etag)) {
      throw new KBackupError("PreconditionFailed", `The object ${key} has ETag ${entry.etag}, not ${options.ifMatch}.`, {
        details: { key },
      });
    }
    this.#objects.delete(key);
    this.#sortedKeys = undefined;
    this.#secondary?.replicate(key, undefined);
    return true;
  }

  /**
   * The store's read-only secondary, as geo-redundant storage keeps it in the paired region: each
   * write and delete reaches it `replicationLagInMs` later on this store's clock (see
   * {@link MemorySecondaryStore}). A store has one secondary; calling again returns it, with the lag
   * changed when one is given. What was stored before the first call is already there.
   * Throws `Unsupported` unless the store was made with `secondaryRead: true`, `InvalidArgument` for
   * a negative lag.
   */
  secondary(options: MemorySecondaryOptions = {}): MemorySecondaryStore {
    if (!this.capabilities.secondaryRead) throw new KBackupError("Unsupported", "This store has no secondary: make it with secondaryRead: true, as a geo-redundant store with read access.");
    const secondary = this.#secondary ?? new MemorySecondaryStore(this.#clock, [...this.#objects].map(([key, entry]) => [key, { bytes: entry.bytes, info: infoOf(key, entry) }]));
    secondary.setReplicationLag(options);
    this.#secondary = secondary;
    return secondary;
  }

  async #arrive(signal: AbortSignal | undefined): Promise<void> {
    throwIfAborted(signal);
    if (this.#latencyInMs > 0) await this.#clock.sleep(this.#latencyInMs, { abortSignal: signal });
  }

  #checkConditions(key: string, options: PutStoredObjectOptions): void {
    const current = this.#objects.get(key);
    if (options.ifNoneMatch === "*" && current !== undefined) {
      throw new KBackupError("AlreadyExists", `The object ${key} already exists.`, { details: { key } });
    }
    if (options.ifMatch !== undefined) {
      if (current === undefined) {
        throw new KBackupError("PreconditionFailed", `The object ${key} does not exist, so it cannot match ETag ${options.ifMatch}.`, {
          details: { key },
        });
      }
      if (!sameEtag(options.ifMatch, current.etag)) {
        throw new KBackupError("PreconditionFailed", `The object ${key} has ETag ${current.etag}, not ${options.ifMatch}.`, {
          details: { key },
        });
      }
    }
  }

  #keysInOrder(): string[] {
    // Array.prototype.sort compares strings by UTF-16 code units, the order the contract asks for.
    this.#sortedKeys ??= [...this.#objects.keys()].sort();
    return this.#sortedKeys;
  }
}

function infoOf(key: string, entry: Entry): ObjectInfo {
  return {
    key,
    size: entry.bytes.length,
    etag: entry.etag,
    lastModified: new Date(entry.lastModified),
    ...(entry.contentType === undefined ? {} : { contentType: entry.contentType }),
    ...(entry.metadata === undefined ? {} : { metadata: { ...entry.metadata } }),
  };
}

async function* chunksOf(bytes: Uint8Array, start: number, end: number, chunkSize: number, signal: AbortSignal | undefined): AsyncGenerator<Uint8Array> {
  for (let offset = start; offset < end; offset += chunkSize) {
    throwIfAborted(signal);
    yield bytes.slice(offset, Math.min(end, offset + chunkSize));
  }
}

function firstIndexAtLeast(sorted: readonly string[], value: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((sorted[middle] as string) < value) low = middle + 1;
    else high = middle;
  }
  return low;
}

function firstIndexAbove(sorted: readonly string[], value: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((sorted[middle] as string) <= value) low = middle + 1;
    else high = middle;
  }
  return low;
}
