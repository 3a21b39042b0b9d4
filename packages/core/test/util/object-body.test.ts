import { describe, expect, it } from "vitest";
import { abortableIterable, objectBodyChunks, readObjectBody } from "@kbackup/core";

const bytes = (text: string) => new TextEncoder().encode(text);

async function failure(promise: Promise<unknown>): Promise<{ code?: string; field?: string; message?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code?: string; field?: string; message?: string };
  }
  throw new Error("expected a failure");
}

async function drain(chunks: AsyncIterable<unknown>): Promise<unknown[]> {
  const all: unknown[] = [];
  for await (const chunk of chunks) all.push(chunk);
  return all;
}

describe("reading object bodies", () => {
  it("reads bytes and streams into a copy", async () => {
    const given = bytes("abc");
    const read = await readObjectBody("k", given, undefined);
    expect(read).toEqual(given);
    expect(read).not.toBe(given);
    const reused = bytes("xy");
    async function* stream() {
      yield reused;
      reused.set(bytes("zz"));
      yield reused;
    }
    expect(new TextDecoder().decode(await readObjectBody("k", stream(), undefined))).toBe("xyzz");
  });

  it("yields a Uint8Array body as its one chunk, even when empty", async () => {
    const empty = new Uint8Array(0);
    expect(await drain(objectBodyChunks("k", empty, undefined))).toEqual([empty]);
  });

  it("rejects a chunk that is not bytes and wraps a foreign stream error, naming the key", async () => {
    async function* text() {
      yield "text" as unknown as Uint8Array;
    }
    expect(await failure(readObjectBody("a/b", text(), undefined))).toMatchObject({ code: "InvalidArgument", field: "body" });
    async function* broken(): AsyncGenerator<Uint8Array> {
      yield bytes("x");
      throw new Error("disk gone");
    }
    expect(await failure(readObjectBody("a/b", broken(), undefined))).toMatchObject({ code: "Adapter", message: "Reading the body of a/b failed: disk gone" });
  });

  it("ends with Aborted while a chunk is awaited, and tells the source to stop", async () => {
    let stopped = false;
    const source: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]: () => ({
        next: () => new Promise<IteratorResult<Uint8Array>>(() => undefined),
        return: async () => {
          stopped = true;
          return { done: true, value: undefined };
        },
      }),
    };
    const controller = new AbortController();
    const reading = readObjectBody("k", source, controller.signal);
    controller.abort();
    expect((await failure(reading)).code).toBe("Aborted");
    expect(stopped).toBe(true);
  });

  it("passes items through until the signal fires", async () => {
    const controller = new AbortController();
    const seen: number[] = [];
    async function* numbers() {
      for (let n = 1; ; n++) yield n;
    }
    const run = (async () => {
      for await (const n of abortableIterable(numbers(), controller.signal)) {
        seen.push(n);
        if (n === 3) controller.abort();
      }
    })();
    expect((await failure(run)).code).toBe("Aborted");
    expect(seen).toEqual([1, 2, 3]);
  });
});
