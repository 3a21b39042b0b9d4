import { describe, expect, it } from "vitest";
import { collect } from "@kbackup/core";
import { MemoryObjectStore } from "@kbackup/adapter-memory";
import { objectStoreConformance } from "@kbackup/testing";
import { PrefixedObjectStore } from "./prefixed-object-store.js";

describe("PrefixedObjectStore", () => {
  // The whole ObjectStore contract, each test on a fresh store; a neighbour tenant's object sits in
  // the same inner store to show that nothing of it leaks through.
  objectStoreConformance(
    it,
    async () => {
      const inner = new MemoryObjectStore();
      await inner.put("tenants/red/secret", new TextEncoder().encode("not yours"));
      return new PrefixedObjectStore(inner, "tenants/blue");
    },
    { largeObjectSizeInBytes: 4 * 1024 * 1024 },
  );

  it("keeps each tenant's objects apart in one inner store", async () => {
    const inner = new MemoryObjectStore();
    const blue = new PrefixedObjectStore(inner, "tenants/blue");
    const red = new PrefixedObjectStore(inner, "tenants/red");
    await blue.put("a/1", new Uint8Array([1]));
    await red.put("a/1", new Uint8Array([2]));
    expect((await blue.get("a/1"))?.body).toEqual(new Uint8Array([1]));
    expect((await collect(red.list(""))).map((info) => info.key)).toEqual(["a/1"]);
    expect((await collect(inner.list(""))).map((info) => info.key)).toEqual(["tenants/blue/a/1", "tenants/red/a/1"]);
  });
});
