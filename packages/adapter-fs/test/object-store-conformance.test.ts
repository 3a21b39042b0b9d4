import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "vitest";
import { FileSystemObjectStore } from "@kbackup/adapter-fs";
import { objectStoreConformance } from "@kbackup/testing";

describe("FileSystemObjectStore", () => {
  objectStoreConformance(it, async () => {
    const root = await mkdtemp(join(tmpdir(), "kbackup-fs-store-"));
    return { store: new FileSystemObjectStore({ root }), cleanup: () => rm(root, { recursive: true, force: true }) };
  });
});

describe("FileSystemObjectStore with small stream chunks", () => {
  objectStoreConformance(
    it,
    async () => {
      const root = await mkdtemp(join(tmpdir(), "kbackup-fs-store-"));
      return { store: new FileSystemObjectStore({ root, streamChunkSizeInBytes: 4096 }), cleanup: () => rm(root, { recursive: true, force: true }) };
    },
    { largeObjectSizeInBytes: 3 * 1024 * 1024 },
  );
});
