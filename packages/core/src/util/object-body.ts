import { abortedError, invalidArgument, isKBackupError, KBackupError, throwIfAborted } from "../errors.js";
import type { ObjectBody } from "../ports/object-store.js";

/**
 * Iterates `source`, failing with `Aborted` as soon as `signal` fires, even while a chunk is awaited.
 * When iteration stops early, the source is told to stop (`return()`) without waiting for it, since a
 * source blocked on its own I/O may never answer. Errors of the source pass through unchanged.
 */
export async function* abortableIterable<T>(source: AsyncIterable<T>, signal: AbortSignal | undefined): AsyncGenerator<T, void, undefined> {
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
 * The chunks of a body given to `ObjectStore.put` for `key`: a Uint8Array body as its one chunk (not
 * copied, even when empty), a stream's chunks as they come (not copied either). Fails with `Aborted`
 * as soon as `signal` fires, even while the stream is waited on; with `InvalidArgument` for a chunk
 * that is not a Uint8Array; with an `Adapter` error naming `key` when the stream fails with an error
 * that is not a KBackupError (a KBackupError passes through).
 */
export async function* objectBodyChunks(key: string, body: ObjectBody, signal: AbortSignal | undefined): AsyncGenerator<Uint8Array, void, undefined> {
  if (body instanceof Uint8Array) {
    yield body;
    return;
  }
  try {
    for await (const chunk of abortableIterable(body, signal)) {
      if (!(chunk instanceof Uint8Array)) throw invalidArgument("body", `the body of ${key} yielded a chunk that is not a Uint8Array`);
      yield chunk;
    }
  } catch (error) {
    if (isKBackupError(error)) throw error;
    throw new KBackupError("Adapter", `Reading the body of ${key} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/**
 * Reads a whole body given to `ObjectStore.put` for `key` into one new array (a copy, even of a
 * Uint8Array body, so the caller may reuse its buffers). Fails as `objectBodyChunks` does.
 */
export async function readObjectBody(key: string, body: ObjectBody, signal: AbortSignal | undefined): Promise<Uint8Array> {
  if (body instanceof Uint8Array) return body.slice();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of objectBodyChunks(key, body, signal)) {
    // A stream may refill the buffer of a chunk it has yielded.
    chunks.push(chunk.slice());
    size += chunk.length;
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}
