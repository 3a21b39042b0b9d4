import { KBackupError, isKBackupError } from "../errors.js";
import type { Logger } from "../ports/logger.js";
import type { ObjectStore } from "../ports/object-store.js";
import type { SnapshotProvider } from "../ports/snapshot-provider.js";
import { pagedIterator, type PagedAsyncIterableIterator } from "../util/paged.js";
import { IN_PROGRESS_FILE, MANIFEST_FILE, RECOVERY_POINTS_FOLDER, SUMMARY_FILE, isRecoveryPointId, recoveryPointKeys } from "./layout.js";
import { parseManifest, summarize, type RecoveryPointManifest, type RecoveryPointSummary } from "./manifest.js";

/** Reads a recovery point's manifest; NotFound when there is no committed recovery point of that id. */
export async function readManifest(store: ObjectStore, instancePrefix: string, recoveryPointId: string, abortSignal?: AbortSignal): Promise<RecoveryPointManifest> {
  if (!isRecoveryPointId(recoveryPointId)) {
    throw new KBackupError("InvalidArgument", `recoveryPointId: "${recoveryPointId}" is not a recovery point id.`, { field: "recoveryPointId" });
  }
  const key = recoveryPointKeys(instancePrefix, recoveryPointId).manifest;
  const object = await store.get(key, { abortSignal });
  if (!object) throw new KBackupError("NotFound", `There is no recovery point ${recoveryPointId}.`, { field: "recoveryPointId" });
  return parseManifest(object.body, key);
}

/**
 * The committed recovery points of an instance, oldest first, from their summaries (a summary
 * missing after a crash, or damaged, is rebuilt from the manifest). Folders without a manifest are
 * not listed.
 */
export function listRecoveryPointSummaries(store: ObjectStore, instancePrefix: string, abortSignal?: AbortSignal): PagedAsyncIterableIterator<RecoveryPointSummary> {
  const folder = instancePrefix + RECOVERY_POINTS_FOLDER;
  return pagedIterator(async (token) => {
    const page = await store.list(folder, { abortSignal }).byPage({ ...(token ? { continuationToken: token } : {}) }).next();
    if (page.done) return { items: [] };
    const files = new Map<string, Set<string>>();
    for (const info of page.value.items) {
      const [id, file] = info.key.slice(folder.length).split("/");
      if (!id || !file) continue;
      if (!files.has(id)) files.set(id, new Set());
      files.get(id)!.add(file);
    }
    const items: RecoveryPointSummary[] = [];
    for (const [id, names] of files) {
      if (!names.has(MANIFEST_FILE)) continue;
      const keys = recoveryPointKeys(instancePrefix, id);
      const summary = names.has(SUMMARY_FILE) ? await store.get(keys.summary, { abortSignal }) : undefined;
      const parsed = summary ? parseSummary(summary.body) : undefined;
      if (parsed) {
        items.push(parsed);
      } else {
        const rebuilt = summarize(await readManifest(store, instancePrefix, id, abortSignal));
        await store.put(keys.summary, new TextEncoder().encode(JSON.stringify(rebuilt)), { contentType: "application/json" }).catch(() => undefined);
        items.push(rebuilt);
      }
    }
    return { items, ...(page.value.continuationToken ? { continuationToken: page.value.continuationToken } : {}) };
  });
}

/** A stored summary, or undefined when it is damaged (the manifest is then read instead). */
function parseSummary(bytes: Uint8Array): RecoveryPointSummary | undefined {
  try {
    const value = JSON.parse(new TextDecoder().decode(bytes)) as Partial<RecoveryPointSummary> | null;
    return typeof value?.recoveryPointId === "string" ? (value as RecoveryPointSummary) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Removes what backups that died left behind: folders with no manifest whose `in-progress.json`
 * is older than `olderThanInMs`, and the snapshots that marker lists. Returns the ids removed.
 * A folder still being written by a live backup is younger than the window and is left alone; so
 * is one whose snapshots or objects cannot be removed now (told to `logger`), marker and all, for
 * the next collection. A committed recovery point loses only a stale marker its backup left.
 * Throws only `Aborted`, and the store's error when the folder cannot be listed.
 */
export async function collectAbandonedRecoveryPoints(
  store: ObjectStore,
  instancePrefix: string,
  options: { now: Date; olderThanInMs: number; snapshotProvider?: SnapshotProvider; abortSignal?: AbortSignal; logger?: Logger },
): Promise<string[]> {
  const folder = instancePrefix + RECOVERY_POINTS_FOLDER;
  const byId = new Map<string, { keys: string[]; committed: boolean; markerTime?: Date }>();
  for await (const info of store.list(folder, { abortSignal: options.abortSignal })) {
    const [id, file] = info.key.slice(folder.length).split("/");
    if (!id || !file) continue;
    const entry = byId.get(id) ?? { keys: [], committed: false };
    entry.keys.push(info.key);
    if (file === MANIFEST_FILE) entry.committed = true;
    if (file === IN_PROGRESS_FILE) entry.markerTime = info.lastModified;
    byId.set(id, entry);
  }
  const removed: string[] = [];
  for (const [id, entry] of byId) {
    const age = entry.markerTime ? options.now.getTime() - entry.markerTime.getTime() : Number.POSITIVE_INFINITY;
    if (age < options.olderThanInMs) continue;
    const marked = recoveryPointKeys(instancePrefix, id).inProgress;
    try {
      if (entry.committed) {
        // Its backup committed but could not remove its marker; the snapshots it lists are the recovery point's.
        if (entry.markerTime) await store.delete(marked, { abortSignal: options.abortSignal });
        continue;
      }
      const marker = await store.get(marked, { abortSignal: options.abortSignal });
      const handles = marker ? ((JSON.parse(new TextDecoder().decode(marker.body)) as { snapshots?: string[] }).snapshots ?? []) : [];
      for (const handle of handles) {
        await options.snapshotProvider?.deleteSnapshot(handle, { abortSignal: options.abortSignal }).catch((error: unknown) => {
          if (!isKBackupError(error, "NotFound")) throw error;
        });
      }
      // The marker goes last, so a collection cut short is resumed by the next one.
      for (const key of entry.keys.filter((key) => key !== marked)) await store.delete(key, { abortSignal: options.abortSignal });
      await store.delete(marked, { abortSignal: options.abortSignal });
      removed.push(id);
    } catch (error) {
      if (isKBackupError(error, "Aborted")) throw error;
      // One folder that cannot be collected now must not stop the backups that call this.
      options.logger?.warn("What a failed backup left could not be collected yet; the next collection tries again.", { recoveryPointId: id, error });
    }
  }
  return removed;
}
