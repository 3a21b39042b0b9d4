import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "vitest";
import { FileSystemObjectStore } from "@kbackup/adapter-fs";
import { objectStoreConformance } from "@kbackup/testing";

describe("FileSystemObjectStore", () => {
  // Each test gets a fresh folder, removed afterwards.
  objectStoreConformance(it, async () => {
    const root = await mkdtemp(join(tmpdir(), "kbackup-fs-store-"));
    return { store: new FileSystemObjectStore({ root }), cleanup: () => rm(root, { recursive: true, force: true }) };
  });
});
