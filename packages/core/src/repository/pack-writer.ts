import type { ObjectStore } from "../ports/object-store.js";
import { withRetry } from "../util/retry.js";
import type { ChunkIndex } from "./chunk-index.js";
import { encodeIndex, PACK_HEADER, packFooter, type PackDescription, type PackEntry } from "./pack-format.js";
import { releaseBytes } from "./release-bytes.js";
import { names, newObjectId } from "./repository-layout.js";
import { sealObject } from "./sealed-object.js";

/** What a pack writer needs. */
export interface PackWriterContext {
  store: ObjectStore;
  prefix: string;
  encryptionKey: Uint8Array;
  index: ChunkIndex;
  /** A pack is uploaded once its blobs reach this many bytes. */
  targetSizeInBytes: number;
  /** The largest blob a chunk can seal to, so one buffer of target + this always fits. */
  maxBlobSizeInBytes: number;
  /** Packs uploading at once. */
  maxUploads: number;
  abortSignal?: AbortSignal | undefined;
  /** Skip chunks the index already holds (default true; garbage collection copies them on purpose). */
  skipIndexed?: boolean;
  /** Told after each pack and its index are durable. */
  onPackWritten?: (pack: PackDescription, uploadedBytes: number) => Promise<void> | void;
}

/**
 * Gathers sealed chunks into packs and uploads each pack, then its index object, so that a chunk
 * counts as stored (is in the {@link ChunkIndex}) only once both are durable. Ids added but not yet
 * durable are `pending`, so that one copy never stores a chunk twice.
 */
export class PackWriter {
  readonly #context: PackWriterContext;
  #buffer: Buffer | undefined;
  #used = 0;
  #entries: PackEntry[] = [];
  readonly #pending = new Set<string>();
  readonly #uploads = new Set<Promise<void>>();
  #failure: { error: unknown } | undefined;
  readonly #written: PackDescription[] = [];

  constructor(context: PackWriterContext) {
    this.#context = context;
  }

  /** The packs this writer made durable, in order. */
  get written(): readonly PackDescription[] {
    return this.#written;
  }

  /** True when `id` was added and its pack is not yet durable. */
  isPending(id: string): boolean {
    return this.#pending.has(id);
  }

  /**
   * Adds a sealed chunk (ignored when `id` is already pending or indexed); waits while too many packs
   * upload. Throws the error of a failed upload.
   */
  async add(id: string, blob: Uint8Array, rawLength: number): Promise<void> {
    this.#throwIfFailed();
    if (this.#pending.has(id) || (this.#context.skipIndexed !== false && this.#context.index.has(id))) return;
    const capacity = this.#context.targetSizeInBytes + this.#context.maxBlobSizeInBytes + PACK_HEADER.length;
    if (this.#buffer !== undefined && this.#used + blob.length > this.#buffer.length) await this.#flush();
    if (this.#buffer === undefined) {
      this.#buffer = Buffer.allocUnsafe(Math.max(capacity, blob.length + PACK_HEADER.length));
      PACK_HEADER.copy(this.#buffer, 0);
      this.#used = PACK_HEADER.length;
    }
    this.#buffer.set(blob, this.#used);
    this.#entries.push({ id, offset: this.#used, length: blob.length, rawLength });
    this.#used += blob.length;
    releaseBytes(blob);
    this.#pending.add(id);
    this.#context.index.filter.add(id);
    if (this.#used - PACK_HEADER.length >= this.#context.targetSizeInBytes) await this.#flush();
  }

  /** Uploads what is left and waits for every upload; throws the first upload error. */
  async finish(): Promise<void> {
    if (this.#entries.length > 0) await this.#flush();
    while (this.#uploads.size > 0) await Promise.allSettled([...this.#uploads]);
    this.#throwIfFailed();
  }

  /** Waits for running uploads without starting one (after a failure elsewhere). */
  async settle(): Promise<void> {
    while (this.#uploads.size > 0) await Promise.allSettled([...this.#uploads]);
  }

  #throwIfFailed(): void {
    if (this.#failure) throw this.#failure.error;
  }

  async #flush(): Promise<void> {
    const buffer = this.#buffer as Buffer;
    const entries = this.#entries;
    const used = this.#used;
    this.#buffer = undefined;
    this.#entries = [];
    this.#used = 0;
    while (this.#uploads.size >= this.#context.maxUploads) await Promise.race(this.#uploads);
    this.#throwIfFailed();
    const upload = this.#upload(buffer, used, entries).catch((error: unknown) => {
      this.#failure ??= { error };
    });
    this.#uploads.add(upload);
    void upload.finally(() => this.#uploads.delete(upload));
  }

  async #upload(buffer: Buffer, used: number, entries: PackEntry[]): Promise<void> {
    const { store, prefix, encryptionKey, index, abortSignal } = this.#context;
    const packId = newObjectId();
    const packName = names.pack(packId);
    // The trailer repeats the pack's index, so a pack whose index object was lost can be re-indexed.
    const trailerPlain = encodeIndex([{ packId, size: 0, entries }]);
    const trailer = sealObject(encryptionKey, packName, trailerPlain);
    const size = used + trailer.length + 8;
    const body = size <= buffer.length ? buffer : Buffer.concat([buffer.subarray(0, used)], size);
    body.set(trailer, used);
    body.set(packFooter(trailer.length), used + trailer.length);
    await withRetry(() => store.put(prefix + packName, body.subarray(0, size), { abortSignal, contentType: "application/octet-stream" }), { abortSignal });
    const description: PackDescription = { packId, size, entries };
    const indexName = names.index(packId);
    const indexBody = sealObject(encryptionKey, indexName, encodeIndex([description]));
    await withRetry(() => store.put(prefix + indexName, indexBody, { abortSignal, contentType: "application/octet-stream" }), { abortSignal });
    index.add(indexName, [description]);
    this.#written.push(description);
    for (const entry of entries) this.#pending.delete(entry.id);
    await this.#context.onPackWritten?.(description, size + indexBody.length);
  }
}
