import { abortedError } from "../errors.js";
import type { OperationOptions } from "./options.js";

/** Time, injected so that schedules, retention and timeouts can be tested without waiting. */
export interface Clock {
  /** The current time by this clock. */
  now(): Date;
  /** Resolves after `ms` milliseconds of this clock's time; rejects with `Aborted` on abort. */
  sleep(ms: number, options?: OperationOptions): Promise<void>;
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms, options = {}) =>
    new Promise<void>((resolve, reject) => {
      const signal = options.abortSignal;
      if (signal?.aborted) return reject(abortedError(signal));
      const onAbort = () => {
        clearTimeout(timer);
        reject(abortedError(signal));
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      signal?.addEventListener("abort", onAbort, { once: true });
    }),
};
