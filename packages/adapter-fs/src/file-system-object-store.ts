import { createHash } from "node:crypto";
import type { BigIntStats } from "node:fs";
import { link, lstat, mkdir, open, readdir, rename, rmdir, stat, unlink, type FileHandle } from "node:fs/promises";
import { dirname, join, sep } from "node:path";
import {
  KBackupError,
  assertValidByteRange,
  assertValidObjectBody,
  assertValidObjectMetadata,
  assertValidPageSize,
  assertValidWriteConditions,
  byteRangeBounds,
  invalidArgument,
  isKBackupError,
  objectBodyChunks,
  pagedIterator,
  sameEtag,
  throwIfAborted,
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
import { FileChunks, readExactly } from "./file-chunks.js";
import { errnoOf, fsError } from "./fs-errors.js";
import { withKeyLock } from "./key-lock.js";
import { walkKeys } from "./list-keys.js";
import { assertValidFileSystemKey } from "./object-store-arguments.js";
import { fileIdentity, readSidecar, syncFolder, writeSidecar, type SidecarEntry } from "./sidecar.js";
import { StagedWriter } from "./staged-writer.js";
import { StoreLayout } from "./store-layout.js";

/** Options of the {@link FileSystemObjectStore} constructor. */
export interface FileSystemObjectStoreOptions {
  /** The folder the store lives in; created (with its parents) on first use if missing. */
  root: string;
  /**
   * A key's lock file older than this is taken to be one a crashed process left, and broken.
   * Locks are held for milliseconds (a commit, never a body transfer). Default 30 s.
   */
  staleLockAfterInMs?: number;
  /** Size of the chunks `getStream` yields. Default 1 MiB. */
  streamChunkSizeInBytes?: number;
}

/** Options of {@link FileSystemObjectStore.sweepTemporaryFiles}. */
export interface SweepTemporaryFilesOptions {
  /** Only files untouched for this long are removed, so that writes in progress are left alone. */
  olderThanInMs: number;
}

/** The largest page a list returns when `byPage` names no `maxPageSize`. */
export const FILE_SYSTEM_OBJECT_STORE_DEFAULT_PAGE_SIZE = 1000;

// Lock-free reads retry this often when a commit overtakes them, before asking for the key's lock.
const LOCK_FREE_ATTEMPTS = 3;
const LIST_STAT_CONCURRENCY = 32;

interface Found {
  info: ObjectInfo;
  entry: SidecarEntry | undefined;
}

interface Opened {
  handle: FileHandle;
  info: ObjectInfo;
}

interface Written {
  path: string;
  stats: BigIntStats;
  etag: string;
}

/**
 * An `ObjectStore` on a local folder: each object is the plain file `<root>/<key>`, so a store can
 * be inspected, copied and backed up with ordinary tools. See `StoreLayout` for where the store
 * keeps its own files (under `<root>/.kbackup/`, which keys cannot use and listing never shows).
 *
 * - Atomic writes: a body streams into a temporary file (memory stays at about 1 MiB whatever its
 *   size), is fsynced, and only then renamed (or, for create-only, hard-linked) into place.
 * - ETags are the SHA-256 of the content, computed while writing; they change exactly when the
 *   content does. Content type and metadata are kept in a sidecar.
 * - Conditional writes and deletes are safe between processes: every commit of a key (writing its
 *   sidecar, renaming its file) runs under that key's lock file, created with O_EXCL, so checking a
 *   condition and publishing are one step. Create-only writes also publish with `link()`, which
 *   fails if the name exists, so even a wrongly broken lock cannot let two creators both win.
 * - Sidecar and file are tied by the file's identity (inode, size, mtime): a commit first writes a
 *   sidecar listing the new and the current version, then renames the file. A crash at any point
 *   leaves a file whose sidecar entry is there (the next commit drops the older entry); a reader
 *   overtaken by a commit between opening the file and reading the sidecar retries, and an open
 *   file stays readable while it is replaced.
 * - Keys may not be both an object and a folder of objects (`a` and `a/b`), as on any file system:
 *   such a write fails with `Conflict`. On case-insensitive file systems keys differing only in case
 *   name the same object.
 * - File system errors become `KBackupError`s naming the key (see `fsError`).
 *
 * Made for local POSIX file systems; a network file system whose O_EXCL create or `link()` is not
 * atomic (old NFS versions) cannot keep conditional writes safe between machines.
 */
export class FileSystemObjectStore implements ObjectStore {
  readonly capabilities: ObjectStoreCapabilities = { conditionalWrites: true, immutability: false, secondaryRead: false, leases: false };
  /** The absolute path of the store's folder. */
  readonly root: string;

  readonly #layout: StoreLayout;
  readonly #staleLockAfterInMs: number;
  readonly #chunkSize: number;
  #ready: Promise<void> | undefined;

  /** Throws `InvalidArgument` for an empty root, a negative lock age or a chunk size below 1. Touches no file. */
  constructor(options: FileSystemObjectStoreOptions) {
    if (typeof options?.root !== "string" || options.root === "") throw invalidArgument("root", "must be a non-empty path");
    if (options.root.includes("\0")) throw invalidArgument("root", "contains a NUL character");
    const { staleLockAfterInMs = 30_000, streamChunkSizeInBytes = 1024 * 1024 } = options;
    if (!(Number.isFinite(staleLockAfterInMs) && staleLockAfterInMs > 0)) throw invalidArgument("staleLockAfterInMs", "must be a positive number");
    if (!Number.isSafeInteger(streamChunkSizeInBytes) || streamChunkSizeInBytes < 1) {
      throw invalidArgument("streamChunkSizeInBytes", "must be a positive integer");
    }
    this.#layout = new StoreLayout(options.root);
    this.root = this.#layout.root;
    this.#staleLockAfterInMs = staleLockAfterInMs;
    this.#chunkSize = streamChunkSizeInBytes;
  }

  /**
   * Stores `body` under `key`, streaming it to disk. `AlreadyExists` when `ifNoneMatch: "*"` finds
   * the key taken; `PreconditionFailed` when `ifMatch` differs from the current ETag or the key is
   * missing (both checked before the body is read, and again when it commits); `Conflict` when the
   * key is a folder of other objects or lies below an object; `Aborted` when the signal fires before
   * the commit starts. On any failure the previous object (or none) is left in place.
   */
  async put(key: string, body: ObjectBody, options: PutStoredObjectOptions = {}): Promise<ObjectInfo> {
    assertValidFileSystemKey(key);
    assertValidObjectBody(body);
    assertValidWriteConditions(options);
    assertValidObjectMetadata(options.metadata);
    if (options.contentType !== undefined && typeof options.contentType !== "string") {
      throw invalidArgument("options.contentType", "must be a string");
    }
    const signal = options.abortSignal;
    throwIfAborted(signal);
    await this.#prepare();
    // Checked before the body too, so that a doomed write does not stream a large body for nothing.
    if (options.ifNoneMatch !== undefined || options.ifMatch !== undefined) checkConditions(key, await this.#look(key, signal), options);
    const written = await this.#writeTemporary(key, body, signal);
    try {
      throwIfAborted(signal);
      return await this.#locked(key, signal, async () => {
        const current = await this.#find(key);
        checkConditions(key, current?.info, options);
        const entry: SidecarEntry = {
          file: fileIdentity(written.stats),
          etag: written.etag,
          ...(options.contentType === undefined ? {} : { contentType: options.contentType }),
          ...(options.metadata === undefined ? {} : { metadata: { ...options.metadata } }),
        };
        // The sidecar names both versions until the next commit, so whichever file a crash leaves is described.
        const previous = current?.entry === undefined ? [] : [current.entry];
        await this.#sidecar(key, [entry, ...previous], true);
        try {
          await this.#publish(key, written.path, options.ifNoneMatch === "*");
        } catch (error) {
          await this.#sidecar(key, previous, false).catch(() => undefined);
          throw error;
        }
        return infoOf(key, written.stats, entry);
      });
    } finally {
      // Gone after a rename; after a link, or a failure, this is the name left to remove.
      await unlink(written.path).catch(() => undefined);
    }
  }

  /** The object's bytes (or `range` of them) and info, as of one version; `undefined` if missing. */
  async get(key: string, options: GetStoredObjectOptions = {}): Promise<StoredObject | undefined> {
    assertValidFileSystemKey(key);
    assertValidByteRange(options.range);
    throwIfAborted(options.abortSignal);
    await this.#prepare();
    const opened = await this.#open(key, options.abortSignal);
    if (opened === undefined) return undefined;
    try {
      const { start, end } = byteRangeBounds(opened.info.size, options.range);
      const body = await readExactly(opened.handle, start, end - start, key, options.abortSignal);
      throwIfAborted(options.abortSignal);
      return { info: opened.info, body };
    } catch (error) {
      throw fsError(error, "Reading object", key);
    } finally {
      await opened.handle.close().catch(() => undefined);
    }
  }

  /**
   * The object (or `range` of it) as a stream of chunks; `undefined` if missing. The stream reads
   * the version that was current when called, even if the object is replaced or deleted meanwhile.
   * Iterate it to the end or stop it (`break`, `return()`) to release the file; iteration throws
   * `Aborted` once the signal fires.
   */
  async getStream(key: string, options: GetStoredObjectOptions = {}): Promise<StoredObjectStream | undefined> {
    assertValidFileSystemKey(key);
    assertValidByteRange(options.range);
    throwIfAborted(options.abortSignal);
    await this.#prepare();
    const opened = await this.#open(key, options.abortSignal);
    if (opened === undefined) return undefined;
    const { start, end } = byteRangeBounds(opened.info.size, options.range);
    return { info: opened.info, body: new FileChunks(key, opened.handle, start, end, this.#chunkSize, options.abortSignal) };
  }

  /** The object's info; `undefined` if missing. */
  async head(key: string, options: OperationOptions = {}): Promise<ObjectInfo | undefined> {
    assertValidFileSystemKey(key);
    throwIfAborted(options.abortSignal);
    await this.#prepare();
    return this.#look(key, options.abortSignal);
  }

  /**
   * Objects whose key starts with `prefix`, in code unit order, in pages of `maxPageSize` (default
   * 1,000). The continuation token is the last key of a page. Folders are read as the listing
   * reaches them, so an object written or deleted meanwhile may or may not appear.
   */
  list(prefix: string, options: ListStoredObjectsOptions = {}): PagedAsyncIterableIterator<ObjectInfo> {
    if (typeof prefix !== "string") throw invalidArgument("prefix", "must be a string");
    const signal = options.abortSignal;
    // The walk that produced a page, kept so the next page goes on from it instead of starting over.
    let resume: { after: string; walker: AsyncGenerator<string>; pending: string } | undefined;
    return pagedIterator(async (continuationToken, maxPageSize) => {
      assertValidPageSize(maxPageSize);
      if (continuationToken !== undefined && typeof continuationToken !== "string") throw invalidArgument("continuationToken", "must be a string");
      throwIfAborted(signal);
      await this.#prepare();
      const after = continuationToken === "" ? undefined : continuationToken;
      const reused = resume !== undefined && resume.after === after ? resume : undefined;
      if (resume !== undefined && reused === undefined) await resume.walker.return(undefined);
      resume = undefined;
      const walker = reused?.walker ?? walkKeys(this.root, prefix, after);
      const pageSize = maxPageSize ?? FILE_SYSTEM_OBJECT_STORE_DEFAULT_PAGE_SIZE;
      const keys: string[] = reused === undefined ? [] : [reused.pending];
      let next: string | undefined;
      try {
        while (keys.length < pageSize) {
          const step = await walker.next();
          if (step.done) break;
          keys.push(step.value);
        }
        if (keys.length === pageSize) {
          const step = await walker.next();
          if (!step.done) next = step.value;
        }
      } catch (error) {
        throw fsError(error, "Listing objects under", JSON.stringify(prefix));
      }
      // Objects deleted since the walk saw them are left out.
      const items = (await mapLimited(keys, LIST_STAT_CONCURRENCY, (key) => this.#look(key, signal))).filter((info) => info !== undefined);
      const last = keys.at(-1);
      if (next === undefined || last === undefined) return { items };
      resume = { after: last, walker, pending: next };
      return { items, continuationToken: last };
    });
  }

  /**
   * Deletes the object and any folders it leaves empty: `true` if there was one, `false` if not
   * (also with `ifMatch`). `PreconditionFailed` when `ifMatch` differs from the current ETag.
   */
  async delete(key: string, options: DeleteStoredObjectOptions = {}): Promise<boolean> {
    assertValidFileSystemKey(key);
    assertValidWriteConditions({ ifMatch: options.ifMatch });
    throwIfAborted(options.abortSignal);
    await this.#prepare();
    return this.#locked(key, options.abortSignal, async () => {
      const current = await this.#find(key);
      if (current === undefined) {
        // A sidecar without its file (a crash between the two removals) goes too.
        await this.#sidecar(key, [], false);
        return false;
      }
      if (options.ifMatch !== undefined && !sameEtag(options.ifMatch, current.info.etag)) throw etagMismatch(key, current.info.etag, options.ifMatch);
      const path = this.#layout.objectPath(key);
      try {
        await unlink(path);
        await this.#sidecar(key, [], false);
        await syncFolder(dirname(path));
      } catch (error) {
        throw fsError(error, "Deleting object", key);
      }
      await this.#prune(dirname(path));
      return true;
    });
  }

  /**
   * Removes the temporary files of writes that never finished (a crashed or killed writer), and
   * locks set aside when broken, if untouched for `olderThanInMs`; returns how many were removed.
   * Listing never shows them either way. A write still streaming keeps touching its file, so it is
   * safe; one removed anyway fails cleanly, leaving the old object. `InvalidArgument` for a negative age.
   */
  async sweepTemporaryFiles(options: SweepTemporaryFilesOptions): Promise<number> {
    const olderThanInMs = options?.olderThanInMs;
    if (typeof olderThanInMs !== "number" || !(olderThanInMs >= 0)) throw invalidArgument("olderThanInMs", "must be a non-negative number");
    await this.#prepare();
    const cutoff = Date.now() - olderThanInMs;
    let removed = 0;
    const sweep = async (folder: string, wanted: (name: string) => boolean) => {
      for (const name of await readdir(folder)) {
        if (!wanted(name)) continue;
        const path = join(folder, name);
        try {
          const stats = await lstat(path);
          if (!stats.isFile() || stats.mtimeMs > cutoff) continue;
          await unlink(path);
          removed++;
        } catch (error) {
          if (errnoOf(error) !== "ENOENT") throw error;
        }
      }
    };
    try {
      await sweep(this.#layout.temporary, () => true);
      await sweep(this.#layout.locks, (name) => name.includes(".stale-"));
    } catch (error) {
      throw fsError(error, "Sweeping temporary files of", this.root);
    }
    return removed;
  }

  #prepare(): Promise<void> {
    this.#ready ??= (async () => {
      for (const folder of [this.#layout.temporary, this.#layout.sidecars, this.#layout.locks]) await mkdir(folder, { recursive: true });
    })().catch((error: unknown) => {
      this.#ready = undefined;
      const errno = errnoOf(error);
      if (errno === "ENOTDIR" || errno === "EEXIST") throw invalidArgument("root", `${this.root} is not a folder`, error);
      throw fsError(error, "Preparing the store folder", this.root);
    });
    return this.#ready;
  }

  #locked<T>(key: string, signal: AbortSignal | undefined, work: () => Promise<T>): Promise<T> {
    return withKeyLock(this.#layout.lockPath(key), { staleAfterInMs: this.#staleLockAfterInMs, abortSignal: signal }, work).catch((error: unknown) => {
      throw fsError(error, "Locking object", key);
    });
  }

  /** The object as its file and sidecar say now; consistent only under the key's lock. */
  async #find(key: string): Promise<Found | undefined> {
    let stats: BigIntStats;
    try {
      stats = await stat(this.#layout.objectPath(key), { bigint: true });
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw fsError(error, "Reading object", key);
    }
    if (!stats.isFile()) return undefined;
    return this.#describe(key, stats);
  }

  async #describe(key: string, stats: BigIntStats): Promise<Found> {
    let entries: SidecarEntry[];
    try {
      entries = await readSidecar(this.#layout.sidecarPath(key));
    } catch (error) {
      throw fsError(error, "Reading the metadata of object", key);
    }
    const entry = entries.find((candidate) => candidate.file === fileIdentity(stats));
    return { info: infoOf(key, stats, entry), entry };
  }

  /** The object's info without the lock, unless commits keep overtaking the reader. */
  async #look(key: string, signal: AbortSignal | undefined): Promise<ObjectInfo | undefined> {
    for (let attempt = 0; attempt < LOCK_FREE_ATTEMPTS; attempt++) {
      const found = await this.#find(key);
      if (found === undefined || found.entry !== undefined) return found?.info;
    }
    // Under the lock the answer is final; a file still without an entry was put there by hand.
    return this.#underLockIfPossible(key, signal, async () => (await this.#find(key))?.info);
  }

  /** The object's file, open, with the info of exactly the version opened. */
  async #open(key: string, signal: AbortSignal | undefined): Promise<Opened | undefined> {
    const attempt = async (final: boolean): Promise<Opened | "retry" | undefined> => {
      let handle: FileHandle;
      try {
        handle = await open(this.#layout.objectPath(key), "r");
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw fsError(error, "Reading object", key);
      }
      try {
        const stats = await handle.stat({ bigint: true });
        if (!stats.isFile()) {
          await handle.close();
          return undefined;
        }
        const found = await this.#describe(key, stats);
        if (found.entry !== undefined || final) return { handle, info: found.info };
        await handle.close();
        return "retry";
      } catch (error) {
        await handle.close().catch(() => undefined);
        throw fsError(error, "Reading object", key);
      }
    };
    for (let tries = 0; tries < LOCK_FREE_ATTEMPTS; tries++) {
      const result = await attempt(false);
      if (result !== "retry") return result;
    }
    return this.#underLockIfPossible(key, signal, async () => (await attempt(true)) as Opened | undefined);
  }

  async #underLockIfPossible<T>(key: string, signal: AbortSignal | undefined, work: () => Promise<T>): Promise<T> {
    try {
      return await this.#locked(key, signal, work);
    } catch (error) {
      // A reader of a store it may not write to (read-only mount) settles for what it sees.
      if (isKBackupError(error, "PermissionDenied")) return work();
      throw error;
    }
  }

  /** Streams `body` into a new temporary file, fsynced, with its SHA-256. Removes the file on failure. */
  async #writeTemporary(key: string, body: ObjectBody, signal: AbortSignal | undefined): Promise<Written> {
    const path = this.#layout.temporaryPath();
    let handle: FileHandle;
    try {
      handle = await open(path, "wx");
    } catch (error) {
      if (errnoOf(error) !== "ENOENT") throw fsError(error, "Writing object", key);
      // The store's folder was removed behind its back: make it again, once.
      this.#ready = undefined;
      await this.#prepare();
      handle = await open(path, "wx").catch((again: unknown) => {
        throw fsError(again, "Writing object", key);
      });
    }
    const hash = createHash("sha256");
    const writer = new StagedWriter(handle);
    try {
      for await (const chunk of objectBodyChunks(key, body, signal)) {
        hash.update(chunk);
        await writer.write(chunk);
      }
      await writer.flush();
      throwIfAborted(signal);
      await handle.sync();
      const stats = await handle.stat({ bigint: true });
      await handle.close();
      return { path, stats, etag: `"${hash.digest("hex")}"` };
    } catch (error) {
      await handle.close().catch(() => undefined);
      await unlink(path).catch(() => undefined);
      throw fsError(error, "Writing object", key);
    }
  }

  async #sidecar(key: string, entries: SidecarEntry[], durable: boolean): Promise<void> {
    try {
      await writeSidecar(this.#layout, key, entries, durable);
    } catch (error) {
      throw fsError(error, "Writing the metadata of object", key);
    }
  }

  /** Moves the temporary file to the key's path: a rename, or for create-only a link that fails if taken. */
  async #publish(key: string, temporary: string, createOnly: boolean): Promise<void> {
    const target = this.#layout.objectPath(key);
    for (let attempt = 1; ; attempt++) {
      try {
        await mkdir(dirname(target), { recursive: true });
      } catch (error) {
        const errno = errnoOf(error);
        if (errno === "EEXIST" || errno === "ENOTDIR") throw keyFolderConflict(key, `a folder on its path is an object`, error);
        throw fsError(error, "Writing object", key);
      }
      try {
        if (createOnly) await link(temporary, target);
        else await rename(temporary, target);
        break;
      } catch (error) {
        const errno = errnoOf(error);
        // A delete of a neighbour may have pruned the folder between mkdir and rename: go again.
        if (errno === "ENOENT" && attempt < 5) continue;
        if (errno === "EEXIST" || errno === "EISDIR" || errno === "ENOTEMPTY") {
          const existing = await stat(target).catch(() => undefined);
          if (existing?.isDirectory() === true) throw keyFolderConflict(key, "it is a folder of other objects", error);
          if (createOnly) throw alreadyExists(key);
        }
        throw fsError(error, "Writing object", key);
      }
    }
    try {
      await syncFolder(dirname(target));
    } catch (error) {
      throw fsError(error, "Writing object", key);
    }
  }

  /** Removes `folder` and its parents while they are empty, up to the root. */
  async #prune(folder: string): Promise<void> {
    for (let current = folder; current.startsWith(this.root + sep); current = dirname(current)) {
      try {
        await rmdir(current);
      } catch {
        return; // not empty (or already gone): its parents are not empty either
      }
    }
  }
}

function checkConditions(key: string, current: ObjectInfo | undefined, options: PutStoredObjectOptions): void {
  if (options.ifNoneMatch === "*" && current !== undefined) throw alreadyExists(key);
  if (options.ifMatch === undefined) return;
  if (current === undefined) {
    throw new KBackupError("PreconditionFailed", `The object ${key} does not exist, so it cannot match ETag ${options.ifMatch}.`, { details: { key } });
  }
  if (!sameEtag(options.ifMatch, current.etag)) throw etagMismatch(key, current.etag, options.ifMatch);
}

function keyFolderConflict(key: string, why: string, cause: unknown): KBackupError {
  return new KBackupError("Conflict", `The object ${key} cannot be stored: ${why}, and a key cannot be both an object and a folder.`, {
    cause,
    details: { key },
  });
}

function alreadyExists(key: string): KBackupError {
  return new KBackupError("AlreadyExists", `The object ${key} already exists.`, { details: { key } });
}

function etagMismatch(key: string, etag: string, expected: string): KBackupError {
  return new KBackupError("PreconditionFailed", `The object ${key} has ETag ${etag}, not ${expected}.`, { details: { key } });
}

function infoOf(key: string, stats: BigIntStats, entry: SidecarEntry | undefined): ObjectInfo {
  return {
    key,
    size: Number(stats.size),
    // A file without a sidecar entry was put there by hand: its identity changes with each rewrite.
    etag: entry?.etag ?? `"${stats.ino}-${stats.size}-${stats.mtimeNs}"`,
    lastModified: new Date(Number(stats.mtimeNs / 1_000_000n)),
    ...(entry?.contentType === undefined ? {} : { contentType: entry.contentType }),
    ...(entry?.metadata === undefined ? {} : { metadata: { ...entry.metadata } }),
  };
}

function isMissing(error: unknown): boolean {
  const errno = errnoOf(error);
  // ENOTDIR: a segment of the key is a file, so the key names nothing.
  return errno === "ENOENT" || errno === "ENOTDIR";
}

async function mapLimited<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
