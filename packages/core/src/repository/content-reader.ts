import { KBackupError, invalidArgument, isKBackupError, throwIfAborted } from "../errors.js";
import type { OperationOptions } from "../ports/options.js";
import type { SnapshotReader } from "../ports/snapshot-provider.js";
import { missingChunk } from "./chunk-index.js";
import { zeros } from "./content-cutter.js";
import type { ChunkRef, RepositoryContent } from "./repository-content.js";
import type { RepositoryContext } from "./repository-context.js";
import { names } from "./repository-layout.js";

/** Receives a volume's bytes in order. `bytes` may be shared (runs of zeros): read it, never modify it. */
export type VolumeSink = (offset: number, bytes: Uint8Array) => Promise<void>;

/** Options of {@link Repository.readVolume}, {@link Repository.readBlob} and {@link Repository.readBlobStream}. */
export interface ReadContentOptions extends OperationOptions {
  /** Chunks fetched at once; default the repository's concurrency. */
  concurrency?: number;
}

/**
 * A chunk's plain bytes, fetched by range from its pack, decrypted, decompressed and checked against
 * its id. All-zero chunks already seen come without a fetch. `Integrity` naming the pack key and the
 * chunk id when the chunk is in no index, its pack is missing or short, or it fails authentication,
 * decompression or the id check.
 */
export async function readChunk(context: RepositoryContext, ref: Pick<ChunkRef, "id" | "length">, abortSignal?: AbortSignal): Promise<Uint8Array> {
  if (context.zeroChunks.get(ref.id) === ref.length) return zeros(context.chunker.max).subarray(0, ref.length);
  const location = context.index.get(ref.id);
  if (location === undefined) throw missingChunk(ref.id, "the content");
  const key = context.prefix + names.pack(location.packId);
  const details = { key, chunkId: ref.id };
  if (location.rawLength !== ref.length) {
    throw new KBackupError("Integrity", `The chunk ${ref.id} is ${ref.length} bytes in the content but ${location.rawLength} in the index of ${key}.`, { details });
  }
  const object = await context.store.get(key, { range: { offset: location.offset, length: location.length }, abortSignal });
  if (object === undefined) throw new KBackupError("Integrity", `The pack ${key} holding chunk ${ref.id} is missing.`, { details });
  if (object.body.length !== location.length) {
    throw new KBackupError("Integrity", `The pack ${key} is truncated: chunk ${ref.id} at ${location.offset} should be ${location.length} bytes, ${object.body.length} were read.`, { details });
  }
  let bytes: Uint8Array;
  try {
    bytes = await context.processor.open(object.body, Buffer.from(ref.id, "hex"), ref.length);
  } catch (error) {
    if (isKBackupError(error)) throw error;
    throw new KBackupError("Integrity", `The chunk ${ref.id} in pack ${key} is damaged: ${(error as Error).message}.`, { cause: error, details });
  }
  if (bytes.length >= 64 && bytes[0] === 0 && Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).equals(zeros(context.chunker.max).subarray(0, bytes.length))) {
    context.zeroChunks.set(ref.id, ref.length);
  }
  return bytes;
}

/**
 * Reads a content's chunks in order and hands each to `sink`, fetching up to `concurrency` ahead.
 * Errors of `readChunk` and of the sink stop the read.
 */
export async function readContent(context: RepositoryContext, content: RepositoryContent, sink: VolumeSink, options: ReadContentOptions = {}): Promise<void> {
  const concurrency = options.concurrency ?? context.concurrency;
  if (!Number.isSafeInteger(concurrency) || concurrency < 1) throw invalidArgument("options.concurrency", "must be a positive integer");
  const { abortSignal } = options;
  const queue: Array<Promise<Uint8Array>> = [];
  let next = 0;
  const chunks = content.chunks;
  try {
    while (next < chunks.length || queue.length > 0) {
      while (next < chunks.length && queue.length < concurrency) {
        const fetch = readChunk(context, chunks[next] as ChunkRef, abortSignal);
        fetch.catch(() => undefined);
        queue.push(fetch);
        next++;
      }
      const index = next - queue.length;
      const bytes = await (queue.shift() as Promise<Uint8Array>);
      throwIfAborted(abortSignal);
      await sink((chunks[index] as ChunkRef).offset, bytes);
    }
  } finally {
    await Promise.allSettled(queue);
  }
}

/** The whole content as one array. `InvalidArgument` when it is larger than 1 GiB (read it as a stream). */
export async function readWhole(context: RepositoryContext, content: RepositoryContent, options: ReadContentOptions = {}): Promise<Uint8Array> {
  if (content.sizeInBytes > 1024 * 1024 * 1024) throw invalidArgument("content", "is larger than 1 GiB; read it with readVolume");
  const out = new Uint8Array(content.sizeInBytes);
  await readContent(context, content, async (offset, bytes) => out.set(bytes, offset), options);
  return out;
}

/** A content's bytes as a stream of chunks. */
export async function* streamContent(context: RepositoryContext, content: RepositoryContent, options: ReadContentOptions = {}): AsyncGenerator<Uint8Array> {
  for (const chunk of content.chunks) {
    const bytes = await readChunk(context, chunk, options.abortSignal);
    yield bytes;
  }
}

/**
 * Random reads of stored content, as a `SnapshotReader`: each read fetches the chunks it overlaps
 * (keeping the last few), so a restore can hydrate a disk in any order.
 */
export function contentReader(context: RepositoryContext, content: RepositoryContent): SnapshotReader {
  const cache = new Map<string, Promise<Uint8Array>>();
  const chunkAt = (offset: number): number => {
    let low = 0;
    let high = content.chunks.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      if ((content.chunks[middle] as ChunkRef).offset <= offset) low = middle;
      else high = middle - 1;
    }
    return low;
  };
  const fetch = (ref: ChunkRef, abortSignal?: AbortSignal): Promise<Uint8Array> => {
    let bytes = cache.get(ref.id);
    if (bytes === undefined) {
      bytes = readChunk(context, ref, abortSignal);
      cache.set(ref.id, bytes);
      bytes.catch(() => cache.delete(ref.id));
      if (cache.size > 4) cache.delete(cache.keys().next().value as string);
    }
    return bytes;
  };
  return {
    sizeInBytes: content.sizeInBytes,
    async read(offset, length, options = {}) {
      if (!Number.isSafeInteger(offset) || offset < 0) throw invalidArgument("offset", "must be a non-negative integer");
      if (!Number.isSafeInteger(length) || length < 0) throw invalidArgument("length", "must be a non-negative integer");
      const end = Math.min(content.sizeInBytes, offset + length);
      if (offset >= end) return new Uint8Array(0);
      const out = new Uint8Array(end - offset);
      for (let i = chunkAt(offset); i < content.chunks.length; i++) {
        const ref = content.chunks[i] as ChunkRef;
        if (ref.offset >= end) break;
        const bytes = await fetch(ref, options.abortSignal);
        const from = Math.max(offset, ref.offset);
        const to = Math.min(end, ref.offset + ref.length);
        out.set(bytes.subarray(from - ref.offset, to - ref.offset), from - offset);
      }
      return out;
    },
    async close() {
      cache.clear();
    },
  };
}
