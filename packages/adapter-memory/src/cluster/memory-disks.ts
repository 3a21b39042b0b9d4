import { KBackupError, invalidArgument } from "@kbackup/core";
import { BlockImage, readBlocks, writeBlocks } from "./block-image.js";

interface Disk {
  sizeInBytes: number;
  blocks: Map<number, Uint8Array>;
}

/**
 * The disks behind a memory cluster's CSI volumes, by volume handle (`spec.csi.volumeHandle`).
 * A disk has a fixed size and reads as zeros where nothing was written.
 */
export class MemoryDisks {
  readonly #disks = new Map<string, Disk>();

  /** True when a disk has this handle. */
  has(volumeHandle: string): boolean {
    return this.#disks.has(volumeHandle);
  }

  /** The disk's size, or `undefined` when there is no such disk. */
  sizeOf(volumeHandle: string): number | undefined {
    return this.#disks.get(volumeHandle)?.sizeInBytes;
  }

  /**
   * Makes an empty disk (`image` gives it initial contents instead). Throws `AlreadyExists` when
   * the handle is taken, `InvalidArgument` for an empty handle or a size that is not a whole
   * number of bytes >= 0.
   */
  create(volumeHandle: string, sizeInBytes: number, image?: BlockImage): void {
    if (typeof volumeHandle !== "string" || volumeHandle === "") throw invalidArgument("volumeHandle", "must be a non-empty string");
    if (!Number.isSafeInteger(sizeInBytes) || sizeInBytes < 0) throw invalidArgument("sizeInBytes", `must be a whole number >= 0, got ${sizeInBytes}`);
    if (this.#disks.has(volumeHandle)) throw new KBackupError("AlreadyExists", `A disk with volume handle "${volumeHandle}" already exists.`);
    this.#disks.set(volumeHandle, { sizeInBytes, blocks: image?.toBlocks() ?? new Map() });
  }

  /** Writes `bytes` at `offset`. `NotFound` for a missing disk; `InvalidArgument` for a write past its end. */
  write(volumeHandle: string, bytes: Uint8Array, offset = 0): void {
    const disk = this.#disk(volumeHandle);
    if (!(bytes instanceof Uint8Array)) throw invalidArgument("bytes", "must be a Uint8Array");
    if (!Number.isSafeInteger(offset) || offset < 0) throw invalidArgument("offset", `must be a whole number >= 0, got ${offset}`);
    if (offset + bytes.length > disk.sizeInBytes) {
      throw invalidArgument("bytes", `writing ${bytes.length} bytes at ${offset} goes past the end of the ${disk.sizeInBytes}-byte disk "${volumeHandle}"`);
    }
    writeBlocks(disk.blocks, bytes, offset);
  }

  /** The disk's bytes (a range of them with `offset` and `length`); `NotFound` for a missing disk. */
  read(volumeHandle: string, offset = 0, length?: number): Uint8Array {
    const disk = this.#disk(volumeHandle);
    return readBlocks(disk.blocks, disk.sizeInBytes, offset, length ?? disk.sizeInBytes - offset);
  }

  /** The disk's contents as of now, sharing its blocks; `NotFound` for a missing disk. */
  image(volumeHandle: string): BlockImage {
    const disk = this.#disk(volumeHandle);
    return new BlockImage(disk.sizeInBytes, new Map(disk.blocks));
  }

  /** Removes the disk; false when there was none. */
  delete(volumeHandle: string): boolean {
    return this.#disks.delete(volumeHandle);
  }

  #disk(volumeHandle: string): Disk {
    const disk = this.#disks.get(volumeHandle);
    if (disk === undefined) throw new KBackupError("NotFound", `No disk has volume handle "${volumeHandle}".`, { details: { volumeHandle } });
    return disk;
  }
}
