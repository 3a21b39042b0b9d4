import { KBackupError, invalidArgument, isKBackupError } from "../errors.js";
import type { ObjectInfo } from "../ports/object-store.js";
import type { OperationOptions } from "../ports/options.js";
import { forEachConcurrently } from "../util/concurrency.js";
import { withRetry } from "../util/retry.js";
import { encodeIndex, type PackDescription, type PackEntry } from "./pack-format.js";
import { PackWriter } from "./pack-writer.js";
import { chunkIdsOf, type RepositorySnapshot } from "./repository-content.js";
import type { RepositoryContext } from "./repository-context.js";
import { assertNameId, COPIES_FOLDER, names, newObjectId, packIdOf, PACKS_FOLDER } from "./repository-layout.js";
import { sealObject } from "./sealed-object.js";
import type { CopyMarker } from "./snapshot-writer.js";

/** Options of {@link Repository.gc}. */
export interface GarbageCollectionOptions extends OperationOptions {
  /** The time the safety window counts back from; default the repository's clock. */
  now?: Date;
  /**
   * Packs modified, and copy markers refreshed, within this many milliseconds before `now` are
   * never touched. Make it far longer than any copy's pause between two packs (hours or days).
   */
  safetyWindowInMs: number;
  /** When given, only these snapshots are kept: the others are deleted first. */
  retainedSnapshotIds?: string[];
  /** A pack that has live chunks is rewritten when at least this fraction of its bytes is garbage. Default 0.5. */
  repackThreshold?: number;
}

/** What a garbage collection did. */
export interface GarbageCollectionReport {
  /** True when copies in flight made it delete no pack. */
  deferred: boolean;
  /** Copy ids whose markers are fresh (in flight). */
  liveCopies: string[];
  /** Copy markers older than the safety window that were removed. */
  staleCopiesRemoved: string[];
  snapshotsDeleted: string[];
  snapshotsRetained: number;
  /** Packs deleted: wholly garbage, rewritten, or never indexed (left by crashed copies). */
  packsDeleted: number;
  packsRepacked: number;
  orphanPacksDeleted: number;
  /** Unreferenced chunks no longer stored. */
  chunksRemoved: number;
  /** Bytes of packs deleted less bytes of packs written. */
  bytesReclaimed: number;
}

interface PackState {
  info: ObjectInfo;
  entries: Map<string, PackEntry>;
}

/**
 * Removes chunks that no retained snapshot references. Packs younger than the safety window are
 * never deleted; while a copy is in flight (a fresh marker) nothing is deleted at all. Steps: read
 * the markers; read the snapshots and the index; rewrite packs that are mostly garbage; write one
 * consolidated index without the chunks of packs to delete and delete the index objects it
 * replaces; read the markers again (a copy that started since may hold the old index: then stop,
 * leaving the packs unindexed for the next run); delete the packs.
 */
export async function collectGarbage(context: RepositoryContext, options: GarbageCollectionOptions): Promise<GarbageCollectionReport> {
  const { store, prefix, keys, index } = context;
  const { abortSignal } = options;
  if (!Number.isSafeInteger(options?.safetyWindowInMs) || options.safetyWindowInMs < 0) throw invalidArgument("options.safetyWindowInMs", "must be a non-negative integer");
  const now = options.now ?? context.clock.now();
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) throw invalidArgument("options.now", "must be a valid Date");
  const threshold = options.repackThreshold ?? 0.5;
  if (typeof threshold !== "number" || !(threshold >= 0 && threshold <= 1)) throw invalidArgument("options.repackThreshold", "must be a number from 0 to 1");
  const retained = options.retainedSnapshotIds === undefined ? undefined : new Set(options.retainedSnapshotIds);
  options.retainedSnapshotIds?.forEach((id, i) => assertNameId(id, `options.retainedSnapshotIds[${i}]`));
  const horizon = now.getTime() - options.safetyWindowInMs;

  const report: GarbageCollectionReport = {
    deferred: false,
    liveCopies: [],
    staleCopiesRemoved: [],
    snapshotsDeleted: [],
    snapshotsRetained: 0,
    packsDeleted: 0,
    packsRepacked: 0,
    orphanPacksDeleted: 0,
    chunksRemoved: 0,
    bytesReclaimed: 0,
  };

  const liveCopies = async (removeStale: boolean): Promise<string[]> => {
    const live: string[] = [];
    for await (const info of store.list(prefix + COPIES_FOLDER, { abortSignal })) {
      const copyId = info.key.slice(prefix.length + COPIES_FOLDER.length);
      const object = await store.get(info.key, { abortSignal });
      if (object === undefined) continue;
      let refreshedAt = info.lastModified.getTime();
      try {
        const marker = JSON.parse(Buffer.from(object.body).toString("utf8")) as CopyMarker;
        const time = Date.parse(marker.refreshedAt);
        if (!Number.isNaN(time)) refreshedAt = time;
      } catch {
        // An unreadable marker counts from its object's time.
      }
      if (refreshedAt > horizon) live.push(copyId);
      else if (removeStale) {
        await store.delete(info.key, { abortSignal });
        report.staleCopiesRemoved.push(copyId);
      }
    }
    return live;
  };

  report.liveCopies = await liveCopies(true);
  if (report.liveCopies.length > 0) {
    report.deferred = true;
    return report;
  }

  // Snapshots: the live set is what the retained ones reference.
  const snapshots = await context.listSnapshotIds(abortSignal);
  const live = new Set<string>();
  for (const id of snapshots) {
    if (retained !== undefined && !retained.has(id)) {
      await store.delete(prefix + names.snapshot(id), { abortSignal });
      report.snapshotsDeleted.push(id);
      continue;
    }
    let snapshot: RepositorySnapshot;
    try {
      snapshot = await context.readSnapshot(id, abortSignal);
    } catch (error) {
      if (isKBackupError(error, "NotFound")) continue; // deleted since the list
      throw error;
    }
    for (const chunkId of chunkIdsOf(snapshot)) live.add(chunkId);
    report.snapshotsRetained++;
  }

  await index.refresh({ store, prefix, encryptionKey: keys.encryptionKey, abortSignal });
  const replacedIndexObjects = [...index.objects().keys()];
  const indexed = new Map<string, Map<string, PackEntry>>();
  for (const packs of index.objects().values()) {
    for (const pack of packs) {
      let entries = indexed.get(pack.packId);
      if (entries === undefined) indexed.set(pack.packId, (entries = new Map()));
      for (const entry of pack.entries) entries.set(entry.id, entry);
    }
  }

  const keep: PackDescription[] = [];
  const doomed: ObjectInfo[] = [];
  const repack: PackState[] = [];
  const listed = new Set<string>();
  for await (const info of store.list(prefix + PACKS_FOLDER, { abortSignal })) {
    const packId = packIdOf(info.key.slice(prefix.length));
    if (packId === undefined) continue;
    listed.add(packId);
    const entries = indexed.get(packId);
    const old = info.lastModified.getTime() <= horizon;
    if (entries === undefined) {
      if (old) {
        doomed.push(info);
        report.orphanPacksDeleted++;
      }
      continue;
    }
    const all = [...entries.values()];
    const liveBytes = all.reduce((sum, entry) => sum + (live.has(entry.id) ? entry.length : 0), 0);
    const garbage = all.filter((entry) => !live.has(entry.id));
    const garbageBytes = garbage.reduce((sum, entry) => sum + entry.length, 0);
    if (!old || garbage.length === 0) {
      keep.push({ packId, size: info.size, entries: all });
    } else if (liveBytes === 0) {
      doomed.push(info);
      report.chunksRemoved += garbage.length;
    } else if (garbageBytes >= threshold * (liveBytes + garbageBytes)) {
      repack.push({ info, entries });
      report.chunksRemoved += garbage.length;
    } else {
      keep.push({ packId, size: info.size, entries: all });
    }
  }
  // Packs an index names but the store lacks stay indexed, so that verify can name them.
  for (const [packId, entries] of indexed) {
    if (!listed.has(packId)) keep.push({ packId, size: index.pack(packId)?.size ?? 0, entries: [...entries.values()] });
  }

  const written = await rewrite(context, repack, live, abortSignal);
  for (const pack of repack) doomed.push(pack.info);
  report.packsRepacked = repack.length;

  if (doomed.length > 0 || replacedIndexObjects.length > 1) {
    const consolidated = [...keep, ...written];
    const name = names.index(newObjectId());
    await withRetry(() => store.put(prefix + name, sealObject(keys.encryptionKey, name, encodeIndex(consolidated)), { abortSignal }), { abortSignal });
    const superseded = new Set([...replacedIndexObjects, ...written.map((pack) => names.index(pack.packId))]);
    await forEachConcurrently(superseded, 8, async (old) => {
      await store.delete(prefix + old, { abortSignal });
    }, abortSignal);
    await index.refresh({ store, prefix, encryptionKey: keys.encryptionKey, abortSignal });
  }

  const lateCopies = await liveCopies(false);
  if (lateCopies.length > 0) {
    report.deferred = true;
    report.liveCopies = lateCopies;
    return report;
  }
  await forEachConcurrently(doomed, 8, async (info) => {
    await store.delete(info.key, { abortSignal });
  }, abortSignal);
  report.packsDeleted = doomed.length;
  report.bytesReclaimed = doomed.reduce((sum, info) => sum + info.size, 0) - written.reduce((sum, pack) => sum + pack.size, 0);
  return report;
}

// Live chunks of mostly-garbage packs are copied, still sealed, into new packs: a blob's associated
// data is its chunk id, not its pack, so it moves without being decrypted. It is checked first, so
// that damage is reported rather than copied.
async function rewrite(context: RepositoryContext, packs: PackState[], live: Set<string>, abortSignal: AbortSignal | undefined): Promise<PackDescription[]> {
  if (packs.length === 0) return [];
  const { store, prefix, keys, index } = context;
  const writer = new PackWriter({
    store,
    prefix,
    encryptionKey: keys.encryptionKey,
    index,
    targetSizeInBytes: context.packTargetSizeInBytes,
    maxBlobSizeInBytes: context.chunker.max + 64,
    maxUploads: 2,
    skipIndexed: false,
    abortSignal,
  });
  try {
    for (const pack of packs) {
      for (const entry of pack.entries.values()) {
        if (!live.has(entry.id)) continue;
        const object = await store.get(pack.info.key, { range: { offset: entry.offset, length: entry.length }, abortSignal });
        const details = { key: pack.info.key, chunkId: entry.id };
        if (object === undefined || object.body.length !== entry.length) {
          throw new KBackupError("Integrity", `The pack ${pack.info.key} is truncated or gone: chunk ${entry.id} cannot be copied.`, { details });
        }
        const blob = object.body.slice();
        try {
          await context.processor.open(object.body, Buffer.from(entry.id, "hex"), entry.rawLength);
        } catch (error) {
          if (isKBackupError(error)) throw error;
          throw new KBackupError("Integrity", `The chunk ${entry.id} in pack ${pack.info.key} is damaged: ${(error as Error).message}.`, { cause: error, details });
        }
        await writer.add(entry.id, blob, entry.rawLength);
      }
    }
    await writer.finish();
  } catch (error) {
    await writer.settle();
    throw error;
  }
  return [...writer.written];
}
