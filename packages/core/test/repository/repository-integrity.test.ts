import { afterEach, describe, expect, it } from "vitest";
import { MemoryObjectStore } from "@kbackup/adapter-memory";
import { collect, type Repository, type RepositorySnapshot } from "@kbackup/core";
import { bytesReader, initRepository, mixedVolume, openRepository, readBack } from "./repository-fixtures.js";

const open: Repository[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((repository) => repository.close()));
});

interface Fixture {
  store: MemoryObjectStore;
  snapshot: RepositorySnapshot;
  /** The snapshot's last chunk: random data, stored raw, so that a flipped byte cannot hide in compression. */
  chunkId: string;
}

async function fixture(): Promise<Fixture> {
  const store = new MemoryObjectStore();
  const writer = await initRepository(store);
  const content = await writer.writeVolume(bytesReader(mixedVolume(600_000, 1)));
  const snapshot = await writer.commitSnapshot({ volumes: { disk: content } });
  await writer.close();
  return { store, snapshot, chunkId: content.chunks.at(-1)!.id };
}

/** Opens the repository afresh (as a restore would) and returns it. */
async function reopen(store: MemoryObjectStore, workers = 0): Promise<Repository> {
  const repository = await openRepository(store, { workers });
  open.push(repository);
  return repository;
}

/** The pack that holds the fixture's chunk: the one without which the chunk cannot be read. */
async function packOf(fixture: Fixture): Promise<{ key: string }> {
  for (const info of await collect(fixture.store.list("packs/"))) {
    const saved = (await fixture.store.get(info.key))!.body;
    await fixture.store.delete(info.key);
    const repository = await reopen(fixture.store);
    const length = fixture.snapshot.volumes.disk!.chunks.at(-1)!.length;
    const failed = await repository.openVolume({ sizeInBytes: length, chunks: [{ offset: 0, length, id: fixture.chunkId }] })
      .read(0, 1)
      .then(() => false, () => true);
    await fixture.store.put(info.key, saved);
    if (failed) return { key: info.key };
  }
  throw new Error("no pack holds the chunk");
}

describe("repository integrity", () => {
  it.each([0, 2])("names the pack and chunk of a flipped byte, in verify and in reads (workers: %i)", async (workers) => {
    const f = await fixture();
    const { key } = await packOf(f);
    const body = (await f.store.get(key))!.body;
    // Flip a byte in the middle of the pack's chunk data (past the 8-byte header).
    const damaged = body.slice();
    damaged[Math.floor(body.length / 3)]! ^= 0x40;
    await f.store.put(key, damaged);
    const repository = await reopen(f.store, workers);
    await expect(repository.verify(f.snapshot.id, { level: "index" })).resolves.toMatchObject({ level: "index" });
    const error = await repository.verify(f.snapshot.id, { level: "full" }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "Integrity", details: { key } });
    expect((error as Error).message).toContain(key);
    const problems = (error as { details: { problems: Array<{ chunkId?: string; key?: string }> } }).details.problems;
    expect(problems.length).toBeGreaterThanOrEqual(1);
    expect(problems.every((problem) => problem.key === key && /^[0-9a-f]{64}$/.test(problem.chunkId ?? ""))).toBe(true);
    await expect(readBack(repository, f.snapshot.volumes.disk!)).rejects.toMatchObject({ code: "Integrity", details: { key } });
  });

  it("names a truncated pack", async () => {
    const f = await fixture();
    const { key } = await packOf(f);
    const body = (await f.store.get(key))!.body;
    await f.store.put(key, body.slice(0, body.length - 100));
    const repository = await reopen(f.store);
    const error = await repository.verify(f.snapshot.id, { level: "index" }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "Integrity", details: { key } });
    expect((error as Error).message).toMatch(/is \d+ bytes, its index says \d+/);
    await expect(repository.verify(f.snapshot.id, { level: "full" })).rejects.toMatchObject({ code: "Integrity", details: { key } });
  });

  it("names a deleted pack", async () => {
    const f = await fixture();
    const { key } = await packOf(f);
    await f.store.delete(key);
    const repository = await reopen(f.store);
    await expect(repository.verify(f.snapshot.id, { level: "index" })).rejects.toMatchObject({ code: "Integrity", message: expect.stringContaining(`pack ${key} is missing`) });
    await expect(readBack(repository, f.snapshot.volumes.disk!)).rejects.toMatchObject({ code: "Integrity", details: { key } });
  });

  it("names the chunks of a deleted index", async () => {
    const f = await fixture();
    const { key } = await packOf(f);
    const indexKey = `index/${key.split("/").at(-1)}`;
    expect(await f.store.delete(indexKey)).toBe(true);
    const repository = await reopen(f.store);
    const error = await repository.verify(f.snapshot.id, { level: "index" }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "Integrity", details: { chunkId: expect.stringMatching(/^[0-9a-f]{64}$/) } });
    expect((error as Error).message).toMatch(/chunk [0-9a-f]{64} is in no index/);
    await expect(readBack(repository, f.snapshot.volumes.disk!)).rejects.toMatchObject({ code: "Integrity", message: expect.stringContaining("in no index") });
  });

  it("refuses a damaged index object, snapshot manifest or config", async () => {
    const f = await fixture();
    const snapshotKey = `snapshots/${f.snapshot.id}`;
    const manifest = (await f.store.get(snapshotKey))!.body.slice();
    manifest[manifest.length - 20]! ^= 1;
    await f.store.put(snapshotKey, manifest);
    const repository = await reopen(f.store);
    await expect(repository.getSnapshot(f.snapshot.id)).rejects.toMatchObject({ code: "Integrity", details: { key: snapshotKey } });

    const indexKey = (await collect(f.store.list("index/")))[0]!.key;
    const index = (await f.store.get(indexKey))!.body.slice();
    index[30]! ^= 1;
    await f.store.put(indexKey, index);
    await expect(reopen(f.store)).rejects.toMatchObject({ code: "Integrity", details: { key: indexKey } });

    await f.store.put("config", Buffer.from("{not json"));
    await expect(reopen(f.store)).rejects.toMatchObject({ code: "Integrity", details: { key: "config" } });
  });

  it("refuses a snapshot manifest renamed to another id", async () => {
    const f = await fixture();
    await f.store.put("snapshots/renamed", (await f.store.get(`snapshots/${f.snapshot.id}`))!.body);
    const repository = await reopen(f.store);
    await expect(repository.getSnapshot("renamed")).rejects.toMatchObject({ code: "Integrity", message: expect.stringContaining("fails authentication") });
  });
});
