/** Bits of the filter: 2^25 (4 MiB), so a million ids give about one false positive in 5,000. */
const FILTER_BITS = 2 ** 25;

/**
 * Whether `id` may be in the filter: four 32-bit words of the id (itself a uniform hash) pick four
 * bits. Self-contained, because worker threads get its source text.
 */
export function filterMightContain(filter: Uint8Array, id: Uint8Array): boolean {
  const mask = filter.length * 8 - 1;
  for (let k = 0; k < 16; k += 4) {
    const bit = ((id[k] as number) | ((id[k + 1] as number) << 8) | ((id[k + 2] as number) << 16) | ((id[k + 3] as number) << 24)) & mask;
    if (((filter[bit >>> 3] as number) & (1 << (bit & 7))) === 0) return false;
  }
  return true;
}

/**
 * A Bloom filter of stored chunk ids in shared memory, so that worker threads can skip compressing
 * and encrypting chunks that are already stored without asking the main thread. It only grows: a
 * stale bit costs one extra check, never a lost chunk, since the main thread checks the index itself.
 */
export class KnownChunkFilter {
  readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(FILTER_BITS / 8);
  readonly #bits = new Uint8Array(this.buffer);

  /** Adds an id given as 64 hex digits. */
  add(idHex: string): void {
    const mask = FILTER_BITS - 1;
    for (let k = 0; k < 32; k += 8) {
      const word = Number.parseInt(idHex.slice(k, k + 8), 16);
      // The hex digits are big-endian per byte pair; rebuild the little-endian word the check reads.
      const bit = (((word >>> 24) & 0xff) | (((word >>> 16) & 0xff) << 8) | (((word >>> 8) & 0xff) << 16) | ((word & 0xff) << 24)) & mask;
      this.#bits[bit >>> 3] = (this.#bits[bit >>> 3] as number) | (1 << (bit & 7));
    }
  }

  mightContain(id: Uint8Array): boolean {
    return filterMightContain(this.#bits, id);
  }
}
