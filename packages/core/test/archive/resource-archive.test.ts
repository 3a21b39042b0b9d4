import { randomBytes } from "node:crypto";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { KBackupError, readTar, type ObjectStore } from "@kbackup/core";
import { MemoryObjectStore } from "@kbackup/adapter-memory";
import { ResourceArchiveWriter } from "../../src/archive/resource-archive-writer.js";
import { readArchiveMembers } from "../../src/archive/archive-reader.js";
import type { ArchiveMember } from "../../src/archive/archive-format.js";

const tick = () => new Promise((resolve) => setImmediate(resolve));
// Incompressible, so that every member is big and compresses on the thread pool.
const body = (size: number) => new Uint8Array(randomBytes(size));

async function written(groups: Array<[string, number, number]>): Promise<{ archive: Buffer; members: ArchiveMember[]; paths: string[] }> {
  const chunks: Uint8Array[] = [];
  const writer = new ResourceArchiveWriter(async (chunk) => void chunks.push(chunk), 1, new Date(0));
  const paths: string[] = [];
  for (const [group, count, size] of groups) {
    for (let i = 0; i < count; i++) {
      const path = `resources/${group}/cluster/${i}.json`;
      paths.push(path);
      await writer.add(group, path, body(size));
    }
  }
  const { sizeInBytes, sha256 } = await writer.finish();
  const archive = Buffer.concat(chunks);
  expect(archive.length).toBe(sizeInBytes);
  expect(sha256).toMatch(/^[0-9a-f]{64}$/);
  return { archive, members: writer.members, paths };
}

describe("ResourceArchiveWriter", () => {
  it("cuts a member per group and per megabyte, members tiling the archive, which reads whole as one .tar.gz", async () => {
    const { archive, members, paths } = await written([["a", 3, 600_000], ["b", 2, 10], ["c", 1, 10]]);
    expect(members.map((member) => member.group)).toEqual(["a", "a", "b", "c", ""]);
    let offset = 0;
    for (const member of members) {
      expect(member.offset).toBe(offset);
      offset += member.length;
    }
    expect(offset).toBe(archive.length);
    const read: string[] = [];
    for await (const entry of readTar((async function* () { yield gunzipSync(archive); })())) read.push(entry.path);
    expect(read).toEqual(paths);
  });

  it("keeps a few members in flight at most while the sink is slow", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let sinkCalls = 0;
    const writer = new ResourceArchiveWriter(async () => {
      sinkCalls++;
      await gate;
    });
    let added = 0;
    const adding = (async () => {
      for (let i = 0; i < 12; i++) {
        await writer.add(`g${i}`, `resources/g${i}/cluster/x.json`, body(1000));
        added++;
      }
    })();
    for (let i = 0; i < 20; i++) await tick();
    // One member in the sink, the next few waiting behind it: the caller is held back after them.
    expect(sinkCalls).toBe(1);
    expect(added).toBeLessThanOrEqual(5);
    release();
    await adding;
    await writer.finish();
    expect(sinkCalls).toBe(13);
  });

  it("rejects add or finish with the sink's error, and leaves no unhandled rejection when abandoned", async () => {
    const failure = new KBackupError("Unavailable", "The upload broke.");
    const writer = new ResourceArchiveWriter(async () => {
      throw failure;
    });
    const run = async () => {
      for (let i = 0; i < 10; i++) await writer.add(`g${i}`, `resources/g${i}/cluster/x.json`, body(100));
      await writer.finish();
    };
    await expect(run()).rejects.toBe(failure);
    const abandoned = new ResourceArchiveWriter(async () => {
      throw failure;
    });
    await abandoned.add("a", "resources/a/cluster/x.json", body(100));
    await abandoned.add("b", "resources/b/cluster/x.json", body(100));
    for (let i = 0; i < 10; i++) await tick();
  });
});

describe("readArchiveMembers", () => {
  async function stored() {
    const { archive, members } = await written([["a", 1, 10], ["b", 1, 10], ["c", 1, 10], ["d", 1, 10]]);
    const inner = new MemoryObjectStore();
    await inner.put("archive.tar.gz", archive);
    const gets: number[] = [];
    const store = {
      get: (key: string, options?: Parameters<ObjectStore["get"]>[1]) => {
        gets.push(options?.range?.offset ?? -1);
        return inner.get(key, options);
      },
    } as unknown as ObjectStore;
    return { store, members: members.filter((member) => member.group !== ""), gets, inner };
  }

  it("fetches one member ahead of the reader, no more", async () => {
    const { store, members, gets } = await stored();
    const reader = readArchiveMembers(store, "archive.tar.gz", members);
    expect((await reader.next()).value?.path).toBe("resources/a/cluster/0.json");
    await tick();
    expect(gets).toEqual([members[0]!.offset, members[1]!.offset]);
    await reader.return!(undefined);
  });

  it("leaves no unhandled rejection when the reader stops before a member that fails", async () => {
    const { store, members } = await stored();
    const damaged = members.map((member, i) => (i === 1 ? { ...member, sha256: "0".repeat(64) } : member));
    const reader = readArchiveMembers(store, "archive.tar.gz", damaged);
    await reader.next();
    await reader.return!(undefined);
    for (let i = 0; i < 10; i++) await tick();
  });

  it("stops with Aborted once the signal fires", async () => {
    const { store, members } = await stored();
    const controller = new AbortController();
    const read = async () => {
      for await (const _ of readArchiveMembers(store, "archive.tar.gz", members, controller.signal)) controller.abort();
    };
    await expect(read()).rejects.toMatchObject({ code: "Aborted" });
  });
});
