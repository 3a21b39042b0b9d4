import { fork } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FileSystemObjectStore } from "@kbackup/adapter-fs";
import { collect, isKBackupError, type KBackupError } from "@kbackup/core";
import { fsError } from "../src/fs-errors.js";

const bytes = (text: string) => new TextEncoder().encode(text);
const MiB = 1024 * 1024;

async function failure(promise: Promise<unknown>): Promise<KBackupError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!isKBackupError(error)) throw new Error(`expected a KBackupError, got ${String(error)}`);
  return error;
}

/** Every file and folder under `root`, relative, sorted; folders end with `/`. */
async function tree(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .map((entry) => join(entry.parentPath, entry.name).slice(root.length + 1) + (entry.isDirectory() ? "/" : ""))
    .sort();
}

let root: string;
let store: FileSystemObjectStore;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "kbackup-fs-"));
  store = new FileSystemObjectStore({ root });
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("FileSystemObjectStore layout", () => {
  it("creates a missing root and keeps each object as the plain file <root>/<key>", async () => {
    const nested = join(root, "does", "not", "exist");
    const inside = new FileSystemObjectStore({ root: nested });
    await inside.put("recovery-points/rp-1/manifest.json", bytes('{"ok":true}'), { contentType: "application/json" });
    expect(await readFile(join(nested, "recovery-points", "rp-1", "manifest.json"), "utf8")).toBe('{"ok":true}');
    expect(inside.root).toBe(nested);
    // The store's own files stay under the reserved folder.
    expect((await tree(nested)).filter((path) => !path.startsWith(".kbackup"))).toEqual([
      "recovery-points/",
      "recovery-points/rp-1/",
      "recovery-points/rp-1/manifest.json",
    ]);
  });

  it("fails with InvalidArgument when the root is a file", async () => {
    await writeFile(join(root, "file"), "x");
    const error = await failure(new FileSystemObjectStore({ root: join(root, "file") }).head("a"));
    expect(error.code).toBe("InvalidArgument");
    expect(error.field).toBe("root");
  });

  it("uses the SHA-256 of the content as the ETag", async () => {
    const info = await store.put("a", bytes("content"));
    expect(info.etag).toBe(`"${createHash("sha256").update("content").digest("hex")}"`);
    expect((await store.put("b", bytes("content"))).etag).toBe(info.etag);
  });

  it("rejects keys a file system cannot hold or that would leave the root, writing nothing", async () => {
    const outside = join(root, "..", `escaped-${process.pid}`);
    for (const key of ["a\\b", "..\\escape", ".kbackup/tmp/x", ".kbackup", `${"x".repeat(256)}/y`, `../escaped-${process.pid}`, "/etc/passwd"]) {
      const error = await failure(store.put(key, bytes("x")));
      expect(error.code, key).toBe("InvalidArgument");
      expect(error.field).toBe("key");
      expect((await failure(store.get(key))).code).toBe("InvalidArgument");
    }
    await expect(stat(outside)).rejects.toMatchObject({ code: "ENOENT" });
    expect((await tree(root)).filter((path) => !path.startsWith(".kbackup"))).toEqual([]);
    // Names only look alike: these are ordinary keys.
    await store.put(".kbackupx/y", bytes("1"));
    await store.put("a/.kbackup", bytes("2"));
    expect((await collect(store.list(""))).map((info) => info.key)).toEqual([".kbackupx/y", "a/.kbackup"]);
  });

  it("refuses a key that is a folder of other objects, or that lies below an object, with Conflict", async () => {
    await store.put("a/b", bytes("1"));
    const asFolder = await failure(store.put("a", bytes("2")));
    expect(asFolder.code).toBe("Conflict");
    expect(asFolder.message).toContain("a");
    const below = await failure(store.put("a/b/c", bytes("3")));
    expect(below.code).toBe("Conflict");
    expect(await store.get("a")).toBeUndefined();
    expect(await store.get("a/b/c")).toBeUndefined();
    expect(await store.head("a/b/c")).toBeUndefined();
    expect(await store.delete("a")).toBe(false);
    expect((await collect(store.list(""))).map((info) => info.key)).toEqual(["a/b"]);
  });

  it("deletes the folders a delete leaves empty, and no others", async () => {
    await store.put("x/y/z/deep", bytes("1"));
    await store.put("x/other", bytes("2"));
    await store.delete("x/y/z/deep");
    expect((await tree(root)).filter((path) => !path.startsWith(".kbackup"))).toEqual(["x/", "x/other"]);
    await store.delete("x/other");
    expect((await tree(root)).filter((path) => !path.startsWith(".kbackup"))).toEqual([]);
    expect((await stat(root)).isDirectory()).toBe(true);
  });

  it("lists, reads and conditionally replaces a file put there by hand", async () => {
    await mkdir(join(root, "by-hand"));
    await writeFile(join(root, "by-hand", "notes.txt"), "first");
    const [listed] = await collect(store.list(""));
    expect(listed).toMatchObject({ key: "by-hand/notes.txt", size: 5 });
    expect(listed?.metadata).toBeUndefined();
    expect(new TextDecoder().decode((await store.get("by-hand/notes.txt"))?.body)).toBe("first");
    await writeFile(join(root, "by-hand", "notes.txt"), "second!");
    const rewritten = await store.head("by-hand/notes.txt");
    expect(rewritten?.etag).not.toBe(listed?.etag);
    await failure(store.put("by-hand/notes.txt", bytes("third"), { ifMatch: listed?.etag ?? "" })).then((error) => expect(error.code).toBe("PreconditionFailed"));
    await store.put("by-hand/notes.txt", bytes("third"), { ifMatch: rewritten?.etag ?? "", metadata: { by: "store" } });
    expect((await store.head("by-hand/notes.txt"))?.metadata).toEqual({ by: "store" });
  });
});

describe("FileSystemObjectStore temporary files", () => {
  it("never lists temporary files, and sweeps those of crashed writers once old enough", async () => {
    await store.put("kept", bytes("1"));
    const temporary = join(root, ".kbackup", "tmp");
    await writeFile(join(temporary, "crashed-writer.tmp"), "partial");
    await writeFile(join(temporary, "recent-writer.tmp"), "partial");
    const anHourAgo = new Date(Date.now() - 60 * 60 * 1000);
    await utimes(join(temporary, "crashed-writer.tmp"), anHourAgo, anHourAgo);
    expect((await collect(store.list(""))).map((info) => info.key)).toEqual(["kept"]);
    expect(await store.sweepTemporaryFiles({ olderThanInMs: 10 * 60 * 1000 })).toBe(1);
    expect(await readdir(temporary)).toEqual(["recent-writer.tmp"]);
    expect(await store.sweepTemporaryFiles({ olderThanInMs: 0 })).toBe(1);
    expect(await readdir(temporary)).toEqual([]);
    expect((await failure(store.sweepTemporaryFiles({ olderThanInMs: -1 }))).code).toBe("InvalidArgument");
  });

  it("streams a put to disk as it comes: the temporary file grows while the body is still arriving", async () => {
    let release = () => undefined as void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let reachedHalf = () => undefined as void;
    const half = new Promise<void>((resolve) => (reachedHalf = resolve));
    const body = async function* () {
      for (let index = 0; index < 64; index++) {
        if (index === 32) {
          reachedHalf();
          await released;
        }
        yield new Uint8Array(MiB).fill(index);
      }
    };
    const put = store.put("large", body());
    await half;
    const temporary = join(root, ".kbackup", "tmp");
    const [file] = await readdir(temporary);
    // All but the last staged MiB of the first 32 MiB are already on disk.
    expect((await stat(join(temporary, file ?? ""))).size).toBeGreaterThanOrEqual(31 * MiB);
    expect(await store.head("large")).toBeUndefined();
    release();
    expect((await put).size).toBe(64 * MiB);
    expect(await readdir(temporary)).toEqual([]);
    const stream = await store.getStream("large");
    let chunks = 0;
    for await (const chunk of stream?.body ?? []) {
      expect(chunk.length).toBeLessThanOrEqual(MiB);
      chunks++;
    }
    expect(chunks).toBeGreaterThanOrEqual(64);
  });
});

describe("FileSystemObjectStore locks", () => {
  const lockOf = async (key: string) => {
    await store.head(key); // makes the store's folders
    return join(root, ".kbackup", "locks", `${createHash("sha256").update(key).digest("hex")}.lock`);
  };

  it("breaks a key's lock left by a crashed process once it is stale", async () => {
    const lock = await lockOf("locked");
    await writeFile(lock, JSON.stringify({ pid: 0 }));
    const aMinuteAgo = new Date(Date.now() - 60_000);
    await utimes(lock, aMinuteAgo, aMinuteAgo);
    await store.put("locked", bytes("after the crash"));
    expect(new TextDecoder().decode((await store.get("locked"))?.body)).toBe("after the crash");
    await expect(stat(lock)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("waits for a live lock, and an abort ends the wait with Aborted, writing nothing", async () => {
    const lock = await lockOf("busy");
    await writeFile(lock, JSON.stringify({ pid: 0 }));
    const controller = new AbortController();
    const put = store.put("busy", bytes("x"), { abortSignal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 20));
    controller.abort();
    expect((await failure(put)).code).toBe("Aborted");
    expect(await store.head("busy")).toBeUndefined();
    expect(await readdir(join(root, ".kbackup", "tmp"))).toEqual([]);
  });
});

describe("FileSystemObjectStore between processes", () => {
  const script = new URL("./fixtures/race-writer.ts", import.meta.url);
  const hooks = new URL("./fixtures/source-hooks.mjs", import.meta.url).href;

  async function race(mode: "create" | "increment", writers: number, rounds: number): Promise<unknown[]> {
    const children = Array.from({ length: writers }, (_, index) =>
      fork(script, [root, mode, `writer-${index}`, String(rounds)], {
        execArgv: ["--import", hooks, "--experimental-transform-types", "--no-warnings"],
        stdio: ["ignore", "inherit", "inherit", "ipc"],
      }),
    );
    const messages = children.map((child) => {
      const queue: unknown[] = [];
      const waiters: Array<(message: unknown) => void> = [];
      child.on("message", (message) => (waiters.shift() ?? ((value: unknown) => queue.push(value)))(message));
      child.on("exit", (code) => code !== 0 && (waiters.shift() ?? (() => undefined))({ error: `exited with ${code}` }));
      return () => (queue.length > 0 ? Promise.resolve(queue.shift()) : new Promise<unknown>((resolve) => waiters.push(resolve)));
    });
    try {
      expect(await Promise.all(messages.map((next) => next()))).toEqual(children.map(() => "ready"));
      for (const child of children) child.send("go");
      const results = (await Promise.all(messages.map((next) => next()))) as Array<{ result?: unknown; error?: string }>;
      for (const { error } of results) expect(error).toBeUndefined();
      return results.map(({ result }) => result);
    } finally {
      for (const child of children) if (child.exitCode === null) child.kill();
    }
  }

  it("create-only writes from two processes to the same keys: exactly one wins each time", async () => {
    const rounds = 150;
    const [first, second] = (await race("create", 2, rounds)) as [number[], number[]];
    for (let round = 0; round < rounds; round++) {
      const winners = [first.includes(round), second.includes(round)].filter(Boolean).length;
      expect(winners, `round ${round}`).toBe(1);
      const body = new TextDecoder().decode((await store.get(`race/${round}`))?.body);
      expect(body).toBe(`${first.includes(round) ? "writer-0" : "writer-1"}:${round}`);
    }
    expect((await collect(store.list("race/"))).length).toBe(rounds);
  });

  it("ifMatch updates from three processes lose no update", async () => {
    await store.put("counter", bytes("0"));
    const rounds = 40;
    await race("increment", 3, rounds);
    expect(new TextDecoder().decode((await store.get("counter"))?.body)).toBe(String(3 * rounds));
  });
});

describe("fsError", () => {
  it("maps file system errors to codes, naming the key", () => {
    const cases: Array<[string, string]> = [
      ["ENOSPC", "PermissionDenied"],
      ["EDQUOT", "PermissionDenied"],
      ["EACCES", "PermissionDenied"],
      ["EPERM", "PermissionDenied"],
      ["EROFS", "PermissionDenied"],
      ["EMFILE", "Unavailable"],
      ["ENAMETOOLONG", "InvalidArgument"],
      ["ENOTDIR", "Conflict"],
      ["EIO", "Adapter"],
    ];
    for (const [errno, code] of cases) {
      const cause = Object.assign(new Error(`${errno}: something`), { code: errno });
      const error = fsError(cause, "Writing object", "backups/rp-1/resources.tar.gz");
      expect(error.code, errno).toBe(code);
      expect(error.message).toContain("backups/rp-1/resources.tar.gz");
      expect(error.cause).toBe(cause);
      expect(error.details).toMatchObject({ key: "backups/rp-1/resources.tar.gz", errno });
    }
  });
});
