import { randomUUID } from "node:crypto";
import type { BlockImage } from "@kbackup/adapter-memory";

/** A snapshot a local API server's CSI snapshot controller took: a disk's bytes as of one instant. */
export interface LocalSnapshot {
  /** The CSI driver's handle of the snapshot (`VolumeSnapshotContent.status.snapshotHandle`). */
  snapshotHandle: string;
  driver: string;
  /** The volume it was taken of. */
  sourceVolumeHandle: string;
  sizeInBytes: number;
  /** When it was taken, in nanoseconds since the epoch, as `status.creationTime` gives it. */
  creationTimeInNs: number;
  image: BlockImage;
}

/**
 * The storage behind the CSI snapshots of one or more local API servers: the cloud's snapshot
 * service. Servers given the same storage can restore each other's snapshots, as two clusters in
 * one subscription can, which is what a cross-cluster restore of CSI snapshots needs.
 */
export class LocalSnapshotStorage {
  readonly #snapshots = new Map<string, LocalSnapshot>();

  /**
   * Keeps `image` as a new snapshot of `sourceVolumeHandle` and returns it. The handle looks like
   * the driver's: an ARM snapshot id beside the disk for an ARM disk id, `snapshot-<uuid>` otherwise.
   */
  take(driver: string, sourceVolumeHandle: string, image: BlockImage, now: Date): LocalSnapshot {
    const name = `snapshot-${randomUUID()}`;
    const disks = /^(.*\/providers\/Microsoft\.Compute\/)disks\/[^/]+$/i.exec(sourceVolumeHandle);
    const snapshotHandle = disks === null ? name : `${disks[1]}snapshots/${name}`;
    const snapshot: LocalSnapshot = { snapshotHandle, driver, sourceVolumeHandle, sizeInBytes: image.sizeInBytes, creationTimeInNs: now.getTime() * 1e6, image };
    this.#snapshots.set(snapshotHandle, snapshot);
    return snapshot;
  }

  /** The snapshot with this handle, or `undefined`. */
  get(snapshotHandle: string): LocalSnapshot | undefined {
    return this.#snapshots.get(snapshotHandle);
  }

  /** Deletes a snapshot; false when there was none. */
  delete(snapshotHandle: string): boolean {
    return this.#snapshots.delete(snapshotHandle);
  }

  /** How many snapshots are kept. */
  get size(): number {
    return this.#snapshots.size;
  }
}
