import { KBackupError, invalidArgument, throwIfAborted } from "../errors.js";
import type { SnapshotReader } from "../ports/snapshot-provider.js";
import type { ContentDefinedChunker } from "./chunker.js";

/** A chunk cut from content: where it is, and its bytes (a fresh copy), or none when it is all zeros. */
export interface ContentPiece {
  offset: number;
  length: number;
  /** Undefined for an all-zero chunk, which costs no copy. */
  bytes: Uint8Array | undefined;
}

/**
 * Writes up to `max` bytes of the content at `position` into `target` at `at`; returns how many,
 * 0 only at the end of the content.
 */
export type ContentFill = (target: Uint8Array, at: number, max: number, position: number) => Promise<number>;

const zeroBuffers = new Map<number, Buffer>();

/** A shared, never-written buffer of `length` zero bytes (callers must not modify it). */
export function zeros(length: number): Buffer {
  let buffer = zeroBuffers.get(length);
  if (buffer === undefined) {
    buffer = Buffer.alloc(length);
    zeroBuffers.set(length, buffer);
  }
  return buffer;
}

function isZero(bytes: Uint8Array, start: number, end: number, zeroRun: Buffer): boolean {
  if (bytes[start] !== 0 || bytes[end - 1] !== 0) return false;
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).equals(zeroRun.subarray(0, end - start));
}

/**
 * Cuts the content at `[start, end)` into chunks with `chunker`, reading it through `fill` into one
 * window of twice the maximum chunk size. `end` is a forced cut (the end of the content, or the end of
 * a re-read span). Runs of zeros are recognised without hashing or copying.
 */
export async function* cutContent(
  fill: ContentFill,
  chunker: ContentDefinedChunker,
  start: number,
  end: number,
  abortSignal?: AbortSignal,
): AsyncGenerator<ContentPiece> {
  const window = new Uint8Array(Math.max(2 * chunker.max, 1024 * 1024));
  const zeroRun = zeros(chunker.max);
  let head = 0; // first unconsumed byte in the window
  let tail = 0; // end of the bytes read into the window
  let position = start; // content offset of window[head]
  let exhausted = false;
  while (true) {
    while (!exhausted && tail - head < chunker.max) {
      throwIfAborted(abortSignal);
      if (window.length - tail < chunker.max && head > 0) {
        window.copyWithin(0, head, tail);
        tail -= head;
        head = 0;
      }
      const wanted = Math.min(window.length - tail, end - (position + tail - head));
      if (wanted <= 0) {
        exhausted = true;
        break;
      }
      const got = await fill(window, tail, wanted, position + tail - head);
      if (got === 0) exhausted = true;
      tail += got;
    }
    if (head === tail) return;
    let length: number;
    let zero: boolean;
    if (tail - head >= chunker.max && isZero(window, head, head + chunker.max, zeroRun)) {
      length = chunker.zeroRunCut;
      zero = true;
    } else {
      length = chunker.cut(window, head, tail);
      zero = isZero(window, head, head + length, zeroRun);
    }
    yield { offset: position, length, bytes: zero ? undefined : window.slice(head, head + length) };
    head += length;
    position += length;
  }
}

/** A fill that reads a snapshot reader; `Adapter` when the reader ends before `sizeInBytes`. */
export function readerFill(reader: Pick<SnapshotReader, "read" | "sizeInBytes">, abortSignal?: AbortSignal): ContentFill {
  return async (target, at, max, position) => {
    const want = Math.min(max, reader.sizeInBytes - position);
    if (want <= 0) return 0;
    const bytes = await reader.read(position, want, { abortSignal });
    if (!(bytes instanceof Uint8Array)) throw invalidArgument("reader", "read must return a Uint8Array");
    if (bytes.length === 0) throw new KBackupError("Adapter", `The volume reader returned no bytes at offset ${position}, before its size of ${reader.sizeInBytes} bytes.`);
    const got = Math.min(bytes.length, want);
    target.set(got === bytes.length ? bytes : bytes.subarray(0, got), at);
    return got;
  };
}

/** A fill that drains a stream of byte chunks (or one byte array), counting what it yields. */
export function streamFill(body: Uint8Array | AsyncIterable<Uint8Array>): ContentFill & { total(): number } {
  const iterator = body instanceof Uint8Array ? undefined : body[Symbol.asyncIterator]();
  let pending: Uint8Array | undefined = body instanceof Uint8Array ? body : undefined;
  let total = 0;
  const fill = async (target: Uint8Array, at: number, max: number) => {
    let written = 0;
    while (written < max) {
      if (pending === undefined || pending.length === 0) {
        if (iterator === undefined) break;
        const next = await iterator.next();
        if (next.done) break;
        if (!(next.value instanceof Uint8Array)) throw invalidArgument("body", "must yield Uint8Array chunks");
        pending = next.value;
        continue;
      }
      const take = Math.min(pending.length, max - written);
      target.set(pending.subarray(0, take), at + written);
      pending = pending.subarray(take);
      written += take;
      // A stream's read is as good as a full window: return so the chunker can work while bytes flow.
      if (iterator !== undefined && written > 0 && pending.length === 0) break;
    }
    total += written;
    return written;
  };
  return Object.assign(fill, { total: () => total });
}
