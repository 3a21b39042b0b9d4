import { strict as assert } from "node:assert";
import { describeError, rejectsWith } from "./rejects-with.js";
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import {
  collect,
  invalidArgument,
  isKBackupError,
  type KBackupErrorCode,
  type ObjectInfo,
  type ObjectStore,
  type StoredObjectStream,
} from "@kbackup/core";

/** The groups of `objectStoreConformance`, each of which can be switched off with a reason. */
export const OBJECT_STORE_CONFORMANCE_GROUPS = [
  "round-trip",
  "range",
  "metadata",
  "paging",
  "create-only",
  "etag",
  "delete",
  "keys",
  "abort",
  "atomicity",
] as const;

/** One of {@link OBJECT_STORE_CONFORMANCE_GROUPS}: a group of tests that can be switched off with a reason. */
export type ObjectStoreConformanceGroup = (typeof OBJECT_STORE_CONFORMANCE_GROUPS)[number];

/** The test runner's `it` or `test` (vitest, jest, node:test, mocha); `skip` is used when it has one. */
export interface ObjectStoreConformanceTest {
  (title: string, body: () => Promise<void>): unknown;
  /** The runner's way to register a skipped test; without it, switched-off groups are not registered at all. */
  skip?: (title: string, body: () => Promise<void>) => unknown;
}

/** Makes a fresh, empty store for one test, and optionally the `cleanup` that disposes of it afterwards (called pass or fail). */
export type ObjectStoreFactory = () => Promise<
  | ObjectStore
  | {
      /** The fresh store. */
      store: ObjectStore;
      /** Disposes of the store after the test, pass or fail. */
      cleanup?: () => Promise<void>;
    }
>;

/** Options of {@link objectStoreConformance}. */
export interface ObjectStoreConformanceOptions {
  /** Groups to switch off, each with the reason (shown in the skipped test's title). */
  skip?: Partial<Record<ObjectStoreConformanceGroup, string>>;
  /** Size of the large bodies of the round-trip group. Default 64 MiB. */
  largeObjectSizeInBytes?: number;
}

const MiB = 1024 * 1024;

/**
 * Registers the `ObjectStore` contract as tests with `test`, each on a fresh store from `factory`
 * (cleaned up afterwards, pass or fail). Assertions use `node:assert`, so any runner works.
 * Conditional-write groups check that a store declaring `conditionalWrites: false` refuses
 * conditions with `Unsupported`. Throws `InvalidArgument` for an unknown group in `options.skip`.
 */
export function objectStoreConformance(
  test: ObjectStoreConformanceTest,
  factory: ObjectStoreFactory,
  options: ObjectStoreConformanceOptions = {},
): void {
  const skip = options.skip ?? {};
  for (const group of Object.keys(skip)) {
    if (!(OBJECT_STORE_CONFORMANCE_GROUPS as readonly string[]).includes(group)) {
      throw invalidArgument(`options.skip.${group}`, `unknown group; the groups are ${OBJECT_STORE_CONFORMANCE_GROUPS.join(", ")}`);
    }
  }
  const largeSize = options.largeObjectSizeInBytes ?? 64 * MiB;
  if (!Number.isSafeInteger(largeSize) || largeSize < 1) throw invalidArgument("options.largeObjectSizeInBytes", "must be a positive integer");

  const define = (group: ObjectStoreConformanceGroup, name: string, body: (store: ObjectStore) => Promise<void>): void => {
    const title = `object store ${group}: ${name}`;
    const reason = skip[group];
    const run = async () => {
      const made = await factory();
      const { store, cleanup } = isStore(made) ? { store: made, cleanup: undefined } : made;
      try {
        await body(store);
      } finally {
        await cleanup?.();
      }
    };
    if (reason === undefined) test(title, run);
    else test.skip?.(`${title} (skipped: ${reason})`, run);
  };

  roundTrip(define, largeSize);
  rangeReads(define);
  metadata(define);
  paging(define);
  createOnly(define);
  etagConditions(define);
  deletes(define);
  keys(define);
  abort(define);
  atomicity(define);
}

function isStore(value: ObjectStore | { store: ObjectStore }): value is ObjectStore {
  return typeof (value as Partial<ObjectStore>).put === "function";
}

type Define = (group: ObjectStoreConformanceGroup, name: string, body: (store: ObjectStore) => Promise<void>) => void;

function roundTrip(define: Define, largeSize: number): void {
  define("round-trip", "an empty body is stored and read back, from bytes and from a stream", async (store) => {
    const info = await store.put("empty/bytes", new Uint8Array(0));
    assert.equal(info.key, "empty/bytes");
    assert.equal(info.size, 0);
    const read = await store.get("empty/bytes");
    assert.ok(read, "get returned undefined for a stored empty object");
    assert.equal(read.body.length, 0);
    assert.equal(read.info.size, 0);
    assert.equal((await store.head("empty/bytes"))?.size, 0);
    assert.equal((await readStream(await store.getStream("empty/bytes"))).length, 0);

    const streamed = await store.put("empty/stream", chunked([]));
    assert.equal(streamed.size, 0);
    assert.equal((await store.get("empty/stream"))?.body.length, 0);
  });

  define("round-trip", "a small body round-trips byte-exact and put returns its info", async (store) => {
    const bytes = Uint8Array.from([0, 1, 2, 0x7f, 0x80, 0xfe, 0xff, ...new TextEncoder().encode("kbackup ✓")]);
    const info = await store.put("small/object.bin", bytes);
    assert.equal(info.key, "small/object.bin");
    assert.equal(info.size, bytes.length);
    assert.equal(typeof info.etag, "string");
    assert.ok(info.etag.length > 0, "the ETag is empty");
    assert.ok(info.lastModified instanceof Date && !Number.isNaN(info.lastModified.getTime()), "lastModified is not a valid Date");

    const head = await store.head("small/object.bin");
    assert.equal(head?.size, bytes.length);
    assert.equal(head?.etag, info.etag);
    const read = await store.get("small/object.bin");
    assert.deepEqual(read?.body, bytes);
    assert.equal(read?.info.etag, info.etag);
    const stream = await store.getStream("small/object.bin");
    assert.equal(stream?.info.size, bytes.length);
    assert.deepEqual(await readStream(stream), bytes);
    const listed = await collect(store.list(""));
    assert.deepEqual(
      listed.map((item) => [item.key, item.size, item.etag]),
      [["small/object.bin", bytes.length, info.etag]],
    );
  });

  define("round-trip", "missing keys read as undefined", async (store) => {
    await store.put("present", bytesOf("here"));
    assert.equal(await store.get("absent"), undefined);
    assert.equal(await store.getStream("absent"), undefined);
    assert.equal(await store.head("absent"), undefined);
    assert.equal(await store.get("present/below"), undefined);
    assert.equal(await store.head("pres"), undefined);
  });

  define("round-trip", "stored bytes are a copy: changing the caller's arrays changes nothing stored", async (store) => {
    const bytes = bytesOf("original");
    await store.put("copy", bytes);
    bytes.fill(0);
    const first = await store.get("copy");
    assert.deepEqual(first?.body, bytesOf("original"));
    first?.body.fill(0);
    assert.deepEqual((await store.get("copy"))?.body, bytesOf("original"));
  });

  define("round-trip", "an overwrite replaces the whole object, leaving no tail of the old one", async (store) => {
    await store.put("overwrite", pattern(1, 0, 100_000));
    const info = await store.put("overwrite", bytesOf("short"));
    assert.equal(info.size, 5);
    assert.deepEqual((await store.get("overwrite"))?.body, bytesOf("short"));
    assert.equal((await store.head("overwrite"))?.size, 5);
  });

  define("round-trip", `a ${sizeName(largeSize)} body from bytes round-trips byte-exact`, async (store) => {
    const info = await store.put("large/bytes", pattern(2, 0, largeSize));
    assert.equal(info.size, largeSize);
    const read = await store.get("large/bytes");
    assert.ok(read, "get returned undefined for a stored large object");
    assert.equal(read.body.length, largeSize);
    assert.equal(sha256(read.body), patternSha256(2, largeSize));
    assert.equal((await store.head("large/bytes"))?.size, largeSize);
  });

  define("round-trip", `a ${sizeName(largeSize)} body from a Node stream round-trips byte-exact`, async (store) => {
    // Chunks of an odd size, so that no chunk boundary lines up with anything the store does.
    const info = await store.put("large/stream", Readable.from(patternChunks(3, largeSize, MiB + 13)));
    assert.equal(info.size, largeSize);
    const stream = await store.getStream("large/stream");
    assert.equal(stream?.info.size, largeSize);
    const hash = createHash("sha256");
    let size = 0;
    for await (const chunk of stream?.body ?? []) {
      hash.update(chunk);
      size += chunk.length;
    }
    assert.equal(size, largeSize);
    assert.equal(hash.digest("hex"), patternSha256(3, largeSize));
  });
}

function rangeReads(define: Define): void {
  const size = 1000;
  const cases: Array<[string, { offset: number; length?: number }, number, number]> = [
    ["start", { offset: 0, length: 10 }, 0, 10],
    ["middle", { offset: 400, length: 100 }, 400, 500],
    ["end", { offset: 990 }, 990, 1000],
    ["whole", { offset: 0 }, 0, 1000],
    ["past the end", { offset: 995, length: 100 }, 995, 1000],
    ["starting at the end", { offset: 1000 }, 1000, 1000],
    ["starting past the end", { offset: 5000, length: 10 }, 1000, 1000],
    ["of length 0", { offset: 10, length: 0 }, 10, 10],
  ];

  define("range", "get and getStream read the start, middle and end; past the end is cut or empty", async (store) => {
    const bytes = pattern(4, 0, size);
    await store.put("range", bytes);
    for (const [name, range, start, end] of cases) {
      const read = await store.get("range", { range });
      assert.deepEqual(read?.body, bytes.slice(start, end), `get of the range ${name}`);
      assert.equal(read?.info.size, size, `get of the range ${name} reports the whole object's size`);
      const stream = await store.getStream("range", { range });
      assert.deepEqual(await readStream(stream), bytes.slice(start, end), `getStream of the range ${name}`);
    }
  });

  define("range", "a streamed range across chunk boundaries of a large object is exact", async (store) => {
    const bytes = pattern(5, 0, 3 * MiB);
    await store.put("range/large", chunked([bytes.subarray(0, MiB), bytes.subarray(MiB, 2 * MiB), bytes.subarray(2 * MiB)]));
    const range = { offset: MiB - 3, length: MiB + 10 };
    const stream = await store.getStream("range/large", { range });
    assert.equal(sha256(await readStream(stream)), sha256(bytes.subarray(range.offset, range.offset + range.length)));
    const read = await store.get("range/large", { range: { offset: 2 * MiB + 5 } });
    assert.equal(sha256(read?.body ?? new Uint8Array()), sha256(bytes.subarray(2 * MiB + 5)));
  });

  define("range", "a malformed range is InvalidArgument", async (store) => {
    await store.put("range/bad", pattern(6, 0, 10));
    for (const range of [{ offset: -1 }, { offset: 1.5 }, { offset: 0, length: -1 }, { offset: Number.NaN }]) {
      await rejectsWith(() => store.get("range/bad", { range }), "InvalidArgument", `get with range ${JSON.stringify(range)}`);
      await rejectsWith(() => store.getStream("range/bad", { range }), "InvalidArgument", `getStream with range ${JSON.stringify(range)}`);
    }
  });
}

function metadata(define: Define): void {
  define("metadata", "content type and metadata are kept and returned by every read", async (store) => {
    const metadata = { origin: "cluster_1", items: "42", empty: "" };
    const info = await store.put("meta/object.json", bytesOf("{}"), { contentType: "application/json", metadata });
    assertMetadata(info, "application/json", metadata, "put");
    assertMetadata(await store.head("meta/object.json"), "application/json", metadata, "head");
    assertMetadata((await store.get("meta/object.json"))?.info, "application/json", metadata, "get");
    assertMetadata((await store.getStream("meta/object.json"))?.info, "application/json", metadata, "getStream");
    const [listed] = await collect(store.list("meta/"));
    assertMetadata(listed, "application/json", metadata, "list");
  });

  define("metadata", "an overwrite without metadata clears the old content type and metadata", async (store) => {
    await store.put("meta/replaced", bytesOf("1"), { contentType: "text/plain", metadata: { version: "1" } });
    await store.put("meta/replaced", bytesOf("2"));
    const head = await store.head("meta/replaced");
    assert.equal(head?.contentType, undefined);
    assert.deepEqual(head?.metadata ?? {}, {});
    await store.put("meta/replaced", bytesOf("3"), { metadata: { version: "3" } });
    assert.deepEqual((await store.head("meta/replaced"))?.metadata, { version: "3" });
  });

  define("metadata", "malformed metadata is InvalidArgument and writes nothing", async (store) => {
    const bad: unknown[] = [{ "Content-Type": "x" }, { "with-dash": "x" }, { Upper: "x" }, { "": "x" }, { count: 1 }];
    for (const metadata of bad) {
      await rejectsWith(
        () => store.put("meta/bad", bytesOf("x"), { metadata: metadata as Record<string, string> }),
        "InvalidArgument",
        `put with metadata ${JSON.stringify(metadata)}`,
      );
    }
    assert.equal(await store.head("meta/bad"), undefined);
  });
}

function paging(define: Define): void {
  define("paging", "1,050 keys list in order, in pages of at most 100, and resume from a page's token", async (store) => {
    const keys = Array.from({ length: 1050 }, (_, index) => `page/item-${String(index).padStart(4, "0")}`);
    // Written in a scrambled order, so that listing order has to come from the store.
    const scrambled = keys.map((key, index) => ({ key, rank: (index * 7919) % keys.length })).sort((a, b) => a.rank - b.rank);
    await forEachLimited(scrambled, 16, ({ key }) => store.put(key, bytesOf(key)));
    await store.put("other/outside", bytesOf("not in the prefix"));

    const pages = await collect(store.list("page/").byPage({ maxPageSize: 100 }));
    for (const page of pages) assert.ok(page.items.length <= 100, `a page has ${page.items.length} items, more than 100`);
    assert.ok(pages.length >= 11, `only ${pages.length} pages for 1,050 keys in pages of 100`);
    assert.deepEqual(
      pages.flatMap((page) => page.items.map((item) => item.key)),
      keys,
    );
    assert.deepEqual(
      (await collect(store.list("page/"))).map((item) => item.key),
      keys,
    );

    const third = pages[2];
    assert.ok(third?.continuationToken, "the third page has no continuation token");
    const lastOfThird = third.items.at(-1)?.key as string;
    const resumed = await collect(store.list("page/").byPage({ maxPageSize: 100, continuationToken: third.continuationToken }));
    assert.deepEqual(
      resumed.flatMap((page) => page.items.map((item) => item.key)),
      keys.slice(keys.indexOf(lastOfThird) + 1),
    );
  });

  define("paging", "keys list in code unit order and filter by any prefix, in pages of any size", async (store) => {
    const keys = ["a-b", "a/1", "a/2/x", "a0", "ab/c", "B", "c", "z~", "é/1", "\u{1D11E}/clef", "\uFFFD/replacement"];
    for (const key of [...keys].reverse()) await store.put(key, bytesOf(key));
    const ordered = [...keys].sort();
    assert.deepEqual(
      ordered.slice(0, 5),
      ["B", "a-b", "a/1", "a/2/x", "a0"],
      "the expected order itself (code units: '-' < '/' < '0')",
    );
    const listed = async (prefix: string, maxPageSize?: number) =>
      (await collect(store.list(prefix).byPage({ maxPageSize }))).flatMap((page) => page.items.map((item) => item.key));
    assert.deepEqual(await listed(""), ordered);
    assert.deepEqual(await listed("", 2), ordered);
    assert.deepEqual(await listed("", 1), ordered);
    assert.deepEqual(await listed("a"), ["a-b", "a/1", "a/2/x", "a0", "ab/c"]);
    assert.deepEqual(await listed("a/", 1), ["a/1", "a/2/x"]);
    assert.deepEqual(await listed("a/2"), ["a/2/x"]);
    assert.deepEqual(await listed("a/2/x"), ["a/2/x"]);
    assert.deepEqual(await listed("ab"), ["ab/c"]);
    assert.deepEqual(await listed("é"), ["é/1"]);
    assert.deepEqual(await listed("zz"), []);
    assert.deepEqual(await listed("b"), []);
  });

  define("paging", "an empty store lists nothing", async (store) => {
    assert.deepEqual(await collect(store.list("")), []);
    const pages = await collect(store.list("").byPage({ maxPageSize: 10 }));
    assert.deepEqual(
      pages.flatMap((page) => page.items),
      [],
    );
  });
}

function createOnly(define: Define): void {
  define("create-only", "of two concurrent create-only writers exactly one wins and its content is read", async (store) => {
    if (!store.capabilities.conditionalWrites) return assertRefusesConditions(store);
    for (let round = 0; round < 5; round++) {
      const key = `race/round-${round}`;
      const bodies = [pattern(10 + round, 0, 256 * 1024), pattern(20 + round, 0, 256 * 1024)];
      const results = await Promise.allSettled(bodies.map((body) => store.put(key, slowly(body, 8), { ifNoneMatch: "*" })));
      const winners = results.flatMap((result, index) => (result.status === "fulfilled" ? [index] : []));
      assert.equal(winners.length, 1, `round ${round}: ${winners.length} writers won`);
      const loser = results.find((result) => result.status === "rejected");
      assert.ok(isKBackupError(loser?.reason, "AlreadyExists"), `round ${round}: the loser failed with ${describeError(loser?.reason)}`);
      const winner = bodies[winners[0] as number] as Uint8Array;
      assert.equal(sha256((await store.get(key))?.body ?? new Uint8Array()), sha256(winner), `round ${round}: the content read is not the winner's`);
    }
  });

  define("create-only", "create-only on an existing key fails with AlreadyExists and keeps the object", async (store) => {
    if (!store.capabilities.conditionalWrites) return assertRefusesConditions(store);
    const first = await store.put("create/once", bytesOf("first"), { ifNoneMatch: "*" });
    await rejectsWith(() => store.put("create/once", bytesOf("second"), { ifNoneMatch: "*" }), "AlreadyExists", "the second create");
    await rejectsWith(() => store.put("create/once", chunked([bytesOf("second")]), { ifNoneMatch: "*" }), "AlreadyExists", "a streamed create");
    const read = await store.get("create/once");
    assert.deepEqual(read?.body, bytesOf("first"));
    assert.equal(read?.info.etag, first.etag);
    assert.equal(await store.delete("create/once"), true);
    await store.put("create/once", bytesOf("third"), { ifNoneMatch: "*" });
    assert.deepEqual((await store.get("create/once"))?.body, bytesOf("third"));
  });
}

function etagConditions(define: Define): void {
  define("etag", "ifMatch writes on the current ETag and fails with PreconditionFailed on a stale or missing one", async (store) => {
    if (!store.capabilities.conditionalWrites) return assertRefusesConditions(store);
    const v1 = await store.put("etag/object", bytesOf("version 1"));
    const v2 = await store.put("etag/object", bytesOf("version 2"), { ifMatch: v1.etag });
    assert.notEqual(v2.etag, v1.etag, "the ETag did not change with the content");
    assert.equal((await store.head("etag/object"))?.etag, v2.etag);
    await rejectsWith(() => store.put("etag/object", bytesOf("version 3"), { ifMatch: v1.etag }), "PreconditionFailed", "a write on a stale ETag");
    await rejectsWith(() => store.put("etag/object", chunked([bytesOf("version 3")]), { ifMatch: v1.etag }), "PreconditionFailed", "a streamed write on a stale ETag");
    assert.deepEqual((await store.get("etag/object"))?.body, bytesOf("version 2"));
    await rejectsWith(() => store.put("etag/missing", bytesOf("x"), { ifMatch: v2.etag }), "PreconditionFailed", "a write with ifMatch on a missing key");
    assert.equal(await store.head("etag/missing"), undefined);
  });

  define("etag", "the ETag changes whenever the content changes", async (store) => {
    const seen = new Set<string>();
    for (const content of ["a", "b", "bb", "a"]) {
      const previous = await store.head("etag/changing");
      const info = await store.put("etag/changing", bytesOf(content));
      if (previous) assert.notEqual(info.etag, previous.etag, `the ETag stayed ${info.etag} when the content became ${content}`);
      seen.add(info.etag);
    }
    assert.ok(seen.size >= 3, "three different contents had fewer than three ETags");
  });

  define("etag", "of two concurrent ifMatch writers on the same ETag exactly one wins", async (store) => {
    if (!store.capabilities.conditionalWrites) return assertRefusesConditions(store);
    for (let round = 0; round < 3; round++) {
      const key = `etag/race-${round}`;
      const base = await store.put(key, bytesOf("base"));
      const bodies = [pattern(30 + round, 0, 128 * 1024), pattern(40 + round, 0, 128 * 1024)];
      const results = await Promise.allSettled(bodies.map((body) => store.put(key, slowly(body, 4), { ifMatch: base.etag })));
      const winners = results.flatMap((result, index) => (result.status === "fulfilled" ? [index] : []));
      assert.equal(winners.length, 1, `round ${round}: ${winners.length} writers won`);
      const loser = results.find((result) => result.status === "rejected");
      assert.ok(isKBackupError(loser?.reason, "PreconditionFailed"), `round ${round}: the loser failed with ${describeError(loser?.reason)}`);
      const winner = bodies[winners[0] as number] as Uint8Array;
      assert.equal(sha256((await store.get(key))?.body ?? new Uint8Array()), sha256(winner));
    }
  });
}

function deletes(define: Define): void {
  define("delete", "delete is idempotent: true once, then false; the object is gone from reads and lists", async (store) => {
    await store.put("delete/me", bytesOf("x"));
    await store.put("delete/keep", bytesOf("y"));
    assert.equal(await store.delete("delete/me"), true);
    assert.equal(await store.get("delete/me"), undefined);
    assert.equal(await store.head("delete/me"), undefined);
    assert.equal(await store.delete("delete/me"), false);
    assert.equal(await store.delete("never/was"), false);
    assert.deepEqual(
      (await collect(store.list(""))).map((item) => item.key),
      ["delete/keep"],
    );
  });

  define("delete", "delete with ifMatch: PreconditionFailed on another ETag, deletes on the current one", async (store) => {
    if (!store.capabilities.conditionalWrites) return assertRefusesConditions(store);
    const v1 = await store.put("delete/conditional", bytesOf("1"));
    const v2 = await store.put("delete/conditional", bytesOf("2"));
    await rejectsWith(() => store.delete("delete/conditional", { ifMatch: v1.etag }), "PreconditionFailed", "a delete on a stale ETag");
    assert.deepEqual((await store.get("delete/conditional"))?.body, bytesOf("2"));
    assert.equal(await store.delete("delete/conditional", { ifMatch: v2.etag }), true);
    assert.equal(await store.head("delete/conditional"), undefined);
    assert.equal(await store.delete("delete/conditional", { ifMatch: v2.etag }), false);
  });

  define("delete", "deleting the last object under a prefix leaves its neighbours, and the key can be written again", async (store) => {
    await store.put("tree/a/b/c", bytesOf("c"));
    await store.put("tree/a/b2", bytesOf("b2"));
    assert.equal(await store.delete("tree/a/b/c"), true);
    assert.deepEqual(
      (await collect(store.list("tree/"))).map((item) => item.key),
      ["tree/a/b2"],
    );
    await store.put("tree/a/b/c", bytesOf("again"));
    assert.deepEqual((await store.get("tree/a/b/c"))?.body, bytesOf("again"));
  });
}

function keys(define: Define): void {
  const invalid = ["", "/absolute", "trailing/", "a//b", ".", "..", "./a", "a/./b", "a/../b", "../escape", "a/..", "nul\u0000byte"];

  define("keys", "invalid keys are InvalidArgument for every method, before anything is read or written", async (store) => {
    for (const key of [...invalid, 42 as unknown as string]) {
      let pulled = false;
      const body: AsyncIterable<Uint8Array> = {
        [Symbol.asyncIterator]() {
          pulled = true;
          return { next: async () => ({ done: true, value: undefined }) };
        },
      };
      const name = JSON.stringify(key);
      await rejectsWith(() => store.put(key, bytesOf("x")), "InvalidArgument", `put(${name})`);
      await rejectsWith(() => store.put(key, body), "InvalidArgument", `put(${name}) of a stream`);
      assert.equal(pulled, false, `put(${name}) read the body before rejecting the key`);
      await rejectsWith(() => store.get(key), "InvalidArgument", `get(${name})`);
      await rejectsWith(() => store.getStream(key), "InvalidArgument", `getStream(${name})`);
      await rejectsWith(() => store.head(key), "InvalidArgument", `head(${name})`);
      await rejectsWith(() => store.delete(key), "InvalidArgument", `delete(${name})`);
    }
    assert.deepEqual(await collect(store.list("")), []);
  });

  define("keys", "unusual but valid keys round-trip and list exactly", async (store) => {
    const valid = [
      "with space/file name.txt",
      "ünïcödé/日本語.json",
      "dots..in/na.me",
      ".hidden/.file",
      "...",
      "punctuation/a:b@c+d=e,f;g!h'i(j)k",
      "percent%2Fslash",
      "tilde~/x",
    ];
    for (const key of valid) await store.put(key, bytesOf(key));
    for (const key of valid) assert.deepEqual((await store.get(key))?.body, bytesOf(key), `get(${JSON.stringify(key)})`);
    assert.deepEqual(
      (await collect(store.list(""))).map((item) => item.key),
      [...valid].sort(),
    );
  });
}

function abort(define: Define): void {
  define("abort", "an aborted streamed put leaves no object, and an aborted overwrite leaves the old one", async (store) => {
    for (const existing of [undefined, bytesOf("the old object")]) {
      const key = existing ? "abort/overwrite" : "abort/new";
      if (existing) await store.put(key, existing);
      const controller = new AbortController();
      const halfway = gate();
      const body = async function* () {
        yield pattern(50, 0, 64 * 1024);
        yield pattern(50, 64 * 1024, 64 * 1024);
        halfway.open();
        // The rest never comes: the writer must give up on the signal alone.
        await new Promise(() => undefined);
      };
      const put = store.put(key, body(), { abortSignal: controller.signal });
      await halfway.opened;
      controller.abort();
      await rejectsWith(() => put, "Aborted", `the aborted put of ${key}`);
      if (existing) assert.deepEqual((await store.get(key))?.body, existing, "the aborted overwrite changed the object");
      else assert.equal(await store.head(key), undefined, "the aborted put left an object");
    }
    assert.deepEqual(
      (await collect(store.list(""))).map((item) => [item.key, item.size]),
      [["abort/overwrite", bytesOf("the old object").length]],
    );
  });

  define("abort", "calls with an aborted signal fail with Aborted and write nothing", async (store) => {
    await store.put("abort/present", bytesOf("x"));
    const abortSignal = AbortSignal.abort();
    await rejectsWith(() => store.put("abort/put", bytesOf("x"), { abortSignal }), "Aborted", "put");
    await rejectsWith(() => store.get("abort/present", { abortSignal }), "Aborted", "get");
    await rejectsWith(() => store.getStream("abort/present", { abortSignal }), "Aborted", "getStream");
    await rejectsWith(() => store.head("abort/present", { abortSignal }), "Aborted", "head");
    await rejectsWith(() => collect(store.list("", { abortSignal })), "Aborted", "list");
    await rejectsWith(() => store.delete("abort/present", { abortSignal }), "Aborted", "delete");
    assert.equal(await store.head("abort/put"), undefined);
    assert.ok(await store.head("abort/present"), "an aborted delete deleted");
  });

  define("abort", "a stream being read fails with Aborted once its signal fires", async (store) => {
    const size = 8 * MiB;
    await store.put("abort/stream", pattern(51, 0, size));
    const controller = new AbortController();
    const stream = await store.getStream("abort/stream", { abortSignal: controller.signal });
    assert.ok(stream, "getStream returned undefined");
    const iterator = stream.body[Symbol.asyncIterator]();
    const first = await iterator.next();
    assert.equal(first.done, false);
    let received = first.value?.length ?? 0;
    controller.abort();
    try {
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) received += next.value.length;
      // Ending normally is right only when the first chunk already held everything.
      assert.equal(received, size, `the stream ended after ${received} of ${size} bytes without failing`);
    } catch (error) {
      assert.ok(isKBackupError(error, "Aborted"), `the aborted stream failed with ${describeError(error)}`);
    }
  });
}

function atomicity(define: Define): void {
  define("atomicity", "readers during a slow overwrite see the whole old object or the whole new one", async (store) => {
    const size = MiB;
    const v1 = pattern(60, 0, size);
    const v2 = pattern(61, 0, size);
    const hashes = new Map([
      [sha256(v1), "old"],
      [sha256(v2), "new"],
    ]);
    const old = await store.put("atomic/object", v1);
    const openedBefore = await store.getStream("atomic/object");

    const halfway = gate();
    const resume = gate();
    const body = async function* () {
      for (let offset = 0; offset < size; offset += 64 * 1024) {
        if (offset === size / 2) {
          halfway.open();
          await resume.opened;
        }
        yield v2.slice(offset, offset + 64 * 1024);
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    let done = false;
    const put = store.put("atomic/object", body()).finally(() => (done = true));
    await halfway.opened;
    const during = await store.get("atomic/object");
    assert.equal(sha256(during?.body ?? new Uint8Array()), sha256(v1), "halfway through the overwrite the object is not the old one");
    assert.equal((await store.head("atomic/object"))?.etag, old.etag, "halfway through the overwrite the ETag changed");
    assert.deepEqual(
      (await collect(store.list("atomic/"))).map((item) => [item.key, item.size, item.etag]),
      [["atomic/object", size, old.etag]],
    );
    resume.open();
    while (!done) {
      const read = await store.get("atomic/object");
      const which = hashes.get(sha256(read?.body ?? new Uint8Array()));
      assert.ok(which, `a read during the overwrite saw ${read?.body.length} bytes that are neither version`);
      // A store that answers from memory never leaves the microtask queue; let the writer go on.
      await new Promise((resolve) => setImmediate(resolve));
    }
    await put;
    assert.equal(sha256((await store.get("atomic/object"))?.body ?? new Uint8Array()), sha256(v2));
    try {
      const earlier = await readStream(openedBefore);
      assert.equal(sha256(earlier), sha256(v1), "a stream opened before the overwrite yielded something other than the old object");
    } catch (error) {
      // A store may refuse to go on reading a replaced object; it must never mix versions.
      assert.ok(isKBackupError(error), `a stream opened before the overwrite failed with ${describeError(error)}`);
    }
  });

  define("atomicity", "a streamed overwrite that fails midway leaves the old object and no other", async (store) => {
    await store.put("atomic/failing", bytesOf("the old object"));
    const body = async function* () {
      yield pattern(62, 0, 64 * 1024);
      throw new Error("the source broke");
    };
    await assert.rejects(store.put("atomic/failing", body()), (error: unknown) => {
      assert.ok(isKBackupError(error), `the failed put threw ${describeError(error)}`);
      return true;
    });
    await assert.rejects(store.put("atomic/failing-new", body()));
    assert.deepEqual((await store.get("atomic/failing"))?.body, bytesOf("the old object"));
    assert.deepEqual(
      (await collect(store.list(""))).map((item) => item.key),
      ["atomic/failing"],
    );
  });
}

async function assertRefusesConditions(store: ObjectStore): Promise<void> {
  await rejectsWith(() => store.put("conditions/refused", bytesOf("x"), { ifNoneMatch: "*" }), "Unsupported", "a create-only put");
  await rejectsWith(() => store.put("conditions/refused", bytesOf("x"), { ifMatch: '"any"' }), "Unsupported", "an ifMatch put");
  assert.equal(await store.head("conditions/refused"), undefined);
}

function assertMetadata(info: ObjectInfo | undefined, contentType: string, metadata: Record<string, string>, from: string): void {
  assert.ok(info, `${from} returned no info`);
  assert.equal(info.contentType, contentType, `the content type from ${from}`);
  assert.deepEqual(info.metadata, metadata, `the metadata from ${from}`);
}



function bytesOf(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

async function* chunked(chunks: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  yield* chunks;
}

/** `bytes` in `count` chunks, with a turn of the event loop between them so writers interleave. */
async function* slowly(bytes: Uint8Array, count: number): AsyncGenerator<Uint8Array> {
  const size = Math.ceil(bytes.length / count);
  for (let offset = 0; offset < bytes.length; offset += size) {
    yield bytes.slice(offset, offset + size);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function readStream(stream: StoredObjectStream | undefined): Promise<Uint8Array> {
  assert.ok(stream, "getStream returned undefined");
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream.body) chunks.push(chunk);
  return new Uint8Array(Buffer.concat(chunks));
}

/**
 * Bytes `offset .. offset + length` of an endless pseudo-random sequence chosen by `seed`, so that
 * a misplaced, repeated or missing chunk anywhere changes the result. The sequence is the bytes of
 * 32-bit words in the platform's order; each word depends only on its index.
 */
function pattern(seed: number, offset: number, length: number): Uint8Array {
  const firstWord = Math.floor(offset / 4);
  const words = new Uint32Array(Math.ceil((offset + length) / 4) - firstWord);
  for (let index = 0; index < words.length; index++) words[index] = mix(seed, firstWord + index);
  return new Uint8Array(words.buffer, offset - firstWord * 4, length).slice();
}

function mix(seed: number, word: number): number {
  let hash = Math.imul(word ^ Math.imul(seed, 0x9e3779b9), 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  return (hash ^ (hash >>> 16)) >>> 0;
}

function* patternChunks(seed: number, size: number, chunkSize: number): Generator<Uint8Array> {
  for (let offset = 0; offset < size; offset += chunkSize) yield pattern(seed, offset, Math.min(chunkSize, size - offset));
}

function patternSha256(seed: number, size: number): string {
  const hash = createHash("sha256");
  for (const chunk of patternChunks(seed, size, 4 * MiB)) hash.update(chunk);
  return hash.digest("hex");
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function sizeName(size: number): string {
  return size % MiB === 0 ? `${size / MiB} MiB` : `${size} byte`;
}

function gate(): { open: () => void; opened: Promise<void> } {
  let open = () => undefined as void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: limit }, worker));
}
