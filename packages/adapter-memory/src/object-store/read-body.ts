import { abortedError, invalidArgument, isKBackupError, KBackupError, throwIfAborted, type ObjectBody } from "@kbackup/core";

/**
 * Iterates `source`, failing with `Aborted` as soon as `signal` fires, even while a chunk is awaited.
 * When iteration stops early, the source is told to stop (`return()`) without waiting for it, since a
 * source blocked on its own I/O may never answer.
 */
export async function* abortable<T>(source: AsyncIterable<T>, signal: AbortSignal | undefined): AsyncGenerator<T, void, undefined> {
  const iterator = source[Symbol.asyncIterator]();
  let finished = false;
  try {
    for (;;) {
      throwIfAborted(signal);
      const result = await raceAbort(iterator.next(), signal);
      if (result.done) {
        finished = true;
        return;
      }
      yield result.value;
    }
  } finally {
    if (!finished) Promise.resolve(iterator.return?.()).catch(() => undefined);
  }
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  // The source's pending promise may still reject after an abort; nobody waits for it then.
  promise.catch(() => undefined);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortedError(signal));
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/**
 * Reads a whole body into one new array (a copy, even of a Uint8Array body).
 * Throws `Aborted` when `signal` fires, `InvalidArgument` for a chunk that is not a Uint8Array, and
 * an `Adapter` error naming `key` when the body's own stream fails with a foreign error.
 */
export async function readBody(key: string, body: ObjectBody, signal: AbortSignal | undefined): Promise<Uint8Array> {
  if (body instanceof Uint8Array) return body.slice();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of abortable(body, signal)) {
      if (!(chunk instanceof Uint8Array)) throw invalidArgument("body", `the body of ${key} yielded a chunk that is not a Uint8Array`);
      chunks.push(chunk.slice());
      size += chunk.length;
    }
  } catch (error) {
    if (isKBackupError(error)) throw error;
    throw new KBackupError("Adapter", `Reading the body of ${key} failed: ${(error as Error)?.message ?? String(error)}`, { cause: error });
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}
