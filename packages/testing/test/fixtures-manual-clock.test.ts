import { describe, expect, it } from "vitest";
import { isKBackupError } from "@kbackup/core";
import { MANUAL_CLOCK_DEFAULT_START, ManualClock } from "@kbackup/testing";

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

describe("ManualClock", () => {
  it("starts at the given time, or a fixed default, and returns fresh dates", () => {
    expect(new ManualClock().now().toISOString()).toBe(MANUAL_CLOCK_DEFAULT_START);
    const clock = new ManualClock("2030-06-01T12:00:00Z");
    expect(clock.now().toISOString()).toBe("2030-06-01T12:00:00.000Z");
    clock.now().setFullYear(1999);
    expect(clock.now().getUTCFullYear()).toBe(2030);
    expect(new ManualClock(0).now().getTime()).toBe(0);
  });

  it("resolves a sleep only once the clock has moved far enough", async () => {
    const clock = new ManualClock();
    let woke = false;
    const sleeping = clock.sleep(1000).then(() => (woke = true));
    await clock.advance(999);
    expect(woke).toBe(false);
    expect(clock.pendingSleeps).toBe(1);
    await clock.advance(1);
    await sleeping;
    expect(woke).toBe(true);
    expect(clock.pendingSleeps).toBe(0);
    expect(clock.now().getTime() - Date.parse(MANUAL_CLOCK_DEFAULT_START)).toBe(1000);
  });

  it("wakes due sleeps in order of their times, showing each one's time", async () => {
    const clock = new ManualClock(0);
    const woken: Array<[string, number]> = [];
    const sleep = (label: string, ms: number) => clock.sleep(ms).then(() => woken.push([label, clock.now().getTime()]));
    const all = Promise.all([sleep("c", 300), sleep("a", 100), sleep("b", 200), sleep("a2", 100), sleep("late", 5000)]);
    expect(clock.nextWakeAt()?.getTime()).toBe(100);
    await clock.advance(1000);
    expect(woken).toEqual([["a", 100], ["a2", 100], ["b", 200], ["c", 300]]);
    expect(clock.now().getTime()).toBe(1000);
    expect(clock.pendingSleeps).toBe(1);
    await clock.advance(4000);
    await all;
    expect(woken.at(-1)).toEqual(["late", 5000]);
  });

  it("wakes code that sleeps again within the span it advances", async () => {
    const clock = new ManualClock(0);
    const ticks: number[] = [];
    const loop = (async () => {
      for (let tick = 0; tick < 5; tick++) {
        await clock.sleep(100);
        ticks.push(clock.now().getTime());
      }
    })();
    await clock.advance(350);
    expect(ticks).toEqual([100, 200, 300]);
    await clock.advance(150);
    await loop;
    expect(ticks).toEqual([100, 200, 300, 400, 500]);
  });

  it("wakes due sleeps when set forward, and none when set back", async () => {
    const clock = new ManualClock(1000);
    let woke = false;
    void clock.sleep(500).then(() => (woke = true));
    await clock.set(new Date(0));
    expect(clock.now().getTime()).toBe(0);
    expect(woke).toBe(false);
    await clock.set(1400);
    expect(woke).toBe(false);
    await clock.set("1970-01-01T00:00:01.500Z");
    expect(woke).toBe(true);
    expect(clock.now().getTime()).toBe(1500);
  });

  it("resolves a zero sleep at once", async () => {
    const clock = new ManualClock();
    await clock.sleep(0);
    expect(clock.pendingSleeps).toBe(0);
  });

  it("rejects with Aborted when the signal fires, and forgets the sleep", async () => {
    const clock = new ManualClock(0);
    const controller = new AbortController();
    const sleeping = clock.sleep(1000, { abortSignal: controller.signal });
    expect(clock.pendingSleeps).toBe(1);
    controller.abort(new Error("stop"));
    const error = await rejection(sleeping);
    expect(isKBackupError(error, "Aborted")).toBe(true);
    expect(clock.pendingSleeps).toBe(0);
    await clock.advance(2000);
  });

  it("rejects at once for an already aborted signal", async () => {
    const clock = new ManualClock();
    const error = await rejection(clock.sleep(10, { abortSignal: AbortSignal.abort() }));
    expect(isKBackupError(error, "Aborted")).toBe(true);
    expect(clock.pendingSleeps).toBe(0);
  });

  it("lets a test wait until the code under test is asleep", async () => {
    const clock = new ManualClock(0);
    let asleep = false;
    const waiting = clock.untilSleeping(2).then(() => (asleep = true));
    void clock.sleep(10);
    await clock.advance(0);
    expect(asleep).toBe(false);
    void clock.sleep(20);
    await waiting;
    expect(asleep).toBe(true);
    await clock.untilSleeping(1);
    await clock.advance(20);
  });

  it("rejects bad arguments, naming the field", async () => {
    const clock = new ManualClock();
    for (const [promise, field] of [
      [clock.sleep(-1), "ms"],
      [clock.sleep(Number.NaN), "ms"],
      [clock.advance(-5), "ms"],
      [clock.set("not a date"), "date"],
      [clock.untilSleeping(0), "count"],
    ] as const) {
      const error = await rejection(promise);
      expect(isKBackupError(error, "InvalidArgument"), field).toBe(true);
      expect((error as { field?: string }).field).toBe(field);
    }
    expect(() => new ManualClock("yesterday")).toThrow(/start/);
  });
});
