import { randomUUID } from "node:crypto";
import type { BlobDownloadResponseParsed, BlobGetPropertiesResponse, BlobItem, ContainerClient } from "@azure/storage-blob";
import {
  abortableIterable,
  assertValidByteRange,
  assertValidObjectBody,
  forEachConcurrently,
  isKBackupError,
  KBackupError,
  pagedIterator,
  silentLogger,
  throwIfAborted,
  withRetry,
  type GetStoredObjectOptions,
  type ListStoredObjectsOptions,
  type Logger,
  type ObjectBody,
  type ObjectInfo,
  type ObjectStoreCapabilities,
  type OperationOptions,
  type PagedAsyncIterableIterator,
  type StoredObject,
  type StoredObjectStream,
} from "@kbackup/core";
import { toKBackupError, type AzureErrorContext } from "../azure-errors.js";
import { resolveBlobOptions, type AzureBlobObjectStoreOptions, type ResolvedBlobOptions } from "./azure-blob-options.js";
import { fromBlobMetadata, toBlobMetadata } from "./blob-metadata.js";
import { blocksOf } from "./body-blocks.js";
import type { AcquireLeaseOptions, LeasableObjectStore, LeasedDeleteOptions, LeasedPutOptions, ObjectLease } from "./leasable-object-store.js";
import { assertValidConditions, assertValidKey, assertValidMetadata } from "./object-arguments.js";

// Azure's default content type: a blob written without one reads back with it.
const DEFAULT_CONTENT_TYPE = "application/octet-stream";
// How often an unconditional upload of bytes starts over when a concurrent commit discarded its blocks.
const UPLOAD_ATTEMPTS = 3;
// How often a parallel read starts over when the object changed between its ranges.
const READ_ATTEMPTS = 3;

type Conditions = { ifNoneMatch?: "*"; ifMatch?: string; leaseId?: string };

// The options objects that `secondary()` builds its read-only stores from, with what they share with the primary.
const secondaries = new WeakMap<AzureBlobObjectStoreOptions, { resolved: ResolvedBlobOptions; container: ContainerClient }>();

/**
 * An `ObjectStore` on an Azure Blob Storage container, with leases ({@link LeasableObjectStore})
 * and reads from the secondary region of a read-access geo-redundant account.
 *
 * - Objects are block blobs named `<prefix>/<key>`. A body up to `blockSizeInBytes` is one Put Blob;
 *   a larger or streamed one is staged in blocks (`uploadConcurrency` at a time) and made visible
 *   by one Put Block List at the end, so a failed or aborted upload leaves no blob and no change.
 * - `ifNoneMatch: "*"` and `ifMatch` are the service's own conditions, atomic between writers.
 * - Reads of large objects fetch `downloadConcurrency` ranges at once, all pinned to one ETag.
 * - A blob written without a content type reads back without one (Azure's default,
 *   `application/octet-stream`, reads as none).
 * - Keys list in the service's order, which is code unit order except that characters from
 *   U+E000 to U+FFFF sort after those beyond U+FFFF on Azure (Azurite sorts by code unit).
 * - Errors are `KBackupError`s that say what to check: PermissionDenied, NotFound (a missing
 *   container), Throttled (after retries), Unavailable, Conflict (leases), PreconditionFailed.
 */
export class AzureBlobObjectStore implements LeasableObjectStore {
  readonly capabilities: ObjectStoreCapabilities;
  readonly #options: ResolvedBlobOptions;
  readonly #container: ContainerClient;
  readonly #readOnly: boolean;
  readonly #logger: Logger;

  /** Throws `InvalidArgument` naming the field for missing or contradictory options; does no I/O. */
  constructor(options: AzureBlobObjectStoreOptions) {
    const secondaryOf = secondaries.get(options);
    this.#options = secondaryOf?.resolved ?? resolveBlobOptions(options);
    this.#container = secondaryOf?.container ?? this.#options.container;
    this.#readOnly = secondaryOf !== undefined;
    this.#logger = options.logger ?? silentLogger;
    this.capabilities = this.#readOnly
      ? { conditionalWrites: false, immutability: false, secondaryRead: false, leases: false }
      : { conditionalWrites: true, immutability: false, secondaryRead: this.#options.secondary !== undefined, leases: true };
  }

  /** The container's name. */
  get containerName(): string {
    return this.#container.containerName;
  }

  /**
   * A read-only store on the secondary endpoint (the paired region's copy, which may lag the
   * primary). Its writes fail with `Unsupported`. `Unsupported` when no `secondaryUrl` was given.
   */
  secondary(): AzureBlobObjectStore {
    const secondary = this.#options.secondary;
    if (this.#readOnly || secondary === undefined) {
      throw new KBackupError("Unsupported", "This store has no secondary endpoint: pass secondaryUrl (the account must be RA-GRS or RA-GZRS).");
    }
    const options: AzureBlobObjectStoreOptions = { logger: this.#logger };
    secondaries.set(options, { resolved: this.#options, container: secondary });
    return new AzureBlobObjectStore(options);
  }

  /** Stores `body` under `key` (see the class notes on atomicity); `leaseId` is needed on a leased blob. */
  async put(key: string, body: ObjectBody, options: LeasedPutOptions = {}): Promise<ObjectInfo> {
    assertValidKey(key);
    assertValidObjectBody(body);
    assertValidConditions(options);
    assertValidMetadata(options.metadata);
    if (options.contentType !== undefined && (typeof options.contentType !== "string" || options.contentType === "")) {
      throw invalidContentType();
    }
    this.#assertWritable("put");
    throwIfAborted(options.abortSignal);
    const conditions: Conditions = { ifNoneMatch: options.ifNoneMatch, ifMatch: options.ifMatch, leaseId: options.leaseId };
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#upload(key, body, conditions, options);
      } catch (error) {
        // A concurrent commit discarded this upload's blocks; bytes can be sent again, a stream cannot.
        const again = isKBackupError(error, "Conflict") && error.details?.azureErrorCode === "InvalidBlockList" && body instanceof Uint8Array;
        if (!again || attempt >= UPLOAD_ATTEMPTS || conditions.ifMatch !== undefined || conditions.ifNoneMatch !== undefined) throw error;
        this.#logger.warn("Azure blob upload restarted after a concurrent commit", { key, attempt });
      }
    }
  }

  /** The object (or a range of it), read in parallel ranges pinned to one ETag; undefined if missing. */
  async get(key: string, options: GetStoredObjectOptions = {}): Promise<StoredObject | undefined> {
    assertValidKey(key);
    assertValidByteRange(options.range);
    throwIfAborted(options.abortSignal);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#readWhole(key, options);
      } catch (error) {
        if (!(isKBackupError(error, "PreconditionFailed") && error.details?.changedWhileRead === true) || attempt >= READ_ATTEMPTS) throw error;
      }
    }
  }

  /** The object as a stream of chunks, pinned to the ETag it had when opened; undefined if missing. */
  async getStream(key: string, options: GetStoredObjectOptions = {}): Promise<StoredObjectStream | undefined> {
    assertValidKey(key);
    assertValidByteRange(options.range);
    throwIfAborted(options.abortSignal);
    const opened = await this.#download(key, options.range?.offset ?? 0, options.range?.length, undefined, options.abortSignal);
    if (opened === undefined || "empty" in opened) return opened && { info: opened.info, body: emptyStream() };
    const { info, response } = opened;
    const context = this.#context("read", key, options.abortSignal);
    const stream = response.readableStreamBody;
    async function* body(): AsyncGenerator<Uint8Array, void, undefined> {
      if (!stream) return;
      try {
        for await (const chunk of abortableIterable(stream as AsyncIterable<Buffer>, options.abortSignal)) yield new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length);
      } catch (error) {
        throw toKBackupError(error, context);
      } finally {
        (stream as { destroy?: () => void }).destroy?.();
      }
    }
    return { info, body: body() };
  }

  /** The object's info; undefined if missing. */
  async head(key: string, options: OperationOptions = {}): Promise<ObjectInfo | undefined> {
    assertValidKey(key);
    throwIfAborted(options.abortSignal);
    return this.#head(key, options.abortSignal);
  }

  /** Objects under `prefix` in pages of at most `maxPageSize` (the service's limit is 5,000), resumable by token. */
  list(prefix: string, options: ListStoredObjectsOptions = {}): PagedAsyncIterableIterator<ObjectInfo> {
    if (typeof prefix !== "string" || prefix.includes("\0")) throw invalidArgumentOf("prefix", "must be a string without NUL");
    const context = this.#context("list", prefix === "" ? "(all)" : `${prefix}*`, options.abortSignal);
    return pagedIterator(async (continuationToken, maxPageSize) => {
      throwIfAborted(options.abortSignal);
      const page = await this.#call(context, async () => {
        const pages = this.#container
          .listBlobsFlat({ prefix: this.#options.prefix + prefix, includeMetadata: true, abortSignal: options.abortSignal })
          .byPage({ continuationToken, maxPageSize: maxPageSize === undefined ? undefined : Math.min(maxPageSize, 5000) });
        const next = await pages.next();
        return next.done ? undefined : next.value;
      });
      const items = (page?.segment.blobItems ?? []).map((item) => this.#infoOfItem(item));
      const token = page?.continuationToken;
      return token ? { items, continuationToken: token } : { items };
    });
  }

  /** Deletes the object and its blob snapshots; false when it was not there. */
  async delete(key: string, options: LeasedDeleteOptions = {}): Promise<boolean> {
    assertValidKey(key);
    assertValidConditions({ ifMatch: options.ifMatch, leaseId: options.leaseId });
    this.#assertWritable("delete");
    throwIfAborted(options.abortSignal);
    const context = this.#context("delete", key, options.abortSignal);
    try {
      await this.#call(context, () =>
        this.#blob(key).delete({
          deleteSnapshots: "include",
          conditions: { ifMatch: quoteEtag(options.ifMatch), leaseId: options.leaseId },
          abortSignal: options.abortSignal,
        }),
      );
      return true;
    } catch (error) {
      if (isKBackupError(error, "NotFound") && error.details?.azureErrorCode === "BlobNotFound") return false;
      // With If-Match the service answers 412 also for a missing blob.
      if (isKBackupError(error, "PreconditionFailed") && (await this.#head(key, options.abortSignal)) === undefined) return false;
      throw error;
    }
  }

  /** Takes an exclusive lease on an existing object: `NotFound` if missing, `Conflict` if leased. */
  async acquireLease(key: string, options: AcquireLeaseOptions): Promise<ObjectLease> {
    assertValidKey(key);
    const duration = options?.durationInSeconds;
    if (!(duration === -1 || (Number.isInteger(duration) && duration >= 15 && duration <= 60))) {
      throw invalidArgumentOf("options.durationInSeconds", "must be 15 to 60, or -1 for an infinite lease");
    }
    this.#assertWritable("acquireLease");
    throwIfAborted(options.abortSignal);
    const context = this.#context("acquireLease", key, options.abortSignal);
    const lease = this.#blob(key).getBlobLeaseClient(options.proposedLeaseId ?? randomUUID());
    const result = await this.#call(context, () => lease.acquireLease(duration, { abortSignal: options.abortSignal }));
    return { key, leaseId: result.leaseId ?? lease.leaseId, durationInSeconds: duration };
  }

  /** Restarts the lease's duration; `Conflict` if `leaseId` is not the object's lease. */
  async renewLease(key: string, leaseId: string, options: OperationOptions = {}): Promise<void> {
    assertValidKey(key);
    assertValidConditions({ leaseId });
    this.#assertWritable("renewLease");
    throwIfAborted(options.abortSignal);
    const context = this.#context("renewLease", key, options.abortSignal);
    await this.#call(context, () => this.#blob(key).getBlobLeaseClient(leaseId).renewLease({ abortSignal: options.abortSignal }));
  }

  /** Ends the lease at once; `Conflict` if `leaseId` is not the object's lease. */
  async releaseLease(key: string, leaseId: string, options: OperationOptions = {}): Promise<void> {
    assertValidKey(key);
    assertValidConditions({ leaseId });
    this.#assertWritable("releaseLease");
    throwIfAborted(options.abortSignal);
    const context = this.#context("releaseLease", key, options.abortSignal);
    await this.#call(context, () => this.#blob(key).getBlobLeaseClient(leaseId).releaseLease({ abortSignal: options.abortSignal }));
  }

  async #upload(key: string, body: ObjectBody, conditions: Conditions, options: LeasedPutOptions): Promise<ObjectInfo> {
    const signal = options.abortSignal;
    const context = this.#context("put", key, signal);
    const blob = this.#blob(key).getBlockBlobClient();
    const headers = { blobHTTPHeaders: { blobContentType: options.contentType }, metadata: toBlobMetadata(options.metadata) };
    const accessConditions = { ifNoneMatch: conditions.ifNoneMatch, ifMatch: quoteEtag(conditions.ifMatch), leaseId: conditions.leaseId };
    const blocks = blocksOf(key, body, this.#options.blockSizeInBytes, signal)[Symbol.asyncIterator]();
    const first = await blocks.next();
    const second = first.done ? first : await blocks.next();
    const write = async <T>(call: () => Promise<T>): Promise<T> => {
      try {
        return await this.#call(context, call);
      } catch (error) {
        throw conditionError(error, conditions, key);
      }
    };

    if (second.done) {
      const bytes = first.done ? new Uint8Array(0) : first.value;
      const response = await write(() => blob.upload(bytes, bytes.length, { ...headers, conditions: accessConditions, abortSignal: signal }));
      return this.#infoOfWrite(key, bytes.length, response, options);
    }

    // Fail early rather than after staging gigabytes; the commit checks the conditions again, atomically.
    if (conditions.ifNoneMatch !== undefined || conditions.ifMatch !== undefined) {
      const current = await this.#head(key, signal);
      if (conditions.ifNoneMatch !== undefined && current) throw alreadyExists(key);
      if (conditions.ifMatch !== undefined && current?.etag !== quoteEtag(conditions.ifMatch)) throw preconditionFailed(key);
    }
    const uploadId = randomUUID();
    const blockIds: string[] = [];
    let size = 0;
    async function* all(): AsyncGenerator<Uint8Array, void, undefined> {
      yield first.value as Uint8Array;
      yield second.value as Uint8Array;
      for (let next = await blocks.next(); !next.done; next = await blocks.next()) yield next.value;
    }
    this.#logger.debug("Azure blob upload in blocks", { key, uploadId });
    await forEachConcurrently(
      all(),
      this.#options.uploadConcurrency,
      async (block, index) => {
        // Ids of one length, unique to this upload, so concurrent uploads of one blob never share a block.
        const id = Buffer.from(`${uploadId}-${String(index).padStart(6, "0")}`).toString("base64");
        blockIds[index] = id;
        size += block.length;
        await write(() => blob.stageBlock(id, block, block.length, { conditions: { leaseId: conditions.leaseId }, abortSignal: signal }));
      },
      signal,
    );
    throwIfAborted(signal);
    const response = await write(() => blob.commitBlockList(blockIds, { ...headers, conditions: accessConditions, abortSignal: signal }));
    return this.#infoOfWrite(key, size, response, options);
  }

  async #readWhole(key: string, options: GetStoredObjectOptions): Promise<StoredObject | undefined> {
    const signal = options.abortSignal;
    const offset = options.range?.offset ?? 0;
    const wanted = options.range?.length;
    const blockSize = this.#options.blockSizeInBytes;
    const firstLength = wanted === undefined ? blockSize : Math.min(wanted, blockSize);
    const opened = await this.#download(key, offset, firstLength, undefined, signal);
    if (opened === undefined || "empty" in opened) return opened && { info: opened.info, body: new Uint8Array(0) };
    const { info, response } = opened;
    const end = wanted === undefined ? info.size : Math.min(info.size, offset + wanted);
    const body = new Uint8Array(Math.max(0, end - offset));
    const head = await readAll(response, body, this.#context("get", key, signal), signal);
    if (head < body.length) {
      const rest = Buffer.from(body.buffer, body.byteOffset + head, body.length - head);
      const context = this.#context("get", key, signal);
      try {
        await this.#call(context, () =>
          this.#blob(key).downloadToBuffer(rest, offset + head, rest.length, {
            blockSize,
            concurrency: this.#options.downloadConcurrency,
            conditions: { ifMatch: info.etag },
            abortSignal: signal,
          }),
        );
      } catch (error) {
        if (isKBackupError(error, "PreconditionFailed") || (isKBackupError(error, "NotFound") && error.details?.azureErrorCode === "BlobNotFound")) {
          throw new KBackupError("PreconditionFailed", `${key} changed while it was read.`, { cause: error, details: { changedWhileRead: true } });
        }
        throw error;
      }
    }
    return { info, body };
  }

  /**
   * Opens a download of `count` bytes (to the end when undefined) at `offset`. A missing blob is
   * undefined; a range that is empty or starts at or past the end is `{ empty, info }`.
   */
  async #download(
    key: string,
    offset: number,
    count: number | undefined,
    etag: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<{ info: ObjectInfo; response: BlobDownloadResponseParsed } | { empty: true; info: ObjectInfo } | undefined> {
    const context = this.#context("get", key, signal);
    const emptyRead = async () => {
      const info = await this.#head(key, signal);
      return info && { empty: true as const, info };
    };
    if (count === 0) return emptyRead();
    try {
      const response = await this.#call(context, () =>
        this.#blob(key).download(offset, count, { abortSignal: signal, maxRetryRequests: 5, conditions: etag ? { ifMatch: etag } : undefined }),
      );
      return { info: this.#infoOfRead(key, response), response };
    } catch (error) {
      if (isKBackupError(error, "NotFound") && error.details?.azureErrorCode === "BlobNotFound") return undefined;
      if (isKBackupError(error) && error.details?.statusCode === 416) return emptyRead();
      throw error;
    }
  }

  async #head(key: string, signal: AbortSignal | undefined): Promise<ObjectInfo | undefined> {
    const context = this.#context("head", key, signal);
    try {
      const properties = await this.#call(context, () => this.#blob(key).getProperties({ abortSignal: signal }));
      return this.#infoOfProperties(key, properties);
    } catch (error) {
      if (isKBackupError(error, "NotFound") && error.details?.azureErrorCode === "BlobNotFound") return undefined;
      throw error;
    }
  }

  /**
   * Runs one service call, as a `KBackupError` on failure. The SDK retries 500, 503 and network
   * failures itself; 429 is retried here, as often and with the same first delay.
   */
  async #call<T>(context: AzureErrorContext, call: () => Promise<T>): Promise<T> {
    return withRetry(
      async () => {
        try {
          return await call();
        } catch (error) {
          throw toKBackupError(error, context);
        }
      },
      {
        abortSignal: context.abortSignal,
        maxAttempts: this.#options.maxTries,
        initialDelayInMs: this.#options.retryDelayInMs,
        maxDelayInMs: 120_000,
        isRetryable: (error) => isKBackupError(error, "Throttled") && error.details?.statusCode === 429,
        onRetry: (error, attempt, delayInMs) => this.#logger.warn("Azure throttled a request; retrying", { operation: context.operation, attempt, delayInMs }),
      },
    );
  }

  #context(operation: string, key: string, abortSignal: AbortSignal | undefined): AzureErrorContext {
    return { operation: `${operation} of ${key}`, resource: `blob ${this.#options.prefix}${key} in container "${this.#container.containerName}"`, abortSignal };
  }

  #blob(key: string) {
    return this.#container.getBlobClient(this.#options.prefix + key);
  }

  #assertWritable(operation: string): void {
    if (this.#readOnly) throw new KBackupError("Unsupported", `The secondary endpoint of container "${this.#container.containerName}" is read-only: ${operation} on the primary store.`);
  }

  #infoOfWrite(key: string, size: number, response: { etag?: string; lastModified?: Date }, options: LeasedPutOptions): ObjectInfo {
    return info(key, size, response.etag, response.lastModified, options.contentType, options.metadata && Object.keys(options.metadata).length > 0 ? { ...options.metadata } : undefined);
  }

  #infoOfRead(key: string, response: BlobDownloadResponseParsed): ObjectInfo {
    const total = /\/(\d+)$/.exec(response.contentRange ?? "")?.[1];
    return info(key, total === undefined ? (response.contentLength ?? 0) : Number(total), response.etag, response.lastModified, response.contentType, fromBlobMetadata(response.metadata));
  }

  #infoOfProperties(key: string, properties: BlobGetPropertiesResponse): ObjectInfo {
    return info(key, properties.contentLength ?? 0, properties.etag, properties.lastModified, properties.contentType, fromBlobMetadata(properties.metadata));
  }

  #infoOfItem(item: BlobItem): ObjectInfo {
    const { properties } = item;
    return info(item.name.slice(this.#options.prefix.length), properties.contentLength ?? 0, properties.etag, properties.lastModified, properties.contentType, fromBlobMetadata(item.metadata));
  }
}

function info(key: string, size: number, etag: string | undefined, lastModified: Date | undefined, contentType: string | undefined, metadata: Record<string, string> | undefined): ObjectInfo {
  const result: ObjectInfo = { key, size, etag: quoteEtag(etag) ?? "", lastModified: lastModified ?? new Date(0) };
  if (contentType !== undefined && contentType !== "" && contentType !== DEFAULT_CONTENT_TYPE) result.contentType = contentType;
  if (metadata !== undefined && Object.keys(metadata).length > 0) result.metadata = metadata;
  return result;
}

/** ETags in their quoted HTTP form, whether the service (listings) or the caller gave them bare. */
function quoteEtag(etag: string | undefined): string | undefined {
  if (etag === undefined) return undefined;
  return etag.startsWith('"') || etag.startsWith("W/") ? etag : `"${etag}"`;
}

/** The error of a failed conditional write: the condition's own code when the condition failed. */
function conditionError(error: unknown, conditions: Conditions, key: string): unknown {
  if (!isKBackupError(error)) return error;
  const status = error.details?.statusCode;
  const code = error.details?.azureErrorCode;
  if (conditions.ifNoneMatch !== undefined && (code === "BlobAlreadyExists" || (status === 412 && code === "ConditionNotMet") || code === "InvalidBlockList")) {
    return alreadyExists(key, error);
  }
  if (conditions.ifMatch !== undefined && (status === 412 || code === "InvalidBlockList")) return preconditionFailed(key, error);
  if (code === "InvalidBlockList") {
    return new KBackupError("Conflict", `Another writer committed ${key} while this upload ran, which discarded its blocks; write it again.`, { cause: error, details: error.details });
  }
  return error;
}

function alreadyExists(key: string, cause?: unknown): KBackupError {
  return new KBackupError("AlreadyExists", `${key} already exists (create-only put).`, { cause, details: { key } });
}

function preconditionFailed(key: string, cause?: unknown): KBackupError {
  return new KBackupError("PreconditionFailed", `${key} does not have the ETag given in ifMatch (it changed or does not exist).`, { cause, details: { key } });
}

function invalidContentType(): KBackupError {
  return invalidArgumentOf("options.contentType", "must be a non-empty string");
}

function invalidArgumentOf(field: string, message: string): KBackupError {
  return new KBackupError("InvalidArgument", `${field}: ${message}`, { field });
}

async function* emptyStream(): AsyncGenerator<Uint8Array, void, undefined> {}

/** Reads a download's body into `target`; returns the bytes read (all the response had, at most target's size). */
async function readAll(response: BlobDownloadResponseParsed, target: Uint8Array, context: AzureErrorContext, signal: AbortSignal | undefined): Promise<number> {
  const stream = response.readableStreamBody;
  if (!stream) return 0;
  let filled = 0;
  try {
    for await (const chunk of abortableIterable(stream as AsyncIterable<Buffer>, signal)) {
      const taken = Math.min(chunk.length, target.length - filled);
      target.set(chunk.subarray(0, taken), filled);
      filled += taken;
    }
  } catch (error) {
    throw toKBackupError(error, context);
  } finally {
    (stream as { destroy?: () => void }).destroy?.();
  }
  return filled;
}
