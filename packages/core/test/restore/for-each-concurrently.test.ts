import { describe, expect, it } from "vitest";
import { KBackupError, forEachConcurrently } from "@kbackup/core";

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("forEachConcurrently", () => {
  it("keeps at most `concurrency` workers running and starts items in input order", async () => {
    let running = 0;
    let most = 0;
    const started: number[] = [];
    await forEachConcurrently([0, 1, 2, 3, 4, 5, 6, 7], 3, async (item) => {
      started.push(item);
      running++;
      most = Math.max(most, running);
      await tick();
      running--;
    });
    expect(most).toBe(3);
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it("pulls from an async source only as workers free up", async () => {
    let pulled = 0;
    async function* source() {
      for (let i = 0; i < 10; i++) {
        pulled++;
        yield i;
      }
    }
    const gate = deferred();
    const run = forEachConcurrently(source(), 2, async () => gate.promise);
    await tick();
    expect(pulled).toBe(2);
    gate.resolve();
    await run;
    expect(pulled).toBe(10);
  });

  it("starts no worker for an item that arrives after another worker failed, and closes the source", async () => {
    const waiting = deferred();
    const gate = deferred();
    const fail = deferred();
    let closed = false;
    async function* source() {
      try {
        yield 0;
        waiting.resolve();
        await gate.promise;
        yield 1;
        yield 2;
      } finally {
        closed = true;
      }
    }
    const ran: number[] = [];
    const run = forEachConcurrently(source(), 2, async (item) => {
      ran.push(item);
      if (item === 0) {
        await fail.promise;
        throw new KBackupError("Unavailable", "The first item failed.");
      }
    });
    run.catch(() => undefined);
    await waiting.promise;
    fail.resolve();
    await tick();
    gate.resolve();
    await expect(run).rejects.toMatchObject({ code: "Unavailable" });
    expect(ran).toEqual([0]);
    expect(closed).toBe(true);
  });

  it("throws the source's error once running workers have settled", async () => {
    let settled = false;
    async function* source() {
      yield 0;
      throw new KBackupError("Integrity", "The archive is corrupt.");
    }
    const run = forEachConcurrently(source(), 2, async () => {
      await tick();
      settled = true;
    });
    await expect(run).rejects.toMatchObject({ code: "Integrity" });
    expect(settled).toBe(true);
  });

  it("stops taking items once the signal fires", async () => {
    const controller = new AbortController();
    const ran: number[] = [];
    const run = forEachConcurrently([0, 1, 2, 3], 1, async (item) => {
      ran.push(item);
      if (item === 1) controller.abort();
    }, controller.signal);
    await expect(run).rejects.toMatchObject({ code: "Aborted" });
    expect(ran).toEqual([0, 1]);
  });
});
