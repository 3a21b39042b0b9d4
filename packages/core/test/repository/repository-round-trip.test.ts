import { afterEach, describe, expect, it } from "vitest";
import { MemoryObjectStore } from "@kbackup/adapter-memory";
import { collect, type Repository } from "@kbackup/core";
import { bytesReader, initRepository, mixedVolume, openRepository, randomBytesOf, readBack, textOf } from "./repository-fixtures.js";

const open: Repository[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((repository) => repository.close()));
});

describe.each([
  { workers: 0, path: "inline" },
  { workers: 2, path: "worker threads" },
])("repository round trips ($path)", ({ workers }) => {
  const volumes: Record<string, Uint8Array> = {
    empty: new Uint8Array(0),
    "one byte": new Uint8Array([42]),
    zeros: new Uint8Array(300_001),
    text: textOf(250_007, 1),
    random: randomBytesOf(333_333, 2),
    mixed: mixedVolume(1_000_003, 3),
  };

  it.each(Object.keys(volumes))("writes and reads back a volume of %s byte for byte", async (name) => {
    const store = new MemoryObjectStore();
    const repository = await initRepository(store, { workers });
    open.push(repository);
    const bytes = volumes[name] as Uint8Array;
    const content = await repository.writeVolume(bytesReader(bytes));
    expect(content.sizeInBytes).toBe(bytes.length);
    expect(content.chunks.reduce((sum, chunk) => sum + chunk.length, 0)).toBe(bytes.length);
    const snapshot = await repository.commitSnapshot({ volumes: { [name]: content } });
    expect(Buffer.from(await readBack(repository, content)).equals(Buffer.from(bytes))).toBe(true);

    const again = await openRepository(store, { workers });
    open.push(again);
    const stored = await again.getSnapshot(snapshot.id);
    expect(stored.volumes[name]).toEqual(content);
    expect(Buffer.from(await readBack(again, stored.volumes[name]!)).equals(Buffer.from(bytes))).toBe(true);
    await expect(again.verify(snapshot.id, { level: "full" })).resolves.toMatchObject({ level: "full", bytesChecked: expect.any(Number) });
  });

  it("stores blobs from bytes and from streams, and reads them whole, as a stream and at random offsets", async () => {
    const repository = await initRepository(new MemoryObjectStore(), { workers });
    open.push(repository);
    const archive = mixedVolume(200_000, 9);
    async function* pieces() {
      for (let at = 0; at < archive.length; at += 7_777) yield archive.subarray(at, at + 7_777);
    }
    const streamed = await repository.writeBlob(pieces());
    const manifest = await repository.writeBlob(Buffer.from('{"formatVersion":1}'));
    const snapshot = await repository.commitSnapshot({ blobs: { "resources.tar.gz": streamed, "manifest.json": manifest }, properties: { recoveryPointId: "rp-1" }, tags: { tier: "vault" } });
    expect(snapshot.properties).toEqual({ recoveryPointId: "rp-1" });
    expect(Buffer.from(await repository.readBlob(snapshot.blobs["manifest.json"]!)).toString()).toBe('{"formatVersion":1}');
    expect(Buffer.from(await repository.readBlob(streamed)).equals(Buffer.from(archive))).toBe(true);
    expect(Buffer.concat(await collect(repository.readBlobStream(streamed))).equals(Buffer.from(archive))).toBe(true);

    const reader = repository.openVolume(streamed);
    for (const [offset, length] of [[0, 10], [65_530, 20_000], [199_990, 100], [123_456, 0]] as const) {
      const got = await reader.read(offset, length);
      expect(Buffer.from(got).equals(Buffer.from(archive.subarray(offset, offset + length)))).toBe(true);
    }
    await reader.close();
  });
});

describe("repository", () => {
  it("compresses text, stores random bytes raw, and stores a long zero run as one chunk", async () => {
    const store = new MemoryObjectStore();
    const repository = await initRepository(store);
    open.push(repository);
    const writer = repository.startSnapshot();
    await writer.writeVolume(bytesReader(new Uint8Array(5_000_000)));
    expect(writer.statistics.chunksStored).toBeLessThanOrEqual(2);
    const text = await writer.writeVolume(bytesReader(textOf(1_000_000, 5)));
    const random = await writer.writeVolume(bytesReader(randomBytesOf(1_000_000, 6)));
    await writer.commit({ volumes: { text, random } });
    let packBytes = 0;
    for await (const info of store.list("packs/")) packBytes += info.size;
    // Text compresses to well under half; random data cannot shrink and gains only framing.
    expect(packBytes).toBeGreaterThan(1_000_000);
    expect(packBytes).toBeLessThan(1_000_000 + 500_000);
  });

  it("keeps each repository under its prefix, and refuses a second init there", async () => {
    const store = new MemoryObjectStore();
    const a = await initRepository(store, { prefix: "vault/a/" });
    const b = await initRepository(store, { prefix: "vault/b/" });
    open.push(a, b);
    await a.commitSnapshot({ volumes: { v: await a.writeVolume(bytesReader(textOf(50_000, 1))) } });
    expect(await b.listSnapshots()).toEqual([]);
    const keys = (await collect(store.list(""))).map((info) => info.key);
    expect(keys.every((key) => key.startsWith("vault/a/") || key.startsWith("vault/b/"))).toBe(true);
    await expect(initRepository(store, { prefix: "vault/a/" })).rejects.toMatchObject({ code: "AlreadyExists" });
  });

  it("rejects bad arguments before writing anything", async () => {
    const store = new MemoryObjectStore();
    await expect(initRepository(store, { chunker: { minSizeInBytes: 4096, averageSizeInBytes: 10_000, maxSizeInBytes: 65_536 } })).rejects.toMatchObject({ code: "InvalidArgument", field: "options.chunker.averageSizeInBytes" });
    await expect(initRepository(store, { prefix: "/abs/" })).rejects.toMatchObject({ code: "InvalidArgument", field: "prefix" });
    await expect(initRepository(store, { workers: -1 })).rejects.toMatchObject({ code: "InvalidArgument", field: "options.workers" });
    expect(await collect(store.list(""))).toEqual([]);
    const repository = await initRepository(store);
    open.push(repository);
    await expect(repository.writeVolume({ sizeInBytes: -1, read: async () => new Uint8Array() })).rejects.toMatchObject({ field: "reader.sizeInBytes" });
    await expect(repository.writeVolume(bytesReader(new Uint8Array(10)), { changedRanges: [] })).rejects.toMatchObject({ field: "options.changedRanges" });
    await expect(repository.commitSnapshot({ id: "../escape" })).rejects.toMatchObject({ code: "InvalidArgument", field: "id" });
    await expect(repository.getSnapshot("missing")).rejects.toMatchObject({ code: "NotFound" });
    await expect(openRepository(new MemoryObjectStore())).rejects.toMatchObject({ code: "NotFound" });
  });

  it("refuses a snapshot id that exists, and keeps the first", async () => {
    const repository = await initRepository(new MemoryObjectStore());
    open.push(repository);
    await repository.commitSnapshot({ id: "daily-1", properties: { n: 1 } });
    await expect(repository.commitSnapshot({ id: "daily-1", properties: { n: 2 } })).rejects.toMatchObject({ code: "AlreadyExists", field: "id" });
    expect((await repository.getSnapshot("daily-1")).properties).toEqual({ n: 1 });
  });
});
