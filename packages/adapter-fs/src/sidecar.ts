import type { BigIntStats } from "node:fs";
import { mkdir, open, readFile, rename, unlink } from "node:fs/promises";
import { dirname } from "node:path";
import { errnoOf } from "./fs-errors.js";
import type { StoreLayout } from "./store-layout.js";

/** What the store knows of one version of an object's file beyond what `stat` tells. */
export interface SidecarEntry {
  /** The `fileIdentity` of the file this entry describes. */
  file: string;
  etag: string;
  contentType?: string;
  metadata?: Record<string, string>;
}

interface SidecarDocument {
  key: string;
  entries: SidecarEntry[];
}

/**
 * Names one file version: inode, size and modification time in nanoseconds. A rename or link keeps
 * all three, so the temporary file's identity is the published object's.
 */
export function fileIdentity(stats: BigIntStats): string {
  return `${stats.ino}:${stats.size}:${stats.mtimeNs}`;
}

/** The entries of a sidecar; none when it is missing or unreadable. */
export async function readSidecar(path: string): Promise<SidecarEntry[]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if (errnoOf(error) === "ENOENT") return [];
    throw error;
  }
  try {
    const document = JSON.parse(text) as Partial<SidecarDocument>;
    return Array.isArray(document.entries) ? document.entries.filter((entry) => typeof entry?.file === "string" && typeof entry.etag === "string") : [];
  } catch {
    // A sidecar is only ever replaced whole by a rename, so a torn one means outside damage: treat it as absent.
    return [];
  }
}

/**
 * Replaces the sidecar of `key` whole (a temporary file renamed over it), or removes it when
 * `entries` is empty. With `durable`, the new sidecar is on disk before this returns.
 */
export async function writeSidecar(layout: StoreLayout, key: string, entries: SidecarEntry[], durable: boolean): Promise<void> {
  const path = layout.sidecarPath(key);
  if (entries.length === 0) {
    await unlink(path).catch((error: unknown) => {
      if (errnoOf(error) !== "ENOENT") throw error;
    });
    return;
  }
  const temporary = layout.temporaryPath();
  const document: SidecarDocument = { key, entries };
  const handle = await open(temporary, "wx");
  try {
    await handle.writeFile(JSON.stringify(document));
    if (durable) await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await mkdir(dirname(path), { recursive: true });
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  if (durable) await syncFolder(dirname(path));
}

/** Makes the entries of a folder (renames, links, removals in it) durable. */
export async function syncFolder(path: string): Promise<void> {
  const handle = await open(path, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
