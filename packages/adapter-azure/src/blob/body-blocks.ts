import { abortedError, invalidArgument, isKBackupError, KBackupError, throwIfAborted, type ObjectBody } from "@kbackup/core";

/** Azure's most blocks in one block blob. */
export const MAX_BLOCKS_PER_BLOB = 50_000;
/** Azure's largest block (4,000 MiB). */
export const MAX_BLOCK_SIZE_IN_BYTES = 4000 * 1024 * 1024;
/** After this many blocks of a stream, the block size doubles, so a stream of unknown size still fits in 50,000 blocks. */
const BLOCKS_PER_SIZE_STEP = 10_000;

/**
 * The size of block `index` of a body cut into `blockSize` blocks: for a body of known size, large
 * enough that it fits in 50,000 blocks; for a stream, doubling every 10,000 blocks.
 */
export function blockSizeAt(index: number, blockSize: number, knownSize: number | undefined): number {
  if (knownSize !== undefined) return Math.min(MAX_BLOCK_SIZE_IN_BYTES, Math.max(blockSize, Math.ceil(knownSize / MAX_BLOCKS_PER_BLOB)));
  return Math.min(MAX_BLOCK_SIZE_IN_BYTES, blockSize * 2 ** Math.floor(index / BLOCKS_PER_SIZE_STEP));
}

/**
 * Cuts `body` into blocks of `blockSizeAt` bytes (the last one shorter). A Uint8Array body is
 * sliced without copying; a stream's chunks are gathered into new buffers. Fails with `Aborted`
 * as soon as `signal` fires, even while the stream is waited on; with `InvalidArgument` for a
 * chunk that is not a Uint8Array; with `Adapter` when the stream itself fails.
 */
export async function* blocksOf(key: string, body: ObjectBody, blockSize: number, signal: AbortSignal | undefined): AsyncGenerator<Uint8Array, void, undefined> {
  if (body instanceof Uint8Array) {
    const size = blockSizeAt(0, blockSize, body.length);
    for (let offset = 0; offset < body.length; offset += size) {
      throwIfAborted(signal);
      yield body.subarray(offset, Math.min(body.length, offset + size));
    }
    return;
  }
  let index = 0;
  let block = Buffer.allocUnsafe(blockSizeAt(index, blockSize, undefined));
  let filled = 0;
  try {
    for await (const chunk of abortable(body, signal)) {
      if (!(chunk instanceof Uint8Array)) throw invalidArgument("body", `the body of ${key} yielded a chunk that is not a Uint8Array`);
      let offset = 0;
      while (offset < chunk.length) {
        const taken = Math.min(block.length - filled, chunk.length - offset);
        block.set(chunk.subarray(offset, offset + taken), filled);
        filled += taken;
        offset += taken;
        if (filled === block.length) {
          yield block;
          index++;
          block = Buffer.allocUnsafe(blockSizeAt(index, blockSize, undefined));
          filled = 0;
        }
      }
    }
  } catch (error) {
    if (isKBackupError(error)) throw error;
    throw new KBackupError("Adapter", `Reading the body of ${key} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  if (filled > 0) yield block.subarray(0, filled);
}

/**
 * Iterates `source`, failing with `Aborted` as soon as `signal` fires, even while a chunk is awaited.
 * When iteration stops early the source is told to stop (`return()`) without waiting for it, since
 * a source blocked on its own I/O may never answer.
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

/** `promise`, or an `Aborted` rejection as soon as `signal` fires. */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  // The pending promise may still reject after an abort; nobody waits for it then.
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
