import { describe, expect, it } from "vitest";
import { ContentDefinedChunker } from "@kbackup/core";
import { randomBytesOf, textOf } from "./repository-fixtures.js";

const parameters = { minSizeInBytes: 2048, averageSizeInBytes: 8192, maxSizeInBytes: 32768, gearSeed: "0123456789abcdef0123456789abcdef" };

function cuts(chunker: ContentDefinedChunker, bytes: Uint8Array): number[] {
  const lengths: number[] = [];
  for (let at = 0; at < bytes.length; ) {
    const length = chunker.cut(bytes, at, Math.min(bytes.length, at + chunker.max));
    lengths.push(length);
    at += length;
  }
  return lengths;
}

describe("ContentDefinedChunker", () => {
  it("cuts the same bytes at the same places, and another seed elsewhere", () => {
    const bytes = randomBytesOf(1 << 20, 1);
    const first = cuts(new ContentDefinedChunker(parameters), bytes);
    expect(cuts(new ContentDefinedChunker(parameters), bytes)).toEqual(first);
    expect(cuts(new ContentDefinedChunker({ ...parameters, gearSeed: "ffeeddccbbaa99887766554433221100" }), bytes)).not.toEqual(first);
  });

  it("keeps chunks between min and max, averaging near the target", () => {
    for (const bytes of [randomBytesOf(2 << 20, 2), textOf(2 << 20, 3)]) {
      const lengths = cuts(new ContentDefinedChunker(parameters), bytes);
      expect(lengths.slice(0, -1).every((length) => length >= 2048 && length <= 32768)).toBe(true);
      const average = bytes.length / lengths.length;
      expect(average).toBeGreaterThan(8192 * 0.75);
      expect(average).toBeLessThan(8192 * 1.75);
    }
  });

  it("finds the same chunks again after bytes are inserted before them", () => {
    const chunker = new ContentDefinedChunker(parameters);
    const bytes = randomBytesOf(1 << 20, 4);
    const shifted = new Uint8Array(bytes.length + 100);
    shifted.set(randomBytesOf(100, 5), 0);
    shifted.set(bytes, 100);
    const chunksOf = (data: Uint8Array) => {
      const set = new Set<string>();
      let at = 0;
      for (const length of cuts(chunker, data)) {
        set.add(Buffer.from(data.subarray(at, at + length)).toString("base64"));
        at += length;
      }
      return set;
    };
    const before = chunksOf(bytes);
    const after = chunksOf(shifted);
    const shared = [...after].filter((chunk) => before.has(chunk)).length;
    expect(shared / before.size).toBeGreaterThan(0.9);
  });

  it("cuts a run of zeros where zeroRunCut says, and returns short tails whole", () => {
    const chunker = new ContentDefinedChunker(parameters);
    expect(chunker.cut(new Uint8Array(100_000), 0, 100_000)).toBe(chunker.zeroRunCut);
    expect(chunker.zeroRunCut).toBeGreaterThanOrEqual(2048);
    expect(chunker.cut(new Uint8Array(1000), 0, 1000)).toBe(1000);
    expect(chunker.cut(new Uint8Array(0), 0, 0)).toBe(0);
  });

  it("refuses sizes out of order, an average that is not a power of two, and a bad seed", () => {
    expect(() => new ContentDefinedChunker({ ...parameters, minSizeInBytes: 9000 })).toThrow(expect.objectContaining({ code: "InvalidArgument" }));
    expect(() => new ContentDefinedChunker({ ...parameters, averageSizeInBytes: 9000 })).toThrow(expect.objectContaining({ field: "chunker.averageSizeInBytes" }));
    expect(() => new ContentDefinedChunker({ ...parameters, gearSeed: "xyz" })).toThrow(expect.objectContaining({ field: "chunker.gearSeed" }));
  });
});
