import { invalidArgument } from "../errors.js";
import { gearTable } from "./gear-table.js";

/** Sizes and seed of the content-defined chunker, stored in the repository's config. */
export interface ChunkerParameters {
  /** No cut before this many bytes (except at the end of the content). */
  minSizeInBytes: number;
  /** The size chunks are normalised around; a power of two. */
  averageSizeInBytes: number;
  /** A cut is forced here. */
  maxSizeInBytes: number;
  /** Hex seed of the gear table. */
  gearSeed: string;
}

/**
 * The default sizes: 256 KiB, 1 MiB, 4 MiB. A write to a volume costs about its own size plus one
 * average chunk in the next copy, so smaller chunks store small changes closer to their size; the
 * price is a larger index (about 1 M entries per TB).
 */
export const DEFAULT_CHUNKER_SIZES = { minSizeInBytes: 256 * 1024, averageSizeInBytes: 1024 * 1024, maxSizeInBytes: 4 * 1024 * 1024 } as const;

/** How many bits the normalised masks differ from log2(average) by (FastCDC's "NC level"). */
const NORMALIZATION_LEVEL = 2;

/**
 * Checks chunker parameters: sizes are integers, 64 B ≤ min < average < max ≤ 64 MiB, the average a
 * power of two, the seed 16 to 64 hex digits. Throws `InvalidArgument` naming `field`.
 */
export function assertChunkerParameters(parameters: ChunkerParameters, field = "chunker"): void {
  const { minSizeInBytes: min, averageSizeInBytes: average, maxSizeInBytes: max, gearSeed } = parameters;
  for (const [name, value] of [["minSizeInBytes", min], ["averageSizeInBytes", average], ["maxSizeInBytes", max]] as const) {
    if (!Number.isSafeInteger(value) || value < 64 || value > 64 * 1024 * 1024) throw invalidArgument(`${field}.${name}`, "must be an integer from 64 to 67108864");
  }
  if (!(min < average && average < max)) throw invalidArgument(field, "needs minSizeInBytes < averageSizeInBytes < maxSizeInBytes");
  if ((average & (average - 1)) !== 0) throw invalidArgument(`${field}.averageSizeInBytes`, "must be a power of two");
  if (typeof gearSeed !== "string" || !/^(?:[0-9a-f]{2}){8,32}$/.test(gearSeed)) throw invalidArgument(`${field}.gearSeed`, "must be 16 to 64 lower-case hex digits");
}

/** A mask of the top `bits` bits of a 32-bit hash, as a signed 32-bit integer (what `&` yields). */
function topBits(bits: number): number {
  return (((2 ** bits - 1) * 2 ** (32 - bits)) | 0);
}

/**
 * FastCDC-style content-defined chunking with normalised chunking: a gear hash rolls over the
 * bytes from `min` on; up to `average` a cut needs the stricter mask (log2(average) + 2 top bits
 * zero), after it the looser one (log2(average) − 2 bits), and `max` forces a cut. Cuts depend only
 * on the bytes since the previous cut, so an edit moves at most the cuts around it.
 */
export class ContentDefinedChunker {
  readonly min: number;
  readonly average: number;
  readonly max: number;
  readonly #gear: Int32Array;
  readonly #maskSmall: number;
  readonly #maskLarge: number;
  /** Where the cut falls in a run of at least `max` zero bytes. */
  readonly zeroRunCut: number;

  /** Throws `InvalidArgument` for parameters that {@link assertChunkerParameters} refuses. */
  constructor(parameters: ChunkerParameters) {
    assertChunkerParameters(parameters);
    this.min = parameters.minSizeInBytes;
    this.average = parameters.averageSizeInBytes;
    this.max = parameters.maxSizeInBytes;
    this.#gear = new Int32Array(gearTable(Buffer.from(parameters.gearSeed, "hex")).buffer);
    const bits = Math.log2(this.average);
    this.#maskSmall = topBits(Math.min(31, bits + NORMALIZATION_LEVEL));
    this.#maskLarge = topBits(Math.max(1, bits - NORMALIZATION_LEVEL));
    this.zeroRunCut = this.cut(new Uint8Array(this.max), 0, this.max);
  }

  /**
   * The length of the chunk that starts at `start`, given the bytes up to `end` (exclusive). When
   * fewer than `max` bytes follow, the caller must pass them all only at the end of the content.
   */
  cut(bytes: Uint8Array, start: number, end: number): number {
    let length = end - start;
    if (length <= this.min) return length;
    if (length > this.max) length = this.max;
    const gear = this.#gear;
    const normal = start + (length < this.average ? length : this.average);
    const stop = start + length;
    const maskSmall = this.#maskSmall;
    const maskLarge = this.#maskLarge;
    let hash = 0;
    let i = start + this.min;
    // Unrolled by four: the loop's own bookkeeping costs as much as the hash in V8.
    for (const last = normal - 3; i < last; i += 4) {
      hash = ((hash << 1) + (gear[bytes[i] as number] as number)) | 0;
      if ((hash & maskSmall) === 0) return i + 1 - start;
      hash = ((hash << 1) + (gear[bytes[i + 1] as number] as number)) | 0;
      if ((hash & maskSmall) === 0) return i + 2 - start;
      hash = ((hash << 1) + (gear[bytes[i + 2] as number] as number)) | 0;
      if ((hash & maskSmall) === 0) return i + 3 - start;
      hash = ((hash << 1) + (gear[bytes[i + 3] as number] as number)) | 0;
      if ((hash & maskSmall) === 0) return i + 4 - start;
    }
    for (; i < normal; i++) {
      hash = ((hash << 1) + (gear[bytes[i] as number] as number)) | 0;
      if ((hash & maskSmall) === 0) return i + 1 - start;
    }
    for (const last = stop - 3; i < last; i += 4) {
      hash = ((hash << 1) + (gear[bytes[i] as number] as number)) | 0;
      if ((hash & maskLarge) === 0) return i + 1 - start;
      hash = ((hash << 1) + (gear[bytes[i + 1] as number] as number)) | 0;
      if ((hash & maskLarge) === 0) return i + 2 - start;
      hash = ((hash << 1) + (gear[bytes[i + 2] as number] as number)) | 0;
      if ((hash & maskLarge) === 0) return i + 3 - start;
      hash = ((hash << 1) + (gear[bytes[i + 3] as number] as number)) | 0;
      if ((hash & maskLarge) === 0) return i + 4 - start;
    }
    for (; i < stop; i++) {
      hash = ((hash << 1) + (gear[bytes[i] as number] as number)) | 0;
      if ((hash & maskLarge) === 0) return i + 1 - start;
    }
    return length;
  }
}
