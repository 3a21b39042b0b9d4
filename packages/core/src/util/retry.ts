import { isRetryable, throwIfAborted } from "../errors.js";
import { systemClock, type Clock } from "../ports/clock.js";
import type { OperationOptions } from "../ports/options.js";

/** Options of {@link withRetry}. */
export interface RetryOptions extends OperationOptions {
  /** Attempts in all, the first one included; 6 by default. */
  maxAttempts?: number;
  /** The first wait (100 ms by default); each later one doubles, with full jitter, up to `maxDelayInMs`. */
  initialDelayInMs?: number;
  /** The longest wait between two attempts; 10 s by default. */
  maxDelayInMs?: number;
  /** Waits between attempts; the system clock by default. */
  clock?: Clock;
  /** Which errors to retry; by default the transient KBackupError codes (Throttled, Unavailable, Timeout). */
  isRetryable?: (error: unknown) => boolean;
  /** Told of each retry, for logging and job records. */
  onRetry?: (error: unknown, attempt: number, delayInMs: number) => void;
}

/** Calls `operation` until it succeeds, a non-transient error occurs, or the attempts run out. */
export async function withRetry<T>(operation: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const { maxAttempts = 6, initialDelayInMs = 100, maxDelayInMs = 10_000, clock = systemClock, abortSignal } = options;
  const retryable = options.isRetryable ?? isRetryable;
  for (let attempt = 1; ; attempt++) {
    throwIfAborted(abortSignal);
    try {
      return await operation(attempt);
    } catch (error) {
      if (attempt >= maxAttempts || !retryable(error)) throw error;
      // Full jitter keeps many clients that failed together from retrying together.
      const ceiling = Math.min(maxDelayInMs, initialDelayInMs * 2 ** (attempt - 1));
      const delay = Math.round(Math.random() * ceiling);
      options.onRetry?.(error, attempt, delay);
      await clock.sleep(delay, { abortSignal });
    }
  }
}
