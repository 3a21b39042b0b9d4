import { invalidArgument, systemClock, throwIfAborted } from "@kbackup/core";

/**
 * A client-side rate limit: `qps` requests a second on average, with bursts of up to `burst`
 * (client-go's token bucket; Velero runs it at 100 / 100). Waiters are served in arrival order.
 */
export class TokenBucket {
  readonly #qps: number;
  readonly #burst: number;
  #tokens: number;
  #updatedAtInMs: number;
  /** When the last reserved token becomes available: waiters queue behind it. */
  #queue: Promise<void> = Promise.resolve();

  /** `qps` of `Infinity` takes no limit. Throws `InvalidArgument` for a `qps` or `burst` that is not > 0. */
  constructor(qps: number, burst: number) {
    if (!(qps > 0)) throw invalidArgument("qps", `must be a number > 0, got ${qps}`);
    if (!Number.isFinite(burst) || burst < 1) throw invalidArgument("burst", `must be a number >= 1, got ${burst}`);
    this.#qps = qps;
    this.#burst = burst;
    this.#tokens = burst;
    this.#updatedAtInMs = performance.now();
  }

  /** Resolves when the caller may send one request; rejects with `Aborted` when the signal fires first. */
  take(signal?: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    if (this.#qps === Number.POSITIVE_INFINITY) return Promise.resolve();
    const turn = this.#queue.then(() => this.#waitForToken(signal));
    // A waiter that gave up must not hold up the ones behind it.
    this.#queue = turn.catch(() => undefined);
    return turn;
  }

  async #waitForToken(signal: AbortSignal | undefined): Promise<void> {
    for (;;) {
      throwIfAborted(signal);
      const nowInMs = performance.now();
      this.#tokens = Math.min(this.#burst, this.#tokens + ((nowInMs - this.#updatedAtInMs) / 1000) * this.#qps);
      this.#updatedAtInMs = nowInMs;
      if (this.#tokens >= 1) {
        this.#tokens -= 1;
        return;
      }
      await systemClock.sleep(((1 - this.#tokens) / this.#qps) * 1000, signal === undefined ? {} : { abortSignal: signal });
    }
  }
}
