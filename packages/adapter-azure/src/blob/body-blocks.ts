import { objectBodyChunks, throwIfAborted, type ObjectBody } from "@kbackup/core";

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
 * chunk that is not a Uint8Array; with `Adapter` when the stream itself fails (`objectBodyChunks`).
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
  for await (const chunk of objectBodyChunks(key, body, signal)) {
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
  if (filled > 0) yield block.subarray(0, filled);
}
