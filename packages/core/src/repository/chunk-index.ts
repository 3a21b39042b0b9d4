import type { ObjectStore } from "../ports/object-store.js";
import { forEachConcurrently } from "../util/concurrency.js";
import { KBackupError } from "../errors.js";
import { INDEX_FOLDER, indexIdOf } from "./repository-layout.js";
import { decodeIndex, type PackDescription } from "./pack-format.js";
import { KnownChunkFilter } from "./known-chunk-filter.js";
import { openObject } from "./sealed-object.js";

/** Where a chunk is stored. */
export interface ChunkLocation {
  packId: string;
  offset: number;
  length: number;
  rawLength: number;
}

/** What `refresh` needs to reach and read index objects. */
export interface IndexSource {
  store: ObjectStore;
  prefix: string;
  encryptionKey: Uint8Array;
  abortSignal?: AbortSignal | undefined;
}

/**
 * The repository-level index: chunk id → pack, offset, length, built from every `index/` object.
 * `refresh` makes it match the store: it reads index objects it has not seen and forgets those that
 * are gone (garbage collection consolidates and deletes them).
 */
export class ChunkIndex {
  /** Every id ever indexed or pending, for worker threads to skip stored chunks. */
  readonly filter = new KnownChunkFilter();
  readonly #objects = new Map<string, PackDescription[]>();
  #chunks = new Map<string, ChunkLocation>();
  #packs = new Map<string, PackDescription>();

  /** Where chunk `id` (hex) is, or undefined. */
  get(id: string): ChunkLocation | undefined {
    return this.#chunks.get(id);
  }

  has(id: string): boolean {
    return this.#chunks.has(id);
  }

  /** The pack as an index describes it, or undefined. */
  pack(packId: string): PackDescription | undefined {
    return this.#packs.get(packId);
  }

  /** Every index object name and the packs it lists. */
  objects(): ReadonlyMap<string, PackDescription[]> {
    return this.#objects;
  }

  /** Records an index object this process wrote. */
  add(name: string, packs: PackDescription[]): void {
    this.#objects.set(name, packs);
    this.#addPacks(packs);
  }

  #addPacks(packs: PackDescription[]): void {
    for (const pack of packs) {
      if (!this.#packs.has(pack.packId)) this.#packs.set(pack.packId, pack);
      for (const entry of pack.entries) {
        this.filter.add(entry.id);
        if (!this.#chunks.has(entry.id)) this.#chunks.set(entry.id, { packId: pack.packId, offset: entry.offset, length: entry.length, rawLength: entry.rawLength });
      }
    }
  }

  /** Lists `index/` and loads what changed. `Integrity` naming an index object that fails to open. */
  async refresh(source: IndexSource): Promise<void> {
    const { store, prefix, encryptionKey, abortSignal } = source;
    const present = new Set<string>();
    for await (const info of store.list(prefix + INDEX_FOLDER, { abortSignal })) {
      const name = info.key.slice(prefix.length);
      if (indexIdOf(name) !== undefined) present.add(name);
    }
    let removed = false;
    for (const name of [...this.#objects.keys()]) {
      if (!present.has(name)) {
        this.#objects.delete(name);
        removed = true;
      }
    }
    if (removed) {
      this.#chunks = new Map();
      this.#packs = new Map();
      for (const packs of this.#objects.values()) this.#addPacks(packs);
    }
    const unseen = [...present].filter((name) => !this.#objects.has(name));
    await forEachConcurrently(unseen, 8, async (name) => {
      const key = prefix + name;
      const object = await store.get(key, { abortSignal });
      if (object === undefined) return; // deleted since the list: a consolidation is under way
      const packs = decodeIndex(openObject(encryptionKey, name, key, object.body), key);
      this.add(name, packs);
    }, abortSignal);
  }
}

/** `Integrity` error for a chunk that no index lists. */
export function missingChunk(id: string, where: string): KBackupError {
  return new KBackupError("Integrity", `The chunk ${id} that ${where} references is in no index of the repository.`, { details: { chunkId: id } });
}
