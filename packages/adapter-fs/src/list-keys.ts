import type { Dirent } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { errnoOf } from "./fs-errors.js";
import { RESERVED_FOLDER } from "./object-store-arguments.js";

/**
 * Keys of the regular files under `root` that start with `prefix` and come after `after`, in code
 * unit order, read folder by folder (so memory grows with a folder's size, not the store's).
 * The reserved top folder, names no key can have, and anything but files and folders are skipped.
 *
 * Order: a folder `a` holds keys `a/...`, so within a folder an entry sorts as its name, plus `/`
 * for a folder; those sort keys are the prefixes of all the keys below them, in key order.
 */
export async function* walkKeys(root: string, prefix: string, after: string | undefined): AsyncGenerator<string> {
  yield* walk(root, "", prefix, after);
}

async function* walk(folder: string, folderKey: string, prefix: string, after: string | undefined): AsyncGenerator<string> {
  let entries: Dirent[];
  try {
    entries = await readdir(folder, { withFileTypes: true });
  } catch (error) {
    // A folder removed since its parent was read (a delete pruning it) holds nothing.
    if (errnoOf(error) === "ENOENT" || errnoOf(error) === "ENOTDIR") return;
    throw error;
  }
  const sorted = entries
    .filter((entry) => (entry.isFile() || entry.isDirectory()) && usableName(entry.name) && !(folderKey === "" && entry.name === RESERVED_FOLDER))
    .map((entry) => ({ entry, sortKey: folderKey + entry.name + (entry.isDirectory() ? "/" : "") }))
    .sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
  for (const { entry, sortKey } of sorted) {
    if (sortKey > prefix && !sortKey.startsWith(prefix)) return; // past every key with the prefix
    if (!sortKey.startsWith(prefix) && !prefix.startsWith(sortKey)) continue;
    if (entry.isDirectory()) {
      // Every key below sorts after the folder's sort key, and all of them before `after` unless it is below too.
      if (after !== undefined && sortKey < after && !after.startsWith(sortKey)) continue;
      yield* walk(join(folder, entry.name), sortKey, prefix, after);
    } else if (sortKey.startsWith(prefix) && (after === undefined || sortKey > after)) {
      yield sortKey;
    }
  }
}

function usableName(name: string): boolean {
  return !name.includes("\\") && name !== "." && name !== "..";
}
