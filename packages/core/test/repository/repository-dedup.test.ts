import { afterEach, describe, expect, it } from "vitest";
import { MemoryObjectStore } from "@kbackup/adapter-memory";
import type { Repository } from "@kbackup/core";
import { bytesReader, initRepository, mixedVolume, randomBytesOf, readBack, rewriteBlocks, textOf } from "./repository-fixtures.js";

const open: Repository[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((repository) => repository.close()));
});

async function repository(workers = 0): Promise<Repository> {
  const created = await initRepository(new MemoryObjectStore(), { workers });
  open.push(created);
  return created;
}

const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

describe("deduplication", () => {
  it.each([0, 2])("uploads no chunk for the second copy of an unchanged volume (workers: %i)", async (workers) => {
    const repo = await repository(workers);
    const volume = mixedVolume(1_500_000, 1);
    const first = repo.startSnapshot();
    const content = await first.writeVolume(bytesReader(volume));
    await first.commit({ volumes: { disk: content } });
    expect(first.statistics.chunksStored).toBeGreaterThan(10);

    const second = repo.startSnapshot();
    const again = await second.writeVolume(bytesReader(volume));
    await second.commit({ volumes: { disk: again } });
    expect(again).toEqual(content);
    expect(second.statistics).toMatchObject({ chunksStored: 0, packsUploaded: 0, chunksReused: content.chunks.length, bytesRead: volume.length });
  });

  it("stores a volume that repeats another only once", async () => {
    const repo = await repository();
    const bytes = textOf(800_000, 2);
    const writer = repo.startSnapshot();
    const a = await writer.writeVolume(bytesReader(bytes));
    const stored = writer.statistics.chunksStored;
    const b = await writer.writeVolume(bytesReader(bytes.slice()));
    expect(writer.statistics.chunksStored).toBe(stored);
    expect(b.chunks.map((chunk) => chunk.id)).toEqual(a.chunks.map((chunk) => chunk.id));
  });

  it("uploads a few percent after 1% of 4 KiB blocks were rewritten, reading the whole volume", async () => {
    const repo = await repository();
    const volume = mixedVolume(8 * 1024 * 1024, 3);
    const first = repo.startSnapshot();
    const content = await first.writeVolume(bytesReader(volume));
    await first.commit({ volumes: { disk: content } });

    // 1% of the 2,048 blocks, in five runs of four: writes cluster, as on real disks.
    const changed = rewriteBlocks(volume, 5, 4, 7);
    const second = repo.startSnapshot();
    const next = await second.writeVolume(bytesReader(changed.bytes));
    await second.commit({ volumes: { disk: next } });
    expect(second.statistics.bytesRead).toBe(volume.length);
    expect(second.statistics.bytesStored / volume.length).toBeLessThan(0.06);
    expect(second.statistics.bytesUploaded / volume.length).toBeLessThan(0.06);
    expect(same(await readBack(repo, next), changed.bytes)).toBe(true);
  });

  it("re-reads only the parent's chunks that overlap changed ranges", async () => {
    const repo = await repository();
    const volume = mixedVolume(4 * 1024 * 1024, 4);
    const first = await repo.writeVolume(bytesReader(volume));
    await repo.commitSnapshot({ volumes: { disk: first } });

    const changed = rewriteBlocks(volume, 4, 2, 9);
    const reader = bytesReader(changed.bytes);
    const writer = repo.startSnapshot();
    const next = await writer.writeVolume(reader, { parent: first, changedRanges: changed.ranges });
    await writer.commit({ volumes: { disk: next } });
    expect(reader.bytesRead).toBeLessThan(volume.length * 0.1);
    expect(reader.bytesRead).toBeGreaterThanOrEqual(4 * 2 * 4096);
    expect(writer.statistics.chunksReused).toBeGreaterThan(first.chunks.length * 0.8);
    expect(same(await readBack(repo, next), changed.bytes)).toBe(true);
    await expect(repo.verify((await repo.listSnapshots()).at(-1)!, { level: "full" })).resolves.toBeDefined();

    // No change at all: nothing is read.
    const idle = bytesReader(changed.bytes);
    const unchanged = await repo.startSnapshot().writeVolume(idle, { parent: next, changedRanges: [] });
    expect(idle.bytesRead).toBe(0);
    expect(unchanged).toEqual(next);
  });

  it("follows a volume that grew or shrank against its parent", async () => {
    const repo = await repository();
    const volume = randomBytesOf(600_000, 5);
    const first = await repo.writeVolume(bytesReader(volume));
    const grown = new Uint8Array(900_001);
    grown.set(volume);
    grown.set(textOf(300_001, 6), 600_000);
    const bigger = await repo.writeVolume(bytesReader(grown), { parent: first, changedRanges: [] });
    await repo.commitSnapshot({ volumes: { first, bigger } });
    expect(same(await readBack(repo, bigger), grown)).toBe(true);
    const shrunk = volume.slice(0, 250_003);
    const smaller = await repo.writeVolume(bytesReader(shrunk), { parent: first, changedRanges: [{ offset: 0, length: 10 }] });
    await repo.commitSnapshot({ volumes: { smaller } });
    expect(same(await readBack(repo, smaller), shrunk)).toBe(true);
    const empty = await repo.writeVolume(bytesReader(new Uint8Array(0)), { parent: first, changedRanges: [] });
    expect(empty).toEqual({ sizeInBytes: 0, chunks: [] });
  });

  it("reads again the parent's chunks that this repository does not hold", async () => {
    const other = await repository();
    const repo = await repository();
    const volume = mixedVolume(300_000, 8);
    const foreign = await other.writeVolume(bytesReader(volume));
    const reader = bytesReader(volume);
    const content = await repo.writeVolume(reader, { parent: foreign, changedRanges: [] });
    expect(reader.bytesRead).toBe(volume.length);
    await repo.commitSnapshot({ volumes: { disk: content } });
    expect(same(await readBack(repo, content), volume)).toBe(true);
  });

  it("refuses a commit that references chunks the repository does not hold", async () => {
    const other = await repository();
    const repo = await repository();
    const foreign = await other.writeVolume(bytesReader(randomBytesOf(100_000, 9)));
    await expect(repo.commitSnapshot({ volumes: { disk: foreign } })).rejects.toMatchObject({ code: "InvalidArgument" });
    expect(await repo.listSnapshots()).toEqual([]);
  });
});
