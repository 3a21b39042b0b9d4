import { describe, expect, it } from "vitest";
import {
  assertValidByteRange,
  assertValidObjectBody,
  assertValidObjectKey,
  assertValidObjectMetadata,
  assertValidPageSize,
  assertValidWriteConditions,
  byteRangeBounds,
  sameEtag,
} from "@kbackup/core";

function failure(check: () => void): { code?: string; field?: string; message?: string } {
  try {
    check();
  } catch (error) {
    return error as { code?: string; field?: string; message?: string };
  }
  throw new Error("expected the check to throw");
}

describe("object store argument checks", () => {
  it("accepts keys of /-separated segments and rejects the rest, naming the field", () => {
    for (const key of ["a", "a/b.c/d", "..a/b..", "with space/ü"]) expect(() => assertValidObjectKey(key)).not.toThrow();
    for (const key of ["", "/a", "a/", "a//b", "./a", "a/../b", "a\0b", 7, undefined]) {
      expect(failure(() => assertValidObjectKey(key, "keys[1]"))).toMatchObject({ code: "InvalidArgument", field: "keys[1]" });
    }
  });

  it("checks metadata names and values, naming the entry", () => {
    expect(() => assertValidObjectMetadata(undefined)).not.toThrow();
    expect(() => assertValidObjectMetadata({ owner_2: "x", empty: "" })).not.toThrow();
    expect(failure(() => assertValidObjectMetadata({ Owner: "x" }))).toMatchObject({ code: "InvalidArgument", field: "options.metadata.Owner" });
    expect(failure(() => assertValidObjectMetadata({ size: 3 }))).toMatchObject({ field: "options.metadata.size" });
    expect(failure(() => assertValidObjectMetadata(["x"]))).toMatchObject({ field: "options.metadata" });
  });

  it("checks ranges, page sizes and bodies", () => {
    expect(() => assertValidByteRange({ offset: 0 })).not.toThrow();
    expect(failure(() => assertValidByteRange({ offset: -1 }))).toMatchObject({ field: "options.range.offset" });
    expect(failure(() => assertValidByteRange({ offset: 0, length: 1.5 }))).toMatchObject({ field: "options.range.length" });
    expect(() => assertValidPageSize(1)).not.toThrow();
    expect(failure(() => assertValidPageSize(0))).toMatchObject({ field: "maxPageSize" });
    expect(() => assertValidObjectBody(new Uint8Array(0))).not.toThrow();
    expect(() => assertValidObjectBody((async function* () {})())).not.toThrow();
    expect(failure(() => assertValidObjectBody("text"))).toMatchObject({ field: "body" });
  });

  it("rejects malformed or contradictory write conditions", () => {
    expect(() => assertValidWriteConditions({ ifNoneMatch: "*" })).not.toThrow();
    expect(() => assertValidWriteConditions({ ifMatch: '"1"' })).not.toThrow();
    expect(failure(() => assertValidWriteConditions({ ifNoneMatch: '"1"' }))).toMatchObject({ field: "options.ifNoneMatch" });
    expect(failure(() => assertValidWriteConditions({ ifMatch: "" }))).toMatchObject({ field: "options.ifMatch" });
    expect(failure(() => assertValidWriteConditions({ ifNoneMatch: "*", ifMatch: '"1"' }))).toMatchObject({ field: "options.ifMatch" });
  });

  it("cuts ranges at the end of the object", () => {
    expect(byteRangeBounds(10, undefined)).toEqual({ start: 0, end: 10 });
    expect(byteRangeBounds(10, { offset: 4, length: 3 })).toEqual({ start: 4, end: 7 });
    expect(byteRangeBounds(10, { offset: 8, length: 5 })).toEqual({ start: 8, end: 10 });
    expect(byteRangeBounds(10, { offset: 12 })).toEqual({ start: 10, end: 10 });
  });

  it("compares ETags whether quoted, weak or bare", () => {
    expect(sameEtag('"abc"', "abc")).toBe(true);
    expect(sameEtag('W/"abc"', '"abc"')).toBe(true);
    expect(sameEtag('"abc"', '"abd"')).toBe(false);
  });
});
