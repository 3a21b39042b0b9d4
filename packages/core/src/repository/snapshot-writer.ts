import { invalidArgument, isKBackupError, KBackupError, throwIfAborted } from "../errors.js";
import type { ObjectBody } from "../ports/object-store.js";
import type { OperationOptions } from "../ports/options.js";
import type { SnapshotReader } from "../ports/snapshot-provider.js";
import { withRetry } from "../util/retry.js";
import { type ChunkLocation } from "./chunk-index.js";
import type { SealedChunk } from "./chunk-codec.js";
import { cutContent, readerFill, streamFill, zeros, type ContentPiece } from "./content-cutter.js";
import { decodeIndex, encodeIndex, PACK_FOOTER_SIZE, trailerLengthOf, type PackDescription } from "./pack-format.js";
import type { ChunkRef, RepositoryContent, RepositorySnapshot } from "./repository-content.js";
import { zeroChunkId, type RepositoryContext } from "./repository-context.js";
import { assertNameId, names, newObjectId, newSnapshotId, packIdOf, PACKS_FOLDER } from "./repository-layout.js";
import { PackWriter } from "./pack-writer.js";
import { releaseBytes } from "./release-bytes.js";
import { openObject, sealObject } from "./sealed-object.js";
import { encodeSnapshot } from "./snapshot-manifest.js";
import { assertContent, normalizeRanges, planVolume, type ByteSpan } from "./volume-plan.js";

/** A reader of a volume's bytes: a `SnapshotReader`, or anything with its size and `read`. */
export type VolumeSource = Pick<SnapshotReader, "sizeInBytes" | "read">;

/** Options of {@link SnapshotWriter.writeVolume}. */
export interface WriteVolumeOptions extends OperationOptions {
  /** The previous snapshot of the same volume, as this repository returned it. */
  parent?: RepositoryContent;
  /**
   * Byte ranges that may have changed since `parent` (a superset is fine). With them, only the
   * parent's chunks that overlap a change are read again; without them, the whole volume is read.
   */
  changedRanges?: ByteSpan[];
}

/** Options of {@link SnapshotWriter.writeBlob}. */
export interface WriteBlobOptions extends OperationOptions {}

/** Options of {@link SnapshotWriter.commit}. */
export interface CommitSnapshotOptions extends OperationOptions {
  /** The snapshot's id; default a new time-sortable id. Letters, digits, `.`, `_`, `-`. */
  id?: string;
  /** The volumes the snapshot keeps, by name, as `writeVolume` returned them. */
  volumes?: Record<string, RepositoryContent>;
  /** The blobs the snapshot keeps, by name, as `writeBlob` returned them. */
  blobs?: Record<string, RepositoryContent>;
  /** JSON facts to keep with the snapshot (the recovery point id, the backup instance name). */
  properties?: Record<string, unknown>;
  tags?: Record<string, string>;
}

/** What a copy did so far. */
export interface CopyStatistics {
  /** Bytes read from volume readers and blob bodies. */
  bytesRead: number;
  /** Chunks sealed into new packs, and their plain bytes. */
  chunksStored: number;
  bytesStored: number;
  /** Chunks found already stored (or all zeros and stored) and not uploaded again. */
  chunksReused: number;
  /** Bytes of packs and index objects uploaded. */
  bytesUploaded: number;
  packsUploaded: number;
}

/** The marker a copy in flight keeps at `copies/<copyId>`. */
export interface CopyMarker {
  copyId: string;
  startedAt: string;
  refreshedAt: string;
}

/** How often a copy in flight refreshes its marker, so that garbage collection keeps seeing it. */
export const COPY_MARKER_REFRESH_IN_MS = 5 * 60 * 1000;

/**
 * One copy into the repository: volumes and blobs written, then `commit` writes the snapshot
 * manifest, last. Until then nothing is published: a crash leaves packs that the next copy with the
 * same `copyId` reuses (and that garbage collection removes once old enough if none does).
 */
export class SnapshotWriter {
  readonly copyId: string;
  readonly statistics: CopyStatistics = { bytesRead: 0, chunksStored: 0, bytesStored: 0, chunksReused: 0, bytesUploaded: 0, packsUploaded: 0 };
  readonly #context: RepositoryContext;
  #started: Promise<void> | undefined;
  #packs: PackWriter | undefined;
  #startedAt: Date | undefined;
  #refreshedAt = 0;
  #committed = false;
  #busy = false;
  // Where reused chunks were when this copy chose to reuse them, to re-index them if a concurrent
  // garbage collection dropped their index.
  readonly #reused = new Map<string, ChunkLocation>();

  /** @internal Made by `Repository.startSnapshot`. */
  constructor(context: RepositoryContext, copyId: string) {
    this.#context = context;
    this.copyId = copyId;
  }

  /**
   * Stores a volume's bytes; returns its content record. With a `parent` and `changedRanges`, reads
   * only what changed. `InvalidArgument` for a bad reader, parent or range; the reader's and the
   * store's errors as they come.
   */
  async writeVolume(reader: VolumeSource, options: WriteVolumeOptions = {}): Promise<RepositoryContent> {
    if (typeof reader !== "object" || reader === null || typeof reader.read !== "function") throw invalidArgument("reader", "must have read(offset, length)");
    const size = reader.sizeInBytes;
    if (!Number.isSafeInteger(size) || size < 0) throw invalidArgument("reader.sizeInBytes", "must be a non-negative integer");
    if (options.parent !== undefined) assertContent(options.parent, "options.parent");
    if (options.changedRanges !== undefined && options.parent === undefined) throw invalidArgument("options.changedRanges", "needs options.parent");
    const changed = options.changedRanges === undefined ? undefined : normalizeRanges(options.changedRanges, size, "options.changedRanges");
    return this.#exclusive(options.abortSignal, async () => {
      const { abortSignal } = options;
      const refs: ChunkRef[] = [];
      const fill = readerFill(reader, abortSignal);
      const counted: typeof fill = async (target, at, max, position) => {
        const got = await fill(target, at, max, position);
        this.statistics.bytesRead += got;
        return got;
      };
      const segments = options.parent && changed ? planVolume(options.parent, size, changed, (id) => this.#isStored(id)) : [{ read: { start: 0, end: size } }];
      for (const segment of segments) {
        if ("reuse" in segment) {
          for (const chunk of segment.reuse) this.#noteReuse(chunk.id);
          refs.push(...segment.reuse.map((chunk) => ({ ...chunk })));
        } else if (segment.read.end > segment.read.start) {
          await this.#storePieces(cutContent(counted, this.#context.chunker, segment.read.start, segment.read.end, abortSignal), refs, abortSignal);
        }
      }
      return { sizeInBytes: size, chunks: refs };
    });
  }

  /** Stores a blob (bytes or a stream of byte chunks); returns its content record. */
  async writeBlob(body: ObjectBody, options: WriteBlobOptions = {}): Promise<RepositoryContent> {
    if (!(body instanceof Uint8Array) && (typeof body !== "object" || body === null || !(Symbol.asyncIterator in body))) {
      throw invalidArgument("body", "must be a Uint8Array or an async iterable of them");
    }
    return this.#exclusive(options.abortSignal, async () => {
      const fill = streamFill(body);
      const refs: ChunkRef[] = [];
      await this.#storePieces(cutContent(fill, this.#context.chunker, 0, Number.MAX_SAFE_INTEGER, options.abortSignal), refs, options.abortSignal);
      this.statistics.bytesRead += fill.total();
      return { sizeInBytes: fill.total(), chunks: refs };
    });
  }

  /**
   * Makes the copy durable and visible: uploads the last pack, makes sure every chunk the snapshot
   * references is indexed, then writes the snapshot manifest and removes the copy's marker. Returns
   * the snapshot. `InvalidArgument` for a bad id or content; `AlreadyExists` when a snapshot has
   * this id; `Conflict` when a chunk it reuses was removed by a concurrent garbage collection.
   */
  async commit(options: CommitSnapshotOptions = {}): Promise<RepositorySnapshot> {
    const id = options.id ?? newSnapshotId(this.#context.clock.now());
    assertNameId(id, "id");
    const volumes = options.volumes ?? {};
    const blobs = options.blobs ?? {};
    for (const [name, content] of Object.entries(volumes)) assertContent(content, `volumes.${name}`);
    for (const [name, content] of Object.entries(blobs)) assertContent(content, `blobs.${name}`);
    let properties: Record<string, unknown>;
    try {
      properties = JSON.parse(JSON.stringify(options.properties ?? {})) as Record<string, unknown>;
    } catch (cause) {
      throw invalidArgument("properties", "must be JSON", cause);
    }
    const tags = options.tags ?? {};
    for (const [key, value] of Object.entries(tags)) if (typeof value !== "string") throw invalidArgument(`tags.${key}`, "must be a string");
    if (this.#committed) throw new KBackupError("Conflict", `The copy ${this.copyId} is already committed.`);
    return this.#exclusive(options.abortSignal, async () => {
      const { abortSignal } = options;
      const { store, prefix, keys, index } = this.#context;
      await this.#packs?.finish();
      const referenced = new Set<string>();
      for (const content of [...Object.values(volumes), ...Object.values(blobs)]) for (const chunk of content.chunks) referenced.add(chunk.id);
      const before = new Map<string, ChunkLocation>();
      for (const chunkId of referenced) {
        const location = index.get(chunkId) ?? this.#reused.get(chunkId);
        if (location === undefined) throw invalidArgument("volumes", `chunk ${chunkId} is not stored in this repository`);
        before.set(chunkId, location);
      }
      await index.refresh({ store, prefix, encryptionKey: keys.encryptionKey, abortSignal });
      await this.#reindex([...referenced].filter((chunkId) => !index.has(chunkId)).map((chunkId) => [chunkId, before.get(chunkId) as ChunkLocation] as const), abortSignal);
      const snapshot: RepositorySnapshot = { id, time: this.#context.clock.now().toISOString(), copyId: this.copyId, volumes, blobs, properties, tags };
      const name = names.snapshot(id);
      const body = sealObject(keys.encryptionKey, name, encodeSnapshot(snapshot));
      await withRetry(async (attempt) => {
        try {
          await store.put(prefix + name, body, { ifNoneMatch: "*", abortSignal, contentType: "application/octet-stream" });
        } catch (error) {
          // A retried put whose first attempt landed finds its own manifest.
          if (attempt > 1 && isKBackupError(error, "AlreadyExists")) return;
          if (isKBackupError(error, "AlreadyExists")) throw new KBackupError("AlreadyExists", `A snapshot with id ${id} already exists.`, { field: "id", cause: error });
          throw error;
        }
      }, { abortSignal });
      this.#committed = true;
      this.statistics.bytesUploaded += body.length;
      await store.delete(prefix + names.copy(this.copyId), { abortSignal }).catch((error: unknown) => {
        this.#context.logger.warn("Could not remove a copy marker; garbage collection ignores it once it is stale.", { copyId: this.copyId, error: String(error) });
      });
      return snapshot;
    });
  }

  /** Gives up the copy: waits for running uploads and removes the marker. Packs stay for a later copy or garbage collection. */
  async abort(options: OperationOptions = {}): Promise<void> {
    await this.#packs?.settle();
    if (this.#started) await this.#context.store.delete(this.#context.prefix + names.copy(this.copyId), options).catch(() => false);
  }

  async #exclusive<T>(abortSignal: AbortSignal | undefined, work: () => Promise<T>): Promise<T> {
    throwIfAborted(abortSignal);
    if (this.#busy) throw new KBackupError("Conflict", "A copy writes one volume or blob at a time; wait for the previous call.");
    if (this.#committed) throw new KBackupError("Conflict", `The copy ${this.copyId} is already committed.`);
    this.#busy = true;
    try {
      this.#started ??= this.#start(abortSignal);
      await this.#started;
      return await work();
    } catch (error) {
      await this.#packs?.settle();
      throw error;
    } finally {
      this.#busy = false;
    }
  }

  // The marker goes first and the index is read after it: a garbage collection that does not see
  // the marker has already dropped from the index what it is about to delete.
  async #start(abortSignal: AbortSignal | undefined): Promise<void> {
    const { store, prefix, keys, index, clock } = this.#context;
    const markerKey = prefix + names.copy(this.copyId);
    const resumed = (await store.head(markerKey, { abortSignal })) !== undefined;
    this.#startedAt = clock.now();
    await this.#writeMarker(abortSignal);
    await index.refresh({ store, prefix, encryptionKey: keys.encryptionKey, abortSignal });
    if (resumed) await this.#recoverOrphanPacks(abortSignal);
    this.#packs = new PackWriter({
      store,
      prefix,
      encryptionKey: keys.encryptionKey,
      index,
      targetSizeInBytes: this.#context.packTargetSizeInBytes,
      maxBlobSizeInBytes: this.#context.chunker.max + 64,
      // Two packs uploading at once keep a remote store busy; each costs a pack's worth of memory.
      maxUploads: 2,
      abortSignal,
      onPackWritten: async (_pack, uploaded) => {
        this.statistics.bytesUploaded += uploaded;
        this.statistics.packsUploaded++;
        if (clock.now().getTime() - this.#refreshedAt >= COPY_MARKER_REFRESH_IN_MS) await this.#writeMarker(abortSignal);
      },
    });
  }

  async #writeMarker(abortSignal: AbortSignal | undefined): Promise<void> {
    const now = this.#context.clock.now();
    const marker: CopyMarker = { copyId: this.copyId, startedAt: (this.#startedAt ?? now).toISOString(), refreshedAt: now.toISOString() };
    await withRetry(() => this.#context.store.put(this.#context.prefix + names.copy(this.copyId), Buffer.from(JSON.stringify(marker)), { abortSignal, contentType: "application/json" }), { abortSignal });
    this.#refreshedAt = now.getTime();
  }

  // Packs whose index object never landed (a crash between the two puts) are indexed from their trailers.
  async #recoverOrphanPacks(abortSignal: AbortSignal | undefined): Promise<void> {
    const { store, prefix, keys, index, logger } = this.#context;
    for await (const info of store.list(prefix + PACKS_FOLDER, { abortSignal })) {
      const name = info.key.slice(prefix.length);
      const packId = packIdOf(name);
      if (packId === undefined || index.pack(packId) !== undefined) continue;
      try {
        const footer = await store.get(info.key, { range: { offset: info.size - PACK_FOOTER_SIZE, length: PACK_FOOTER_SIZE }, abortSignal });
        if (footer === undefined) continue;
        const trailerLength = trailerLengthOf(footer.body, info.size, info.key);
        const trailer = await store.get(info.key, { range: { offset: info.size - PACK_FOOTER_SIZE - trailerLength, length: trailerLength }, abortSignal });
        if (trailer === undefined) continue;
        const [pack] = decodeIndex(openObject(keys.encryptionKey, name, info.key, trailer.body), info.key);
        if (pack === undefined) continue;
        const description: PackDescription = { packId, size: info.size, entries: pack.entries };
        const indexName = names.index(packId);
        await store.put(prefix + indexName, sealObject(keys.encryptionKey, indexName, encodeIndex([description])), { abortSignal });
        index.add(indexName, [description]);
      } catch (error) {
        if (isKBackupError(error, "Aborted")) throw error;
        logger.warn("A pack without an index could not be recovered; garbage collection will remove it.", { key: info.key, error: String(error) });
      }
    }
  }

  // Chunks this copy reuses whose index vanished under it (a concurrent garbage collection
  // consolidated the index without them) are indexed again, if their packs are still there.
  async #reindex(missing: ReadonlyArray<readonly [string, ChunkLocation]>, abortSignal: AbortSignal | undefined): Promise<void> {
    if (missing.length === 0) return;
    const { store, prefix, keys, index } = this.#context;
    const byPack = new Map<string, PackDescription>();
    for (const [chunkId, location] of missing) {
      let pack = byPack.get(location.packId);
      if (pack === undefined) {
        const info = await store.head(prefix + names.pack(location.packId), { abortSignal });
        if (info === undefined) {
          throw new KBackupError("Conflict", `The chunk ${chunkId} this copy reuses was removed by a garbage collection during the copy; copy again.`, {
            details: { chunkId, key: prefix + names.pack(location.packId) },
          });
        }
        pack = { packId: location.packId, size: info.size, entries: [] };
        byPack.set(location.packId, pack);
      }
      pack.entries.push({ id: chunkId, offset: location.offset, length: location.length, rawLength: location.rawLength });
    }
    const indexName = names.index(newObjectId());
    const packs = [...byPack.values()];
    await withRetry(() => store.put(prefix + indexName, sealObject(keys.encryptionKey, indexName, encodeIndex(packs)), { abortSignal }), { abortSignal });
    index.add(indexName, packs);
  }

  #isStored(id: string): boolean {
    return this.#context.index.has(id) || (this.#packs?.isPending(id) ?? false);
  }

  #noteReuse(id: string): void {
    this.statistics.chunksReused++;
    const location = this.#context.index.get(id);
    if (location !== undefined) this.#reused.set(id, location);
  }

  // Chunks are processed in parallel, a bounded number and size at once, and their refs kept in order.
  async #storePieces(pieces: AsyncIterable<ContentPiece>, refs: ChunkRef[], abortSignal: AbortSignal | undefined): Promise<void> {
    const queue: Array<{ stored: Promise<ChunkRef>; length: number }> = [];
    const maxChunks = Math.max(4, this.#context.concurrency * 4);
    const maxBytes = 64 * 1024 * 1024;
    let queuedBytes = 0;
    const settleOne = async () => {
      const head = queue.shift() as { stored: Promise<ChunkRef>; length: number };
      queuedBytes -= head.length;
      refs.push(await head.stored);
    };
    try {
      for await (const piece of pieces) {
        throwIfAborted(abortSignal);
        const stored = this.#store(piece);
        stored.catch(() => undefined);
        const length = piece.bytes === undefined ? 0 : piece.length;
        queue.push({ stored, length });
        queuedBytes += length;
        while (queue.length > maxChunks || queuedBytes > maxBytes) await settleOne();
      }
      while (queue.length > 0) await settleOne();
    } catch (error) {
      await Promise.allSettled(queue.map((entry) => entry.stored));
      throw error;
    }
  }

  async #store(piece: ContentPiece): Promise<ChunkRef> {
    const { offset, length } = piece;
    if (piece.bytes === undefined) {
      const id = zeroChunkId(this.#context, length);
      if (this.#isStored(id)) this.#noteReuse(id);
      else await this.#add(id, await this.#context.inline.seal(this.#zeroView(length), Buffer.from(id, "hex")), length);
      return { offset, length, id };
    }
    const processed = await this.#context.processor.process(piece.bytes);
    const id = Buffer.from(processed.id).toString("hex");
    if (this.#isStored(id)) {
      this.#noteReuse(id);
      releaseBytes(piece.bytes);
      releaseBytes(processed.bytes);
      return { offset, length, id };
    }
    // Sealing was skipped on a false positive of the filter: seal here, it is rare.
    const sealed = processed.sealed ?? (await this.#context.inline.seal(processed.bytes as Uint8Array, processed.id));
    releaseBytes(piece.bytes);
    releaseBytes(processed.bytes);
    await this.#add(id, sealed, length);
    return { offset, length, id };
  }

  async #add(id: string, sealed: SealedChunk, length: number): Promise<void> {
    this.statistics.chunksStored++;
    this.statistics.bytesStored += length;
    await (this.#packs as PackWriter).add(id, sealed.blob, length);
  }

  #zeroView(length: number): Uint8Array {
    return zeros(this.#context.chunker.max).subarray(0, length);
  }
}
