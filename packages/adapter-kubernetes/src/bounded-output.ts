import { Writable } from "node:stream";

/**
 * A stream sink that keeps the last `maxBytes` bytes written to it, for a command's output whose
 * size nobody controls.
 */
export class BoundedOutput extends Writable {
  readonly #maxBytes: number;
  #chunks: Buffer[] = [];
  #size = 0;

  constructor(maxBytes: number) {
    super();
    this.#maxBytes = maxBytes;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    // Compact once the kept bytes are twice the bound, so that each byte is copied O(1) times.
    if (this.#size > 2 * this.#maxBytes + 65536) this.#compact();
    callback();
  }

  /** The kept bytes as UTF-8, starting on a character boundary. */
  text(): string {
    this.#compact();
    const bytes = this.#chunks[0] ?? Buffer.alloc(0);
    let start = 0;
    // Valid UTF-8 starts on a lead byte; only a cut can leave continuation bytes in front.
    while (start < bytes.length && ((bytes[start] as number) & 0xc0) === 0x80) start++;
    return bytes.subarray(start).toString("utf8");
  }

  #compact(): void {
    const all = Buffer.concat(this.#chunks);
    const kept = all.length > this.#maxBytes ? all.subarray(all.length - this.#maxBytes) : all;
    this.#chunks = [kept];
    this.#size = kept.length;
  }
}
