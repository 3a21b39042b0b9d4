/** The size of the blocks memory disks are made of: the unit snapshots share and compare. */
export const DISK_BLOCK_SIZE = 64 * 1024;

/**
 * The bytes of a disk at one instant, as fixed-size blocks; a block never written is zeros and
 * takes no memory. Block arrays are never changed after they are put in an image (a write makes
 * a new block), so images share the blocks they have in common: a snapshot, the disk it was
 * taken of and the disks restored from it cost only the blocks that differ.
 */
export class BlockImage {
  readonly sizeInBytes: number;
  readonly #blocks: ReadonlyMap<number, Uint8Array>;

  constructor(sizeInBytes: number, blocks: ReadonlyMap<number, Uint8Array> = new Map()) {
    this.sizeInBytes = sizeInBytes;
    this.#blocks = blocks;
  }

  /** How many blocks hold data (the others read as zeros). */
  get allocatedBlocks(): number {
    return this.#blocks.size;
  }

  /** The bytes from `offset`, at most `length` of them, cut at the end of the image. */
  read(offset: number, length: number): Uint8Array {
    return readBlocks(this.#blocks, this.sizeInBytes, offset, length);
  }

  /** A mutable copy that starts out sharing every block with this image. */
  toBlocks(): Map<number, Uint8Array> {
    return new Map(this.#blocks);
  }

  /** How many of this image's data blocks are the very same blocks as in `other`. */
  sharedBlocks(other: BlockImage): number {
    let shared = 0;
    for (const [index, block] of this.#blocks) if (other.#blocks.get(index) === block) shared++;
    return shared;
  }

  /**
   * The byte ranges in which this image may differ from `base`: the blocks that are not shared,
   * merged where they touch, and whatever lies past the end of the smaller image.
   */
  changedRanges(base: BlockImage): Array<{ offset: number; length: number }> {
    const changed = new Set<number>();
    for (const [index, block] of this.#blocks) if (base.#blocks.get(index) !== block) changed.add(index);
    for (const [index, block] of base.#blocks) if (this.#blocks.get(index) !== block) changed.add(index);
    const ranges: Array<{ offset: number; length: number }> = [];
    const add = (start: number, end: number) => {
      const to = Math.min(end, this.sizeInBytes);
      if (to <= start) return;
      const last = ranges[ranges.length - 1];
      if (last !== undefined && last.offset + last.length >= start) last.length = Math.max(last.length, to - last.offset);
      else ranges.push({ offset: start, length: to - start });
    };
    for (const index of [...changed].sort((a, b) => a - b)) add(index * DISK_BLOCK_SIZE, (index + 1) * DISK_BLOCK_SIZE);
    if (this.sizeInBytes > base.sizeInBytes) add(base.sizeInBytes, this.sizeInBytes);
    return ranges;
  }
}

/** Reads `[offset, offset + length)` of a block map of `sizeInBytes` bytes, cut at the end. */
export function readBlocks(blocks: ReadonlyMap<number, Uint8Array>, sizeInBytes: number, offset: number, length: number): Uint8Array {
  const start = Math.min(Math.max(0, offset), sizeInBytes);
  const end = Math.min(sizeInBytes, start + Math.max(0, length));
  const out = new Uint8Array(end - start);
  for (let index = Math.floor(start / DISK_BLOCK_SIZE); index * DISK_BLOCK_SIZE < end; index++) {
    const block = blocks.get(index);
    if (block === undefined) continue;
    const blockStart = index * DISK_BLOCK_SIZE;
    const from = Math.max(start, blockStart);
    const to = Math.min(end, blockStart + DISK_BLOCK_SIZE);
    out.set(block.subarray(from - blockStart, to - blockStart), from - start);
  }
  return out;
}

/**
 * Writes `bytes` at `offset` into a block map: each block written to is replaced by a new array,
 * never changed in place, since images may share it.
 */
export function writeBlocks(blocks: Map<number, Uint8Array>, bytes: Uint8Array, offset: number): void {
  const end = offset + bytes.length;
  for (let index = Math.floor(offset / DISK_BLOCK_SIZE); index * DISK_BLOCK_SIZE < end; index++) {
    const blockStart = index * DISK_BLOCK_SIZE;
    const block = new Uint8Array(DISK_BLOCK_SIZE);
    const old = blocks.get(index);
    if (old !== undefined) block.set(old);
    const from = Math.max(offset, blockStart);
    const to = Math.min(end, blockStart + DISK_BLOCK_SIZE);
    block.set(bytes.subarray(from - offset, to - offset), from - blockStart);
    blocks.set(index, block);
  }
}
