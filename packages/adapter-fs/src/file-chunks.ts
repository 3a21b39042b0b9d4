import type { FileHandle } from "node:fs/promises";
import { KBackupError, throwIfAborted } from "@kbackup/core";
import { fsError } from "./fs-errors.js";

/**
 * Bytes `start .. end` of an open file, read chunk by chunk as the consumer asks, so that memory
 * stays at one chunk whatever the file's size. The handle is closed at the end, on an error, or
 * when the consumer stops (`return()`, as `break` in `for await` does); a body never iterated
 * keeps its file open until it is garbage-collected. It can be iterated once.
 */
export class FileChunks implements AsyncIterableIterator<Uint8Array> {
  readonly #handle: FileHandle;
  readonly #end: number;
  readonly #chunkSize: number;
  readonly #signal: AbortSignal | undefined;
  readonly #key: string;
  #position: number;
  #closed = false;

  constructor(key: string, handle: FileHandle, start: number, end: number, chunkSize: number, signal: AbortSignal | undefined) {
    this.#key = key;
    this.#handle = handle;
    this.#position = start;
    this.#end = end;
    this.#chunkSize = chunkSize;
    this.#signal = signal;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<Uint8Array> {
    return this;
  }

  async next(): Promise<IteratorResult<Uint8Array>> {
    if (this.#closed) return { done: true, value: undefined };
    try {
      throwIfAborted(this.#signal);
      if (this.#position >= this.#end) {
        await this.#close();
        return { done: true, value: undefined };
      }
      const chunk = await readExactly(this.#handle, this.#position, Math.min(this.#chunkSize, this.#end - this.#position), this.#key);
      this.#position += chunk.length;
      return { done: false, value: chunk };
    } catch (error) {
      await this.#close();
      throw fsError(error, "Reading object", this.#key);
    }
  }

  async return(): Promise<IteratorResult<Uint8Array>> {
    await this.#close();
    return { done: true, value: undefined };
  }

  async #close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#handle.close().catch(() => undefined);
  }
}

/**
 * `length` bytes of an open file from `position`; `Aborted` once `signal` fires between reads.
 * Throws `Integrity` when the file ends first:
 * the store never changes a published file in place, so only outside tampering can shorten one.
 */
export async function readExactly(handle: FileHandle, position: number, length: number, key: string, signal?: AbortSignal): Promise<Uint8Array> {
  const bytes = new Uint8Array(length);
  let filled = 0;
  while (filled < length) {
    throwIfAborted(signal);
    const { bytesRead } = await handle.read(bytes, filled, length - filled, position + filled);
    if (bytesRead === 0) throw new KBackupError("Integrity", `The file of object ${key} ended before its recorded size: it was changed outside the store.`, { details: { key } });
    filled += bytesRead;
  }
  return bytes;
}
