import { abortedError, KBackupError, systemClock } from "@kbackup/core";

/** Options of {@link waitUntil}. */
export interface WaitUntilOptions {
  /** Fail with `Timeout` after this long. */
  timeoutInMs: number;
  /** What is awaited, for the Timeout message: `VolumeSnapshot shop/data-1 to be ready`. */
  what: string;
  /** Stops waiting, failing with `Aborted`. */
  signal?: AbortSignal | undefined;
}

/**
 * Calls `probe` until it returns a value other than `undefined`, waiting 50 ms after the first try
 * and twice as long after each next one, up to 2 s. Throws `Timeout` naming `what` (with the last
 * `note` the probe left, if any), `Aborted`, or what the probe throws.
 */
export async function waitUntil<T>(probe: (note: (text: string) => void) => Promise<T | undefined>, options: WaitUntilOptions): Promise<T> {
  const deadline = Date.now() + options.timeoutInMs;
  let last: string | undefined;
  for (let pause = 50; ; pause = Math.min(pause * 2, 2000)) {
    if (options.signal?.aborted) throw abortedError(options.signal);
    const value = await probe((text) => (last = text));
    if (value !== undefined) return value;
    const left = deadline - Date.now();
    if (left <= 0) throw new KBackupError("Timeout", `Waited ${options.timeoutInMs} ms for ${options.what}${last === undefined ? "" : `; last seen: ${last}`}.`);
    await systemClock.sleep(Math.min(pause, left), options.signal === undefined ? {} : { abortSignal: options.signal });
  }
}
