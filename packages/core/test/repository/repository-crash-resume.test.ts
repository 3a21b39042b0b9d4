import { describe, expect, it } from "vitest";
import { MemoryObjectStore } from "@kbackup/adapter-memory";
import { collect, KBackupError, type ObjectStore } from "@kbackup/core";
import { bytesReader, initRepository, mixedVolume, openRepository, readBack } from "./repository-fixtures.js";

/**
 * The store as a process that dies at its `crashAt`-th put sees it: that put and every later one
 * fail (and store nothing), as if the process had stopped there.
 */
function crashingStore(inner: ObjectStore, crashAt: number): ObjectStore & { puts: number } {
  const wrapper = {
    puts: 0,
    capabilities: inner.capabilities,
    async put(...args: Parameters<ObjectStore["put"]>) {
      wrapper.puts++;
      if (wrapper.puts >= crashAt) throw new KBackupError("Adapter", `injected crash at put ${wrapper.puts} (${args[0]})`);
      return inner.put(...args);
    },
    get: (...args: Parameters<ObjectStore["get"]>) => inner.get(...args),
    getStream: (...args: Parameters<ObjectStore["getStream"]>) => inner.getStream(...args),
    head: (...args: Parameters<ObjectStore["head"]>) => inner.head(...args),
    list: (...args: Parameters<ObjectStore["list"]>) => inner.list(...args),
    delete: (...args: Parameters<ObjectStore["delete"]>) => inner.delete(...args),
  };
  return wrapper;
}

const volume = mixedVolume(700_000, 11);
const blob = mixedVolume(90_000, 12);

async function copy(store: ObjectStore, workers: number) {
  const repository = await openRepository(store, { workers });
  const writer = repository.startSnapshot({ copyId: "copy-1" });
  try {
    const disk = await writer.writeVolume(bytesReader(volume));
    const archive = await writer.writeBlob(blob);
    const snapshot = await writer.commit({ id: "rp-1", volumes: { disk }, blobs: { archive } });
    return { snapshot, statistics: writer.statistics };
  } finally {
    await repository.close();
  }
}

async function keys(store: ObjectStore, prefix: string): Promise<string[]> {
  return (await collect(store.list(prefix))).map((info) => info.key);
}

describe("a copy that crashes", () => {
  it("publishes nothing, and the resumed copy reuses what was uploaded and reads back byte for byte, for a crash at every put", async () => {
    const clean = new MemoryObjectStore();
    await (await initRepository(clean)).close();
    const counter = crashingStore(clean, Number.POSITIVE_INFINITY);
    const reference = await copy(counter, 0);
    const totalPuts = counter.puts;
    expect(totalPuts).toBeGreaterThan(8);

    for (let crashAt = 1; crashAt <= totalPuts; crashAt++) {
      const store = new MemoryObjectStore();
      await (await initRepository(store)).close();
      await expect(copy(crashingStore(store, crashAt), 0)).rejects.toThrow(/injected crash/);
      expect(await keys(store, "snapshots/")).toEqual([]);
      const packsBefore = await keys(store, "packs/");

      const resumed = await copy(store, 0);
      expect(resumed.snapshot.id).toBe("rp-1");
      expect(resumed.statistics.chunksStored).toBeLessThanOrEqual(reference.statistics.chunksStored - packsBefore.length);
      const packsAfter = await keys(store, "packs/");
      expect(packsAfter.length).toBe(packsBefore.length + resumed.statistics.packsUploaded);
      // Every pack, also one whose index never landed before the crash, is indexed now.
      const indexes = new Set((await keys(store, "index/")).map((key) => key.slice("index/".length)));
      expect(packsAfter.every((key) => indexes.has(key.split("/").at(-1)!))).toBe(true);
      expect(await keys(store, "copies/")).toEqual([]);

      const repository = await openRepository(store);
      const snapshot = await repository.getSnapshot("rp-1");
      expect(Buffer.from(await readBack(repository, snapshot.volumes.disk!)).equals(Buffer.from(volume))).toBe(true);
      expect(Buffer.from(await repository.readBlob(snapshot.blobs.archive!)).equals(Buffer.from(blob))).toBe(true);
      await repository.verify("rp-1", { level: "full" });
      await repository.close();
    }
  });

  it("resumes on the worker path too", async () => {
    const store = new MemoryObjectStore();
    await (await initRepository(store)).close();
    await expect(copy(crashingStore(store, 6), 2)).rejects.toThrow(/injected crash/);
    expect(await keys(store, "snapshots/")).toEqual([]);
    const resumed = await copy(store, 2);
    expect(resumed.statistics.chunksReused).toBeGreaterThan(0);
    const repository = await openRepository(store, { workers: 2 });
    await repository.verify("rp-1", { level: "full" });
    await repository.close();
  });
});
