import { afterEach, describe, expect, it } from "vitest";
import { MemoryObjectStore } from "@kbackup/adapter-memory";
import { ManualClock } from "@kbackup/testing";
import { collect, type Repository, type RepositoryContent } from "@kbackup/core";
import { bytesReader, initRepository, openRepository, randomBytesOf, readBack, textOf } from "./repository-fixtures.js";

const DAY = 24 * 60 * 60 * 1000;
const open: Repository[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((repository) => repository.close()));
});

async function setup() {
  const clock = new ManualClock("2025-03-01T00:00:00Z");
  const store = new MemoryObjectStore({ clock });
  const repository = await initRepository(store, { clock });
  open.push(repository);
  return { clock, store, repository };
}

function volumeOf(...parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}

async function packBytes(store: MemoryObjectStore): Promise<number> {
  return (await collect(store.list("packs/"))).reduce((sum, info) => sum + info.size, 0);
}

/** True when every chunk of `content` can still be read. */
async function readable(repository: Repository, content: RepositoryContent): Promise<boolean> {
  return readBack(repository, content).then(
    () => true,
    () => false,
  );
}

const shared = textOf(300_000, 1);
const uniqueA = randomBytesOf(300_000, 2);
const uniqueB = randomBytesOf(300_000, 3);

describe("garbage collection", () => {
  it("reclaims the chunks only a deleted snapshot used, and keeps those another snapshot shares", async () => {
    const { clock, store, repository } = await setup();
    const a = await repository.writeVolume(bytesReader(volumeOf(shared, uniqueA)));
    await repository.commitSnapshot({ id: "a", volumes: { disk: a } });
    const b = await repository.writeVolume(bytesReader(volumeOf(shared, uniqueB)));
    const snapshotB = await repository.commitSnapshot({ id: "b", volumes: { disk: b } });
    const before = await packBytes(store);

    await clock.advance(2 * DAY);
    expect(await repository.deleteSnapshot("a")).toBe(true);
    expect(await repository.deleteSnapshot("a")).toBe(false);
    const report = await repository.gc({ safetyWindowInMs: DAY, repackThreshold: 0 });
    expect(report).toMatchObject({ deferred: false, snapshotsRetained: 1 });
    expect(report.chunksRemoved).toBeGreaterThan(0);
    // uniqueA was random, stored raw: about that much space comes back.
    expect(before - (await packBytes(store))).toBeGreaterThan(uniqueA.length * 0.9);
    expect(report.bytesReclaimed).toBe(before - (await packBytes(store)));

    const fresh = await openRepository(store, { clock });
    open.push(fresh);
    expect(Buffer.from(await readBack(fresh, snapshotB.volumes.disk!)).equals(volumeOf(shared, uniqueB))).toBe(true);
    await fresh.verify("b", { level: "full" });
    const uniqueToA = a.chunks.filter((chunk) => !b.chunks.some((other) => other.id === chunk.id));
    expect(uniqueToA.length).toBeGreaterThan(0);
    expect(await readable(fresh, { sizeInBytes: uniqueToA[0]!.length, chunks: [{ ...uniqueToA[0]!, offset: 0 }] })).toBe(false);
    expect(await readable(fresh, a)).toBe(false);
  });

  it("never deletes packs younger than the safety window", async () => {
    const { clock, store, repository } = await setup();
    const a = await repository.writeVolume(bytesReader(uniqueA));
    await repository.commitSnapshot({ id: "a", volumes: { disk: a } });
    await repository.deleteSnapshot("a");
    await clock.advance(DAY / 2);
    const before = await packBytes(store);
    const report = await repository.gc({ safetyWindowInMs: DAY });
    expect(report.packsDeleted).toBe(0);
    expect(await packBytes(store)).toBe(before);
    expect(await readable(repository, a)).toBe(true);

    await clock.advance(DAY);
    expect((await repository.gc({ safetyWindowInMs: DAY })).packsDeleted).toBeGreaterThan(0);
    expect(await packBytes(store)).toBe(0);
  });

  it("keeps every chunk of a copy in flight, also old chunks it reuses from a deleted snapshot", async () => {
    const { clock, store, repository } = await setup();
    const old = await repository.writeVolume(bytesReader(volumeOf(shared, uniqueA)));
    await repository.commitSnapshot({ id: "old", volumes: { disk: old } });
    await repository.deleteSnapshot("old");
    await clock.advance(3 * DAY);

    const copy = repository.startSnapshot({ copyId: "in-flight" });
    const disk = await copy.writeVolume(bytesReader(volumeOf(shared, uniqueA, uniqueB)));
    expect(copy.statistics.chunksReused).toBeGreaterThan(0);
    await clock.advance(DAY / 4);
    const before = await packBytes(store);
    const report = await repository.gc({ safetyWindowInMs: DAY, repackThreshold: 0 });
    expect(report).toMatchObject({ deferred: true, liveCopies: ["in-flight"], packsDeleted: 0 });
    expect(await packBytes(store)).toBe(before);

    await copy.commit({ id: "new", volumes: { disk } });
    await clock.advance(3 * DAY);
    expect((await repository.gc({ safetyWindowInMs: DAY, repackThreshold: 0 })).deferred).toBe(false);
    expect(Buffer.from(await readBack(repository, disk)).equals(volumeOf(shared, uniqueA, uniqueB))).toBe(true);
    await repository.verify("new", { level: "full" });
  });

  it("lets a committing copy index again reused chunks whose index a collection dropped, or refuses if their packs are gone", async () => {
    const { store, repository } = await setup();
    const old = await repository.writeVolume(bytesReader(uniqueA));
    await repository.commitSnapshot({ id: "old", volumes: { disk: old } });

    // A collection that consolidated the index without these chunks, packs not yet deleted.
    const copy = repository.startSnapshot();
    const disk = await copy.writeVolume(bytesReader(uniqueA));
    for (const info of await collect(store.list("index/"))) await store.delete(info.key);
    await copy.commit({ id: "kept", volumes: { disk } });
    const fresh = await openRepository(store);
    open.push(fresh);
    await fresh.verify("kept", { level: "full" });

    // And one that deleted the packs too: the copy cannot be committed.
    const late = fresh.startSnapshot();
    const again = await late.writeVolume(bytesReader(uniqueA));
    for (const info of await collect(store.list(""))) if (/^(index|packs)\//.test(info.key)) await store.delete(info.key);
    await expect(late.commit({ id: "lost", volumes: { disk: again } })).rejects.toMatchObject({ code: "Conflict" });
    expect(await fresh.listSnapshots()).not.toContain("lost");
  });

  it("removes what a crashed copy left once its marker and packs are older than the window", async () => {
    const { clock, store, repository } = await setup();
    const kept = await repository.writeVolume(bytesReader(shared));
    await repository.commitSnapshot({ id: "kept", volumes: { disk: kept } });
    const keptBytes = await packBytes(store);
    const crashed = repository.startSnapshot({ copyId: "crashed" });
    await crashed.writeVolume(bytesReader(uniqueB));
    // The process dies here: no commit, no abort; the marker stays.
    await clock.advance(2 * DAY);
    const report = await repository.gc({ safetyWindowInMs: DAY });
    expect(report.staleCopiesRemoved).toEqual(["crashed"]);
    expect(report.packsDeleted).toBeGreaterThan(0);
    expect(await collect(store.list("copies/"))).toEqual([]);
    expect(await packBytes(store)).toBe(keptBytes);
    await repository.verify("kept", { level: "full" });
  });

  it("keeps only the retained snapshots when told which", async () => {
    const { clock, repository } = await setup();
    for (const [id, bytes] of [["one", uniqueA], ["two", uniqueB], ["three", shared]] as const) {
      await repository.commitSnapshot({ id, volumes: { disk: await repository.writeVolume(bytesReader(bytes)) } });
    }
    await clock.advance(2 * DAY);
    const report = await repository.gc({ safetyWindowInMs: DAY, retainedSnapshotIds: ["two"] });
    expect(report.snapshotsDeleted.sort()).toEqual(["one", "three"]);
    expect(await repository.listSnapshots()).toEqual(["two"]);
    await repository.verify("two", { level: "full" });
    await expect(repository.gc({ safetyWindowInMs: -1 })).rejects.toMatchObject({ code: "InvalidArgument", field: "options.safetyWindowInMs" });
  });
});
