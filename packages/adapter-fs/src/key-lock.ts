import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { link, mkdir, open, rename, stat, unlink } from "node:fs/promises";
import { dirname } from "node:path";
import { systemClock } from "@kbackup/core";
import { errnoOf } from "./fs-errors.js";

/** Options of {@link withKeyLock}. */
export interface KeyLockOptions {
  /** A lock file older than this is taken to be left by a crashed process, and broken. */
  staleAfterInMs: number;
  /** Stops waiting for the lock, failing with `Aborted`. */
  abortSignal?: AbortSignal;
}

/**
 * Runs `work` while holding the lock file `path`, between threads and processes alike.
 *
 * The lock is a file created with O_EXCL (`wx`), which exactly one creator wins on any local file
 * system. A holder only keeps it for the few file operations of a commit, never while a body
 * streams, so a lock older than `staleAfterInMs` can only be one a crashed process left; it is
 * broken by renaming it aside (which exactly one breaker wins) and, should it turn out to have been
 * renewed meanwhile, linking it back. Waiting backs off up to 50 ms between tries.
 */
export async function withKeyLock<T>(path: string, options: KeyLockOptions, work: () => Promise<T>): Promise<T> {
  await acquire(path, options);
  try {
    return await work();
  } finally {
    await unlink(path).catch(() => undefined);
  }
}

async function acquire(path: string, options: KeyLockOptions): Promise<void> {
  const owner = JSON.stringify({ pid: process.pid, host: hostname(), at: new Date().toISOString() });
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(path, "wx");
      await handle.writeFile(owner).finally(() => handle.close());
      return;
    } catch (error) {
      const errno = errnoOf(error);
      if (errno === "ENOENT") {
        await mkdir(dirname(path), { recursive: true });
        continue;
      }
      if (errno !== "EEXIST") throw error;
    }
    if (await isStale(path, options.staleAfterInMs)) {
      await breakStale(path, options.staleAfterInMs);
      continue;
    }
    const delay = Math.min(50, 2 ** Math.min(attempt, 6)) * (0.5 + Math.random() / 2);
    await systemClock.sleep(delay, { abortSignal: options.abortSignal });
  }
}

async function isStale(path: string, staleAfterInMs: number): Promise<boolean> {
  try {
    return Date.now() - (await stat(path)).mtimeMs > staleAfterInMs;
  } catch (error) {
    if (errnoOf(error) === "ENOENT") return false;
    throw error;
  }
}

async function breakStale(path: string, staleAfterInMs: number): Promise<void> {
  const aside = `${path}.stale-${randomUUID()}`;
  try {
    await rename(path, aside);
  } catch (error) {
    if (errnoOf(error) === "ENOENT") return; // another waiter broke it first
    throw error;
  }
  // Between our look and the rename, another breaker may have broken the stale lock and a new
  // holder taken the lock: if what was renamed is fresh, put it back.
  if (!(await isStale(aside, staleAfterInMs))) await link(aside, path).catch(() => undefined);
  await unlink(aside).catch(() => undefined);
}
