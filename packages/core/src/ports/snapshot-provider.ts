import type { KubeObject } from "../kube/types.js";
import type { OperationOptions } from "./options.js";

/** Whether a provider can snapshot a persistent volume, and why not. */
export type SnapshotSupport = { supported: true } | { supported: false; reason: string };

/** A snapshot taken, as the recovery point records it. */
export interface VolumeSnapshotRecord {
  /** The provider's handle of the snapshot: what `deleteSnapshot` and `createVolume` take. */
  snapshotHandle: string;
  /** The name of the provider that took it. */
  provider: string;
  /** The PV it was taken of. */
  persistentVolumeName: string;
  /** The PVC bound to that PV, if any. */
  claim?: { namespace: string; name: string };
  /** The CSI driver and volume handle of the PV. */
  driver: string;
  volumeHandle: string;
  sizeInBytes: number;
  /** True when only the blocks changed since the previous snapshot of the volume were stored. */
  incremental: boolean;
  createdAt: string;
}

/** What a snapshot provider can do beyond the required methods: core checks a capability before relying on it. */
export interface SnapshotProviderCapabilities {
  /** Snapshots store only what changed since the previous one. */
  incremental: boolean;
  /** `openSnapshot` reads a snapshot's bytes (needed for vault-tier copies). */
  readData: boolean;
  /** Readers can say which ranges changed against an earlier snapshot of the same volume. */
  changedRanges: boolean;
}

/** Options of {@link SnapshotProvider.createSnapshot}. */
export interface CreateSnapshotOptions extends OperationOptions {
  /** Tags kept with the snapshot, naming the backup that took it. */
  tags?: Record<string, string>;
  /** The PVC bound to the PV, when known. */
  claim?: { namespace: string; name: string };
}

/** Options of {@link SnapshotProvider.createVolume}. */
export interface CreateVolumeOptions extends OperationOptions {
  /** The name the new PV will have (the restore may rename it). */
  persistentVolumeName: string;
  /** Where the new volume goes, when the provider needs to know (resource group, zone). */
  location?: Record<string, string>;
}

/** A volume made from a snapshot: the PV to create, pointing at it. */
export interface RestoredVolume {
  /** The new volume's handle (for CSI PVs, `spec.csi.volumeHandle`). */
  volumeHandle: string;
  /** The backed-up PV rewritten to the new volume, server fields stripped. */
  persistentVolume: KubeObject;
}

/** Sequential or random reads of a snapshot's bytes. */
export interface SnapshotReader {
  readonly sizeInBytes: number;
  /** Reads `length` bytes at `offset` (fewer at the end of the volume). */
  read(offset: number, length: number, options?: OperationOptions): Promise<Uint8Array>;
  /**
   * Byte ranges that may differ from `baseSnapshotHandle` (a superset is allowed), or `undefined`
   * when the provider cannot tell and the whole volume must be read.
   */
  changedRanges?(baseSnapshotHandle: string, options?: OperationOptions): Promise<Array<{ offset: number; length: number }> | undefined>;
  /** Releases what the reader holds (a disk's read access, a file); it cannot be read afterwards. */
  close(): Promise<void>;
}

/** Options of {@link SnapshotProvider.createSnapshotFromData}. */
export interface CreateSnapshotFromDataOptions extends OperationOptions {
  /**
   * The snapshot the bytes were copied from: the new snapshot takes its persistent volume name,
   * claim, driver and volume handle, so that `createVolume` rebuilds the same volume.
   */
  source: VolumeSnapshotRecord;
  /** Tags kept with the snapshot, naming the restore that made it. */
  tags?: Record<string, string>;
}

/**
 * Snapshots of persistent volumes: Azure Disk snapshots, CSI VolumeSnapshots, memory disks.
 *
 * Contract, enforced by `snapshotProviderConformance` in `@kbackup/testing`:
 * - `canSnapshot` never throws for a PV it does not support: it says why.
 * - `createSnapshot` of an unsupported PV is `Unsupported` with that reason.
 * - A snapshot is crash consistent: it holds the volume's bytes as of one instant.
 * - `deleteSnapshot` is idempotent: `false` when it was already gone.
 * - `createVolume` makes a new volume with the snapshot's bytes; the snapshot stays.
 * - Missing snapshots are `NotFound`.
 */
export interface SnapshotProvider {
  /** A short name recorded with each snapshot, such as `memory` or `azure-disk`. */
  readonly name: string;
  /** What it can do beyond the required methods. */
  readonly capabilities: SnapshotProviderCapabilities;

  /** Whether it can snapshot the PV `persistentVolume`, and if not, why; never throws for a PV it does not support. */
  canSnapshot(persistentVolume: KubeObject, options?: OperationOptions): Promise<SnapshotSupport>;

  /**
   * Takes a crash-consistent snapshot of the PV `persistentVolume`; returns its record.
   * `Unsupported`, with the reason `canSnapshot` gives, for a PV it does not support.
   */
  createSnapshot(persistentVolume: KubeObject, options?: CreateSnapshotOptions): Promise<VolumeSnapshotRecord>;

  /** Deletes the snapshot `snapshotHandle`; `false` when it was already gone. */
  deleteSnapshot(snapshotHandle: string, options?: OperationOptions): Promise<boolean>;

  /** A new volume from the snapshot, for the backed-up PV `persistentVolume`. */
  createVolume(snapshot: VolumeSnapshotRecord, persistentVolume: KubeObject, options: CreateVolumeOptions): Promise<RestoredVolume>;

  /** Opens the snapshot's bytes for reading (`capabilities.readData`), else `Unsupported`. */
  openSnapshot(snapshotHandle: string, options?: OperationOptions): Promise<SnapshotReader>;

  /**
   * Optional: makes a snapshot holding the bytes `data` reads (all `data.sizeInBytes` of them), as if
   * taken of the volume `options.source` describes; `createVolume` then makes volumes from it and
   * `deleteSnapshot` removes it. A restore from the vault tier stages volume data this way: a provider
   * without it cannot be a staging provider. A call that fails or is aborted leaves no snapshot.
   */
  createSnapshotFromData?(data: Pick<SnapshotReader, "sizeInBytes" | "read">, options: CreateSnapshotFromDataOptions): Promise<VolumeSnapshotRecord>;
}
