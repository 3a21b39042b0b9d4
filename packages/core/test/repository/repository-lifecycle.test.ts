import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { MemoryObjectStore } from "@kbackup/adapter-memory";
import { bytesReader, initRepository, mixedVolume, openRepository } from "./repository-fixtures.js";

const threads = () => readdirSync("/proc/self/task").length;

describe("repository lifecycle", () => {
  it.runIf(process.platform === "linux")("stops its worker threads on close", async () => {
    const store = new MemoryObjectStore();
    await (await initRepository(store)).close(); // the key derivation's thread pool starts here
    const before = threads();
    const repository = await openRepository(store, { workers: 2 });
    await repository.commitSnapshot({ volumes: { disk: await repository.writeVolume(bytesReader(mixedVolume(400_000, 1))) } });
    expect(threads()).toBeGreaterThanOrEqual(before + 2);
    await repository.close();
    await repository.close();
    for (let wait = 0; wait < 50 && threads() > before; wait++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(threads()).toBe(before);
    await expect(repository.writeVolume(bytesReader(new Uint8Array(1)))).rejects.toMatchObject({ code: "PreconditionFailed" });
    await expect(repository.listSnapshots()).rejects.toMatchObject({ code: "PreconditionFailed" });
  });

  it("stops a copy whose signal fires, publishing nothing", async () => {
    const store = new MemoryObjectStore();
    const repository = await initRepository(store);
    const controller = new AbortController();
    const volume = mixedVolume(1_000_000, 2);
    const reader = {
      sizeInBytes: volume.length,
      async read(offset: number, length: number) {
        if (offset > 300_000) controller.abort();
        return volume.slice(offset, offset + Math.min(length, 50_000));
      },
    };
    const writer = repository.startSnapshot();
    await expect(writer.writeVolume(reader, { abortSignal: controller.signal })).rejects.toMatchObject({ code: "Aborted" });
    await expect(repository.writeVolume(bytesReader(volume), { abortSignal: AbortSignal.abort() })).rejects.toMatchObject({ code: "Aborted" });
    await writer.abort();
    expect(await repository.listSnapshots()).toEqual([]);
    await repository.close();
  });
});
