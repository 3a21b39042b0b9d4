import { createHmac } from "node:crypto";
import type { Clock } from "../ports/clock.js";
import type { Logger } from "../ports/logger.js";
import type { ObjectStore } from "../ports/object-store.js";
import type { ChunkIndex } from "./chunk-index.js";
import type { ContentDefinedChunker } from "./chunker.js";
import type { ChunkProcessor } from "./chunk-workers.js";
import { zeros } from "./content-cutter.js";
import type { RepositorySnapshot } from "./repository-content.js";
import type { RepositoryKeys } from "./repository-keys.js";

/** What the parts of an open repository share. */
export interface RepositoryContext {
  store: ObjectStore;
  prefix: string;
  keys: RepositoryKeys;
  index: ChunkIndex;
  chunker: ContentDefinedChunker;
  /** Workers when configured, else the inline processor. */
  processor: ChunkProcessor;
  /** Always inline: for tiny jobs (zero chunks) not worth a round trip to a worker. */
  inline: ChunkProcessor;
  clock: Clock;
  logger: Logger;
  packTargetSizeInBytes: number;
  /** Chunks in flight per copy or read, and pack uploads at once. */
  concurrency: number;
  /** Ids (hex) of all-zero chunks seen, with their lengths: read without fetching. */
  zeroChunks: Map<string, number>;
  /** Ids of zero runs by length. */
  zeroIds: Map<number, string>;
  /** Ids of committed snapshots, in key order. */
  listSnapshotIds(abortSignal?: AbortSignal): Promise<string[]>;
  /** A committed snapshot; `NotFound` when there is none with this id, `Integrity` when it is damaged. */
  readSnapshot(id: string, abortSignal?: AbortSignal): Promise<RepositorySnapshot>;
}

/** The id of `length` zero bytes, computed once per length (a handful of lengths occur in practice). */
export function zeroChunkId(context: RepositoryContext, length: number): string {
  let id = context.zeroIds.get(length);
  if (id === undefined) {
    id = createHmac("sha256", context.keys.idKey).update(zeros(context.chunker.max).subarray(0, length)).digest("hex");
    if (context.zeroIds.size < 4096) context.zeroIds.set(length, id);
    context.zeroChunks.set(id, length);
  }
  return id;
}
