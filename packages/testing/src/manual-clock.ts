import { abortedError, invalidArgument, type Clock, type OperationOptions } from "@kbackup/core";

interface Sleeper {
  wakeAtInMs: number;
  /** Breaks ties between sleepers due at the same time: the earlier call wakes first. */
  order: number;
  resolve: () => void;
}

interface SleepWaiter {
  count: number;
  resolve: () => void;
}

/** Where a ManualClock starts when no time is given. */
export const MANUAL_CLOCK_DEFAULT_START = "2025-01-15T09:00:00.000Z";

/**
 * A clock that moves only when a test moves it, so schedules, retention and timeouts run without
 * waiting. `sleep` resolves when `advance` or `set` brings the clock to its wake-up time.
 */
export class ManualClock implements Clock {
  #nowInMs: number;
  #sleepers: Sleeper[] = [];
  #sleepWaiters: SleepWaiter[] = [];
  #order = 0;

  /**
   * @param start the clock's first time (a Date, an ISO 8601 string or epoch milliseconds);
   *   defaults to {@link MANUAL_CLOCK_DEFAULT_START}. Throws `InvalidArgument` (field `start`) if
   *   it is not a valid time.
   */
  constructor(start: Date | string | number = MANUAL_CLOCK_DEFAULT_START) {
    this.#nowInMs = toEpochMs("start", start);
  }

  /** The clock's current time, as a new Date. */
  now(): Date {
    return new Date(this.#nowInMs);
  }

  /**
   * Resolves once the clock has been moved `ms` milliseconds past the time of this call (at once
   * for 0). Rejects with `Aborted` when `options.abortSignal` fires first, and with
   * `InvalidArgument` (field `ms`) for a negative or non-finite duration.
   */
  sleep(ms: number, options: OperationOptions = {}): Promise<void> {
    if (!Number.isFinite(ms) || ms < 0) return Promise.reject(invalidArgument("ms", `must be a finite number >= 0, got ${ms}`));
    const signal = options.abortSignal;
    if (signal?.aborted) return Promise.reject(abortedError(signal));
    if (ms === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.#sleepers = this.#sleepers.filter((candidate) => candidate !== sleeper);
        reject(abortedError(signal));
      };
      const sleeper: Sleeper = {
        wakeAtInMs: this.#nowInMs + ms,
        order: this.#order++,
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#sleepers.push(sleeper);
      this.#notifySleepWaiters();
    });
  }

  /** How many sleeps are waiting for the clock to move. */
  get pendingSleeps(): number {
    return this.#sleepers.length;
  }

  /** When the next pending sleep is due, or `undefined` when none is pending. */
  nextWakeAt(): Date | undefined {
    const next = this.#nextSleeper();
    return next === undefined ? undefined : new Date(next.wakeAtInMs);
  }

  /**
   * Resolves once at least `count` sleeps are pending: lets a test wait until the code under test
   * has gone to sleep before it moves the clock. Throws `InvalidArgument` (field `count`) for a
   * count below 1.
   */
  untilSleeping(count = 1): Promise<void> {
    if (!Number.isInteger(count) || count < 1) return Promise.reject(invalidArgument("count", `must be an integer >= 1, got ${count}`));
    if (this.#sleepers.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.#sleepWaiters.push({ count, resolve }));
  }

  /**
   * Moves the clock `ms` milliseconds forward. The sleeps due within that span wake one by one,
   * in the order of their wake-up times (then of their calls), with the clock showing each one's
   * wake-up time while it runs; code woken this way that sleeps again within the span wakes too.
   * Await the returned promise: it settles after the woken code has run as far as it can without
   * the clock moving. Throws `InvalidArgument` (field `ms`) for a negative or non-finite duration.
   */
  async advance(ms: number): Promise<void> {
    if (!Number.isFinite(ms) || ms < 0) throw invalidArgument("ms", `must be a finite number >= 0, got ${ms}`);
    await this.#runUntil(this.#nowInMs + ms);
  }

  /**
   * Sets the clock to `date`. Moving forward wakes the sleeps that come due as {@link advance}
   * does; moving backward wakes none, and pending sleeps keep their wake-up times. Await the
   * returned promise. Throws `InvalidArgument` (field `date`) if it is not a valid time.
   */
  async set(date: Date | string | number): Promise<void> {
    const target = toEpochMs("date", date);
    if (target <= this.#nowInMs) {
      this.#nowInMs = target;
      return;
    }
    await this.#runUntil(target);
  }

  async #runUntil(targetInMs: number): Promise<void> {
    for (;;) {
      const next = this.#nextSleeper();
      if (next === undefined || next.wakeAtInMs > targetInMs) break;
      this.#sleepers = this.#sleepers.filter((candidate) => candidate !== next);
      this.#nowInMs = Math.max(this.#nowInMs, next.wakeAtInMs);
      next.resolve();
      await settle();
    }
    this.#nowInMs = Math.max(this.#nowInMs, targetInMs);
    await settle();
  }

  #nextSleeper(): Sleeper | undefined {
    let next: Sleeper | undefined;
    for (const sleeper of this.#sleepers) {
      if (next === undefined || sleeper.wakeAtInMs < next.wakeAtInMs || (sleeper.wakeAtInMs === next.wakeAtInMs && sleeper.order < next.order)) {
        next = sleeper;
      }
    }
    return next;
  }

  #notifySleepWaiters(): void {
    const ready = this.#sleepWaiters.filter((waiter) => this.#sleepers.length >= waiter.count);
    this.#sleepWaiters = this.#sleepWaiters.filter((waiter) => this.#sleepers.length < waiter.count);
    for (const waiter of ready) waiter.resolve();
  }
}

/** Lets every queued promise continuation run: a macrotask turn comes only after all microtasks. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function toEpochMs(field: string, value: Date | string | number): number {
  const time = value instanceof Date ? value.getTime() : typeof value === "string" ? Date.parse(value) : value;
  if (typeof time !== "number" || !Number.isFinite(time)) throw invalidArgument(field, `not a valid time: ${String(value)}`);
  return time;
}
