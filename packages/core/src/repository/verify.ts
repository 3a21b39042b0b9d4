import { KBackupError, invalidArgument, isKBackupError } from "../errors.js";
import type { OperationOptions } from "../ports/options.js";
import { forEachConcurrently } from "../util/concurrency.js";
import { readChunk } from "./content-reader.js";
import { chunkIdsOf, type RepositorySnapshot } from "./repository-content.js";
import type { RepositoryContext } from "./repository-context.js";
import { names } from "./repository-layout.js";

/** "index": every chunk is indexed and every pack is there with its size; "full": every chunk is also read and checked. */
export type VerifyLevel = "index" | "full";

/** Options of {@link Repository.verify}. */
export interface VerifyOptions extends OperationOptions {
  /** How much to check; default `"index"`. */
  level?: VerifyLevel;
}

/** One fault found: what is wrong, and the object (pack key) and chunk it is about. */
export interface VerifyProblem {
  message: string;
  key?: string;
  chunkId?: string;
}

/** What a verify that found nothing wrong checked. */
export interface VerifyReport {
  snapshotId: string;
  level: VerifyLevel;
  chunks: number;
  packs: number;
  /** Plain bytes read and checked ("full" only). */
  bytesChecked: number;
}

/**
 * Checks a snapshot at `level`; returns what it checked. Every fault is collected and reported in one
 * `Integrity` error whose message names the first faults' pack keys and chunk ids and whose
 * `details.problems` lists them all (up to 1,000).
 */
export async function verifySnapshot(context: RepositoryContext, snapshot: RepositorySnapshot, options: VerifyOptions = {}): Promise<VerifyReport> {
  const level = options.level ?? "index";
  if (level !== "index" && level !== "full") throw invalidArgument("options.level", 'must be "index" or "full"');
  const { store, prefix, keys, index } = context;
  const { abortSignal } = options;
  await index.refresh({ store, prefix, encryptionKey: keys.encryptionKey, abortSignal });
  const problems: VerifyProblem[] = [];
  const report = (problem: VerifyProblem) => {
    if (problems.length < 1000) problems.push(problem);
  };
  const lengths = new Map<string, number>();
  for (const content of [...Object.values(snapshot.volumes), ...Object.values(snapshot.blobs)]) {
    for (const chunk of content.chunks) lengths.set(chunk.id, chunk.length);
  }
  const packs = new Set<string>();
  for (const chunkId of chunkIdsOf(snapshot)) {
    const location = index.get(chunkId);
    if (location === undefined) report({ message: `chunk ${chunkId} is in no index`, chunkId });
    else packs.add(location.packId);
  }
  await forEachConcurrently(packs, 8, async (packId) => {
    const key = prefix + names.pack(packId);
    const info = await store.head(key, { abortSignal });
    const expected = index.pack(packId)?.size;
    if (info === undefined) report({ message: `pack ${key} is missing`, key });
    else if (info.size !== expected) report({ message: `pack ${key} is ${info.size} bytes, its index says ${String(expected)}`, key });
  }, abortSignal);
  let bytesChecked = 0;
  if (level === "full") {
    const faulty = new Set(problems.map((problem) => problem.chunkId ?? problem.key));
    await forEachConcurrently(lengths, context.concurrency, async ([chunkId, length]) => {
      const location = index.get(chunkId);
      if (location === undefined || faulty.has(prefix + names.pack(location.packId))) return;
      try {
        await readChunk({ ...context, zeroChunks: new Map() }, { id: chunkId, length }, abortSignal);
        bytesChecked += length;
      } catch (error) {
        if (!isKBackupError(error, "Integrity")) throw error;
        const details = error.details ?? {};
        report({ message: error.message, key: details.key as string | undefined, chunkId });
      }
    }, abortSignal);
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, 5).map((problem) => problem.message).join("; ");
    const first = problems[0] as VerifyProblem;
    throw new KBackupError("Integrity", `Snapshot ${snapshot.id} fails verification (${problems.length} fault${problems.length === 1 ? "" : "s"}): ${shown}.`, {
      details: { snapshotId: snapshot.id, key: first.key, chunkId: first.chunkId, problems },
    });
  }
  return { snapshotId: snapshot.id, level, chunks: lengths.size, packs: packs.size, bytesChecked };
}
