import type { FileHandle } from "node:fs/promises";

const STAGE_SIZE = 1024 * 1024;

/**
 * Appends chunks to a file, gathering small ones into a 1 MiB buffer so that a body of many tiny
 * chunks costs few system calls; memory stays at that buffer whatever the body's size.
 */
export class StagedWriter {
  readonly #handle: FileHandle;
  readonly #stage = new Uint8Array(STAGE_SIZE);
  #staged = 0;
  #position = 0;

  constructor(handle: FileHandle) {
    this.#handle = handle;
  }

  /** Bytes written or staged so far. */
  get size(): number {
    return this.#position + this.#staged;
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (chunk.length >= STAGE_SIZE) {
      await this.flush();
      await this.#writeAll(chunk);
      return;
    }
    if (this.#staged + chunk.length > STAGE_SIZE) await this.flush();
    this.#stage.set(chunk, this.#staged);
    this.#staged += chunk.length;
  }

  async flush(): Promise<void> {
    if (this.#staged === 0) return;
    await this.#writeAll(this.#stage.subarray(0, this.#staged));
    this.#staged = 0;
  }

  async #writeAll(bytes: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < bytes.length) {
      const { bytesWritten } = await this.#handle.write(bytes, offset, bytes.length - offset, this.#position);
      offset += bytesWritten;
      this.#position += bytesWritten;
    }
  }
}
