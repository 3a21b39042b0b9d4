import { describe, expect, it } from "vitest";
import { MEMORY_OBJECT_STORE_DEFAULT_PAGE_SIZE, MemoryObjectStore } from "@kbackup/adapter-memory";
import { collect, isKBackupError, type Clock } from "@kbackup/core";

const bytes = (text: string) => new TextEncoder().encode(text);

describe("MemoryObjectStore", () => {
  it("declares conditional writes and nothing it does not do", () => {
    expect(new MemoryObjectStore().capabilities).toEqual({ conditionalWrites: true, immutability: false, secondaryRead: false, leases: false });
  });

  it("lists pages of 1,000 when no page size is asked for", async () => {
    const store = new MemoryObjectStore();
    for (let index = 0; index < 2500; index++) await store.put(`k/${String(index).padStart(4, "0")}`, bytes("x"));
    const pages = await collect(store.list("k/").byPage());
    expect(MEMORY_OBJECT_STORE_DEFAULT_PAGE_SIZE).toBe(1000);
    expect(pages.map((page) => page.items.length)).toEqual([1000, 1000, 500]);
    expect(pages.map((page) => page.continuationToken)).toEqual(["k/0999", "k/1999", undefined]);
  });

  it("rejects a page size below 1 with InvalidArgument", async () => {
    const store = new MemoryObjectStore();
    await expect(collect(store.list("").byPage({ maxPageSize: 0 }))).rejects.toMatchObject({ code: "InvalidArgument", field: "maxPageSize" });
  });

  it("gives a new ETag to every write, even of the same bytes", async () => {
    const store = new MemoryObjectStore();
    const first = await store.put("a", bytes("same"));
    const second = await store.put("a", bytes("same"));
    expect(second.etag).not.toBe(first.etag);
    await expect(store.put("a", bytes("same"), { ifMatch: first.etag })).rejects.toMatchObject({ code: "PreconditionFailed" });
    // ETags match quoted or not.
    await store.put("a", bytes("next"), { ifMatch: second.etag.replaceAll('"', "") });
  });

  it("hands out copies of metadata, which callers cannot change in the store", async () => {
    const store = new MemoryObjectStore();
    const metadata = { owner: "team_a" };
    const info = await store.put("a", bytes("x"), { metadata });
    metadata.owner = "changed";
    if (info.metadata) info.metadata.owner = "changed too";
    expect((await store.head("a"))?.metadata).toEqual({ owner: "team_a" });
  });

  it("waits latencyInMs on its clock before each call and each page, and an abort ends the wait", async () => {
    const sleeps: number[] = [];
    const clock: Clock = {
      now: () => new Date("2026-01-02T03:04:05Z"),
      sleep: async (ms, options) => {
        sleeps.push(ms);
        if (options?.abortSignal?.aborted) throw options.abortSignal.reason;
      },
    };
    const store = new MemoryObjectStore({ latencyInMs: 25, clock });
    const info = await store.put("a", bytes("x"));
    expect(info.lastModified.toISOString()).toBe("2026-01-02T03:04:05.000Z");
    await store.get("a");
    await collect(store.list("").byPage({ maxPageSize: 1 }));
    expect(sleeps).toEqual([25, 25, 25]);

    const slow = new MemoryObjectStore({ latencyInMs: 60_000 });
    const controller = new AbortController();
    const waiting = slow.get("a", { abortSignal: controller.signal });
    controller.abort();
    const error = await waiting.catch((reason: unknown) => reason);
    expect(isKBackupError(error, "Aborted")).toBe(true);
  });

  it("rejects bad options with InvalidArgument naming them", () => {
    expect(() => new MemoryObjectStore({ latencyInMs: -1 })).toThrow(expect.objectContaining({ code: "InvalidArgument", field: "latencyInMs" }));
    expect(() => new MemoryObjectStore({ streamChunkSizeInBytes: 0 })).toThrow(expect.objectContaining({ field: "streamChunkSizeInBytes" }));
  });

  it("rejects contradictory or malformed write conditions and bodies", async () => {
    const store = new MemoryObjectStore();
    await expect(store.put("a", bytes("x"), { ifNoneMatch: "*", ifMatch: '"1"' })).rejects.toMatchObject({ field: "options.ifMatch" });
    await expect(store.put("a", bytes("x"), { ifNoneMatch: "etag" as "*" })).rejects.toMatchObject({ field: "options.ifNoneMatch" });
    await expect(store.put("a", "text" as unknown as Uint8Array)).rejects.toMatchObject({ code: "InvalidArgument", field: "body" });
    const strings = (async function* () {
      yield "not bytes" as unknown as Uint8Array;
    })();
    await expect(store.put("a", strings)).rejects.toMatchObject({ code: "InvalidArgument", field: "body" });
    expect(await store.head("a")).toBeUndefined();
  });
});
