import { invalidArgument, throwIfAborted } from "../errors.js";

/**
 * Runs `worker` over `items` with at most `concurrency` calls in flight, in input order of start.
 * Items may be an async iterable, consumed only as fast as workers free up, so memory stays bounded.
 * The first error stops new work and is thrown once running calls have settled.
 */
export async function forEachConcurrently<T>(
  items: Iterable<T> | AsyncIterable<T>,
  concurrency: number,
  worker: (item: T, index: number) => Promise<void>,
  abortSignal?: AbortSignal,
): Promise<void> {
  const iterator = Symbol.asyncIterator in items ? items[Symbol.asyncIterator]() : toAsync(items as Iterable<T>);
  let index = 0;
  let failure: { error: unknown } | undefined;
  let done = false;
  // Pulls are serialised so that two runners never call `next` at once on a generator.
  let pulling: Promise<unknown> = Promise.resolve();
  const pull = (): Promise<IteratorResult<T> & { index: number }> => {
    const next = pulling.then(async () => {
      if (done || failure) return { done: true as const, value: undefined, index: -1 };
      const result = await iterator.next();
      if (result.done) done = true;
      return { ...result, index: index++ };
    });
    pulling = next.catch(() => undefined);
    return next;
  };
  const runner = async () => {
    while (!failure) {
      throwIfAborted(abortSignal);
      const next = await pull();
      // Another worker may have failed, or the signal fired, while this one waited for its item.
      if (next.done || failure) return;
      throwIfAborted(abortSignal);
      await worker(next.value, next.index);
    }
  };
  const runners = Array.from({ length: Math.max(1, concurrency) }, () =>
    runner().catch((error: unknown) => {
      failure ??= { error };
    }),
  );
  await Promise.all(runners);
  if (failure) {
    await iterator.return?.();
    throw failure.error;
  }
}

async function* toAsync<T>(items: Iterable<T>): AsyncIterableIterator<T> {
  yield* items;
}

/** Throws InvalidArgument (field `concurrency`) unless `concurrency` is absent or a whole number of at least 1. */
export function assertValidConcurrency(concurrency: number | undefined): void {
  if (concurrency !== undefined && !(Number.isSafeInteger(concurrency) && concurrency >= 1)) {
    throw invalidArgument("concurrency", `must be a whole number of at least 1, got ${concurrency}`);
  }
}
