import type { PagedAsyncIterableIterator } from "../util/paged.js";
import type { OperationOptions } from "./options.js";

/** What an object store can do; core compensates or refuses with a clear error where it cannot. */
export interface ObjectStoreCapabilities {
  /** `put` honours `ifNoneMatch: "*"` and `ifMatch` atomically, also between processes. */
  conditionalWrites: boolean;
  /** Objects can be made immutable until a date (write once, read many). */
  immutability: boolean;
  /** A readable copy in a paired region (`secondary()` returns it). */
  secondaryRead: boolean;
  /** Exclusive leases on objects. */
  leases: boolean;
}

/** What a store knows of one object. */
export interface ObjectInfo {
  key: string;
  size: number;
  /** Changes whenever the object's content changes; quoted or not, as the store gives it. */
  etag: string;
  lastModified: Date;
  contentType?: string;
  metadata?: Record<string, string>;
}

/** A body to store: bytes, or a stream of byte chunks (a Node Readable is one). */
export type ObjectBody = Uint8Array | AsyncIterable<Uint8Array>;

/** Options of {@link ObjectStore.put}. */
export interface PutStoredObjectOptions extends OperationOptions {
  /** `"*"`: create only; fail with `AlreadyExists` if the key exists. */
  ifNoneMatch?: "*";
  /** Write only if the current object has this ETag; else `PreconditionFailed` (also when missing). */
  ifMatch?: string;
  contentType?: string;
  /** Small string pairs kept with the object. Keys are lower-case letters, digits and `_`. */
  metadata?: Record<string, string>;
}

/** A part of an object to read: cut at the object's end, empty when it starts past the end. */
export interface ByteRange {
  offset: number;
  /** Bytes from `offset`; omitted reads to the end. */
  length?: number;
}

/** Options of {@link ObjectStore.get} and {@link ObjectStore.getStream}. */
export interface GetStoredObjectOptions extends OperationOptions {
  /** Read only these bytes; omitted reads the whole object. */
  range?: ByteRange;
}

/** Options of {@link ObjectStore.list}. */
export interface ListStoredObjectsOptions extends OperationOptions {}

/** Options of {@link ObjectStore.delete}. */
export interface DeleteStoredObjectOptions extends OperationOptions {
  /** Delete only if the current object has this ETag; else `PreconditionFailed`. */
  ifMatch?: string;
}

/** An object read whole (or a range of it). */
export interface StoredObject {
  info: ObjectInfo;
  body: Uint8Array;
}

/** An object read as a stream. */
export interface StoredObjectStream {
  info: ObjectInfo;
  body: AsyncIterable<Uint8Array>;
}

/**
 * A flat namespace of keys to byte objects: a directory, a blob container, a bucket.
 *
 * Contract, enforced by `objectStoreConformance` in `@kbackup/testing`:
 * - Keys are non-empty strings of `/`-separated segments; no segment is empty, `.` or `..`;
 *   no NUL and no leading `/`. Others are `InvalidArgument`.
 * - `put` is atomic: a reader sees the whole old object or the whole new one, never a part;
 *   a put that fails or is aborted leaves the old object (or none) in place.
 * - `get`, `getStream` and `head` return `undefined` for a missing key.
 * - A range past the end is cut at the end; a range starting past the end is empty.
 * - `list` returns keys with the prefix in lexicographic (code unit) order, in pages.
 * - `delete` is idempotent: `false` when there was nothing to delete.
 * - Errors are `KBackupError`s; transient ones (`Throttled`, `Unavailable`) may be retried.
 */
export interface ObjectStore {
  readonly capabilities: ObjectStoreCapabilities;

  /** Stores `body` under `key`, honouring the conditions; returns what was stored. */
  put(key: string, body: ObjectBody, options?: PutStoredObjectOptions): Promise<ObjectInfo>;

  /** The object's bytes (or a range of them) and info; `undefined` if missing. */
  get(key: string, options?: GetStoredObjectOptions): Promise<StoredObject | undefined>;

  /** The object as a stream of chunks; `undefined` if missing. */
  getStream(key: string, options?: GetStoredObjectOptions): Promise<StoredObjectStream | undefined>;

  /** The object's info; `undefined` if missing. */
  head(key: string, options?: OperationOptions): Promise<ObjectInfo | undefined>;

  /** Objects whose key starts with `prefix` ("" for all), in key order, in pages. */
  list(prefix: string, options?: ListStoredObjectsOptions): PagedAsyncIterableIterator<ObjectInfo>;

  /** Deletes the object. Idempotent. With `ifMatch`, `PreconditionFailed` if the ETag differs. */
  delete(key: string, options?: DeleteStoredObjectOptions): Promise<boolean>;

  /**
   * Optional, for stores with `capabilities.secondaryRead`: the read-only copy of this store in its
   * paired region (geo-redundant storage). It may lag this store: a write shows there only once it
   * has been replicated. Its writes fail (`Unsupported`). `Unsupported` when the store has no
   * readable secondary.
   */
  secondary?(): ObjectStore;
}
