import { describe, expect, it } from "vitest";
import { MemoryObjectStore } from "@kbackup/adapter-memory";
import type { ObjectBody, ObjectInfo, PutStoredObjectOptions } from "@kbackup/core";
import { OBJECT_STORE_CONFORMANCE_GROUPS, objectStoreConformance, type ObjectStoreConformanceTest } from "@kbackup/testing";

interface Registered {
  title: string;
  skipped: boolean;
  body: () => Promise<void>;
}

/** A runner that only records what the suite registers, so the suite itself can be tested. */
function recorder(withSkip = true): { test: ObjectStoreConformanceTest; registered: Registered[] } {
  const registered: Registered[] = [];
  const test: ObjectStoreConformanceTest = (title, body) => registered.push({ title, skipped: false, body });
  if (withSkip) test.skip = (title, body) => registered.push({ title, skipped: true, body });
  return { test, registered };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/** Writes a large body in two steps, a turn of the event loop apart, so that a reader can see half of it. */
class TornWriteStore extends MemoryObjectStore {
  override async put(key: string, body: ObjectBody, options?: PutStoredObjectOptions): Promise<ObjectInfo> {
    const chunks: Uint8Array[] = [];
    for await (const chunk of body instanceof Uint8Array ? [body] : body) chunks.push(chunk);
    const whole = new Uint8Array(Buffer.concat(chunks));
    if (whole.length <= 1024) return super.put(key, whole, options);
    await super.put(key, whole.subarray(0, whole.length >> 1), options);
    await nextTurn();
    return super.put(key, whole);
  }
}

/** Checks a create-only condition, then writes a turn later: two creators can both pass the check. */
class CheckThenWriteStore extends MemoryObjectStore {
  override async put(key: string, body: ObjectBody, options?: PutStoredObjectOptions): Promise<ObjectInfo> {
    if (options?.ifNoneMatch !== "*") return super.put(key, body, options);
    if ((await this.head(key)) !== undefined) return super.put(key, body, options);
    await nextTurn();
    return super.put(key, body, { ...options, ifNoneMatch: undefined });
  }
}

describe("objectStoreConformance", () => {
  it("registers tests in every group, each titled with its group", () => {
    const { test, registered } = recorder();
    objectStoreConformance(test, async () => new MemoryObjectStore());
    const groups = new Set(registered.map(({ title }) => /^object store ([a-z-]+):/.exec(title)?.[1]));
    expect([...groups].sort()).toEqual([...OBJECT_STORE_CONFORMANCE_GROUPS].sort());
    expect(registered.every(({ skipped }) => !skipped)).toBe(true);
  });

  it("switches a group off with its reason through test.skip, or leaves it out when the runner has no skip", () => {
    const withSkip = recorder();
    objectStoreConformance(withSkip.test, async () => new MemoryObjectStore(), { skip: { paging: "the emulator pages differently" } });
    const paging = withSkip.registered.filter(({ title }) => title.startsWith("object store paging:"));
    expect(paging.length).toBeGreaterThan(0);
    expect(paging.every(({ skipped, title }) => skipped && title.endsWith("(skipped: the emulator pages differently)"))).toBe(true);

    const withoutSkip = recorder(false);
    objectStoreConformance(withoutSkip.test, async () => new MemoryObjectStore(), { skip: { paging: "no" } });
    expect(withoutSkip.registered.some(({ title }) => title.startsWith("object store paging:"))).toBe(false);
  });

  it("rejects an unknown group name with InvalidArgument", () => {
    const { test } = recorder();
    expect(() => objectStoreConformance(test, async () => new MemoryObjectStore(), { skip: { pagin: "typo" } as never })).toThrow(
      expect.objectContaining({ code: "InvalidArgument", field: "options.skip.pagin" }),
    );
  });

  it("cleans up each store, also after a failing test", async () => {
    const { test, registered } = recorder();
    let cleaned = 0;
    objectStoreConformance(test, async () => ({ store: new TornWriteStore(), cleanup: async () => void cleaned++ }));
    const atomicity = registered.find(({ title }) => title.startsWith("object store atomicity: readers during a slow overwrite"));
    await expect(atomicity?.body()).rejects.toThrow();
    expect(cleaned).toBe(1);
  });

  it("fails a store whose writes can be seen half done", async () => {
    const { test, registered } = recorder();
    objectStoreConformance(test, async () => new TornWriteStore());
    const atomicity = registered.find(({ title }) => title.startsWith("object store atomicity: readers during a slow overwrite"));
    await expect(atomicity?.body()).rejects.toThrow(/neither version/);
  });

  it("fails a store whose create-only writes check, then write", async () => {
    const { test, registered } = recorder();
    objectStoreConformance(test, async () => new CheckThenWriteStore());
    const race = registered.find(({ title }) => title.startsWith("object store create-only: of two concurrent create-only writers"));
    await expect(race?.body()).rejects.toThrow(/2 writers won/);
  });
});
