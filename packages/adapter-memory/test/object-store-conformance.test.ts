import { describe, it } from "vitest";
import { MemoryObjectStore } from "@kbackup/adapter-memory";
import { objectStoreConformance } from "@kbackup/testing";

describe("MemoryObjectStore", () => {
  objectStoreConformance(it, async () => new MemoryObjectStore());
});

describe("MemoryObjectStore with latency", () => {
  // A small chunk size too, so that streams and aborts run over many chunks.
  objectStoreConformance(it, async () => new MemoryObjectStore({ latencyInMs: 1, streamChunkSizeInBytes: 4096 }), {
    largeObjectSizeInBytes: 4 * 1024 * 1024,
  });
});
