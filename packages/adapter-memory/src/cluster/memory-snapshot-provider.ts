import { randomUUID } from "node:crypto";
import {
  KBackupError,
  dns1123SubdomainProblem,
  invalidArgument,
  throwIfAborted,
  type Clock,
  type CreateSnapshotFromDataOptions,
  type CreateSnapshotOptions,
  type CreateVolumeOptions,
  type KubeObject,
  type OperationOptions,
  type RestoredVolume,
  type SnapshotProvider,
  type SnapshotProviderCapabilities,
  type SnapshotReader,
  type SnapshotSupport,
  type VolumeSnapshotRecord,
} from "@kbackup/core";
import { BlockImage, DISK_BLOCK_SIZE } from "./block-image.js";
import { isPlainObject, jsonCopy } from "./json-copy.js";
import type { MemoryCluster } from "./memory-cluster.js";

/** The one CSI driver the memory snapshot provider snapshots. */
export const MEMORY_SNAPSHOT_DRIVER = "disk.csi.azure.com";

/** Options of {@link MemorySnapshotProvider}. */
export interface MemorySnapshotProviderOptions {
  /** The name recorded with each snapshot; defaults to `memory`. */
  name?: string;
  /** The clock for `createdAt`; defaults to the cluster's. */
  clock?: Clock;
}

/** A snapshot the provider holds, as {@link MemorySnapshotProvider.listSnapshots} shows it. */
export interface MemorySnapshot {
  record: VolumeSnapshotRecord;
  tags: Record<string, string>;
  /** How many of its data blocks it shares with the previous snapshot of the same volume. */
  sharedBlocks: number;
  /** How many blocks hold data. */
  allocatedBlocks: number;
}

interface Held {
  record: VolumeSnapshotRecord;
  tags: Record<string, string>;
  image: BlockImage;
  sharedBlocks: number;
}

/** Server-set metadata a restored PV must not carry. */
const SERVER_METADATA = ["uid", "resourceVersion", "creationTimestamp", "generation", "deletionTimestamp", "deletionGracePeriodSeconds", "managedFields", "selfLink"];

/**
 * Incremental snapshots of a {@link MemoryCluster}'s Azure Disk volumes (`disk.csi.azure.com`),
 * like Azure's incremental disk snapshots: a snapshot shares every block that did not change since
 * the previous snapshot of the same volume, and readers can tell which ranges changed. Azure
 * Files, other drivers and in-tree volumes are refused, with the reason.
 */
export class MemorySnapshotProvider implements SnapshotProvider {
  readonly name: string;
  readonly capabilities: SnapshotProviderCapabilities = { incremental: true, readData: true, changedRanges: true };
  readonly #cluster: MemoryCluster;
  readonly #clock: Clock;
  #snapshots = new Map<string, Held>();

  constructor(cluster: MemoryCluster, options: MemorySnapshotProviderOptions = {}) {
    this.#cluster = cluster;
    this.name = options.name ?? "memory";
    this.#clock = options.clock ?? cluster.clock;
  }

  /**
   * A provider over the same snapshots that makes its volumes in another memory cluster, the way a
   * cloud's disk snapshots can be restored into any cluster that reaches them. Snapshots taken or
   * deleted through either provider are seen by both.
   */
  forCluster(cluster: MemoryCluster): MemorySnapshotProvider {
    const other = new MemorySnapshotProvider(cluster, { name: this.name, clock: this.#clock });
    other.#snapshots = this.#snapshots;
    return other;
  }

  /** Supported for a PersistentVolume on `disk.csi.azure.com` whose disk exists; otherwise why not. Never throws for a PV. */
  async canSnapshot(persistentVolume: KubeObject, options: OperationOptions = {}): Promise<SnapshotSupport> {
    throwIfAborted(options.abortSignal);
    const reason = this.#unsupportedReason(persistentVolume);
    return reason === undefined ? { supported: true } : { supported: false, reason };
  }

  /**
   * Takes a snapshot of the volume's disk as it is now. `incremental` is true when an earlier
   * snapshot of the same volume is still held (the new one shares its unchanged blocks).
   * Throws `Unsupported` (with the reason) for a volume it cannot snapshot, `Aborted`.
   */
  async createSnapshot(persistentVolume: KubeObject, options: CreateSnapshotOptions = {}): Promise<VolumeSnapshotRecord> {
    throwIfAborted(options.abortSignal);
    const reason = this.#unsupportedReason(persistentVolume);
    if (reason !== undefined) throw new KBackupError("Unsupported", reason, { details: { persistentVolume: persistentVolume?.metadata?.name } });
    const volumeHandle = volumeHandleOf(persistentVolume) as string;
    const image = this.#cluster.disks.image(volumeHandle);
    const previous = this.#latestOf(volumeHandle);
    const claim = options.claim ?? claimOf(persistentVolume);
    const record: VolumeSnapshotRecord = {
      snapshotHandle: `memory-snapshot-${randomUUID()}`,
      provider: this.name,
      persistentVolumeName: persistentVolume.metadata.name as string,
      ...(claim === undefined ? {} : { claim: { namespace: claim.namespace, name: claim.name } }),
      driver: MEMORY_SNAPSHOT_DRIVER,
      volumeHandle,
      sizeInBytes: image.sizeInBytes,
      incremental: previous !== undefined,
      createdAt: this.#clock.now().toISOString(),
    };
    this.#snapshots.set(record.snapshotHandle, {
      record,
      tags: { ...options.tags },
      image,
      sharedBlocks: previous === undefined ? 0 : image.sharedBlocks(previous.image),
    });
    return { ...record, ...(record.claim === undefined ? {} : { claim: { ...record.claim } }) };
  }

  /** Deletes the snapshot; `false` when there was none. Volumes made from it keep their bytes. */
  async deleteSnapshot(snapshotHandle: string, options: OperationOptions = {}): Promise<boolean> {
    throwIfAborted(options.abortSignal);
    if (typeof snapshotHandle !== "string" || snapshotHandle === "") throw invalidArgument("snapshotHandle", "must be a non-empty string");
    return this.#snapshots.delete(snapshotHandle);
  }

  /**
   * Makes a new disk holding the snapshot's bytes (sharing its blocks) and returns the backed-up
   * PV rewritten to it: named `options.persistentVolumeName`, server fields, status and `claimRef`
   * removed. Throws `NotFound` for a missing snapshot, `InvalidArgument` for a bad name.
   */
  async createVolume(snapshot: VolumeSnapshotRecord, persistentVolume: KubeObject, options: CreateVolumeOptions): Promise<RestoredVolume> {
    throwIfAborted(options?.abortSignal);
    if (!isPlainObject(snapshot) || typeof snapshot.snapshotHandle !== "string") throw invalidArgument("snapshot.snapshotHandle", "must be a string");
    if (!isPlainObject(persistentVolume) || !isPlainObject(persistentVolume.metadata)) throw invalidArgument("persistentVolume", "must be a PersistentVolume");
    const name = options?.persistentVolumeName;
    const problem = typeof name === "string" ? dns1123SubdomainProblem(name) : "must be a string";
    if (problem !== undefined) throw invalidArgument("options.persistentVolumeName", problem);
    const held = this.#held(snapshot.snapshotHandle);
    const volumeHandle = this.#newHandle(held.record.volumeHandle, name as string);
    this.#cluster.disks.create(volumeHandle, held.image.sizeInBytes, held.image);
    const volume = jsonCopy(persistentVolume);
    for (const field of SERVER_METADATA) delete volume.metadata[field];
    volume.metadata.name = name as string;
    delete volume.metadata.namespace;
    delete volume["status"];
    const spec = isPlainObject(volume["spec"]) ? volume["spec"] : (volume["spec"] = {});
    delete spec["claimRef"];
    const csi = isPlainObject(spec["csi"]) ? spec["csi"] : (spec["csi"] = { driver: MEMORY_SNAPSHOT_DRIVER });
    csi["volumeHandle"] = volumeHandle;
    if (isPlainObject(csi["volumeAttributes"]) && "csi.storage.k8s.io/pv/name" in csi["volumeAttributes"]) csi["volumeAttributes"]["csi.storage.k8s.io/pv/name"] = name;
    return { volumeHandle, persistentVolume: volume };
  }

  /** A reader of the snapshot's bytes; `NotFound` for a missing snapshot. The reader keeps working if the snapshot is deleted. */
  async openSnapshot(snapshotHandle: string, options: OperationOptions = {}): Promise<SnapshotReader> {
    throwIfAborted(options.abortSignal);
    const held = this.#held(snapshotHandle);
    const image = held.image;
    return {
      sizeInBytes: image.sizeInBytes,
      read: async (offset, length, readOptions = {}) => {
        throwIfAborted(readOptions.abortSignal);
        if (!Number.isSafeInteger(offset) || offset < 0) throw invalidArgument("offset", `must be a whole number >= 0, got ${offset}`);
        if (!Number.isSafeInteger(length) || length < 0) throw invalidArgument("length", `must be a whole number >= 0, got ${length}`);
        return image.read(offset, length);
      },
      changedRanges: async (baseSnapshotHandle, rangeOptions = {}) => {
        throwIfAborted(rangeOptions.abortSignal);
        const base = this.#held(baseSnapshotHandle);
        if (base.record.volumeHandle !== held.record.volumeHandle) return undefined;
        return image.changedRanges(base.image);
      },
      close: async () => undefined,
    };
  }

  /**
   * Makes a snapshot holding the bytes `data` reads, as if taken of the volume `options.source`
   * describes (its PV name, claim, driver and volume handle): how a restore from the vault tier stages
   * a volume. Blocks of zeros take no memory. `createVolume` makes disks from it in this provider's
   * cluster. Throws `InvalidArgument` for a bad reader or source, `Integrity` when the reader ends
   * before `sizeInBytes`, and the reader's errors; no snapshot is kept then.
   */
  async createSnapshotFromData(data: Pick<SnapshotReader, "sizeInBytes" | "read">, options: CreateSnapshotFromDataOptions): Promise<VolumeSnapshotRecord> {
    throwIfAborted(options?.abortSignal);
    if (typeof data !== "object" || data === null || typeof data.read !== "function") throw invalidArgument("data", "must have read(offset, length)");
    const size = data.sizeInBytes;
    if (!Number.isSafeInteger(size) || size < 0) throw invalidArgument("data.sizeInBytes", `must be a whole number >= 0, got ${String(size)}`);
    const source = options?.source;
    if (!isPlainObject(source) || typeof source.persistentVolumeName !== "string" || typeof source.volumeHandle !== "string" || typeof source.driver !== "string") {
      throw invalidArgument("options.source", "must be the VolumeSnapshotRecord the data was copied from");
    }
    const blocks = new Map<number, Uint8Array>();
    const piece = 16 * DISK_BLOCK_SIZE;
    for (let offset = 0; offset < size; offset += piece) {
      const bytes = await readFully(data, offset, Math.min(piece, size - offset), options.abortSignal);
      for (let at = 0; at < bytes.length; at += DISK_BLOCK_SIZE) {
        const block = bytes.subarray(at, Math.min(bytes.length, at + DISK_BLOCK_SIZE));
        if (block.some((byte) => byte !== 0)) {
          const whole = new Uint8Array(DISK_BLOCK_SIZE);
          whole.set(block);
          blocks.set((offset + at) / DISK_BLOCK_SIZE, whole);
        }
      }
    }
    const record: VolumeSnapshotRecord = {
      snapshotHandle: `memory-snapshot-${randomUUID()}`,
      provider: this.name,
      persistentVolumeName: source.persistentVolumeName,
      ...(source.claim === undefined ? {} : { claim: { namespace: source.claim.namespace, name: source.claim.name } }),
      driver: source.driver,
      volumeHandle: source.volumeHandle,
      sizeInBytes: size,
      incremental: false,
      createdAt: this.#clock.now().toISOString(),
    };
    this.#snapshots.set(record.snapshotHandle, { record, tags: { ...options.tags }, image: new BlockImage(size, blocks), sharedBlocks: 0 });
    return { ...record, ...(record.claim === undefined ? {} : { claim: { ...record.claim } }) };
  }

  /** The snapshots held, oldest first (for tests). */
  listSnapshots(): MemorySnapshot[] {
    return [...this.#snapshots.values()].map((held) => ({
      record: { ...held.record },
      tags: { ...held.tags },
      sharedBlocks: held.sharedBlocks,
      allocatedBlocks: held.image.allocatedBlocks,
    }));
  }

  #unsupportedReason(persistentVolume: KubeObject): string | undefined {
    if (!isPlainObject(persistentVolume) || persistentVolume.kind !== "PersistentVolume" || !isPlainObject(persistentVolume.metadata)) {
      return "Only PersistentVolumes can be snapshotted.";
    }
    const name = persistentVolume.metadata.name ?? "(unnamed)";
    const spec = persistentVolume["spec"];
    const csi = isPlainObject(spec) ? spec["csi"] : undefined;
    if (!isPlainObject(csi)) {
      const source = isPlainObject(spec) ? Object.keys(spec).find((key) => IN_TREE_SOURCES.has(key)) : undefined;
      return `PersistentVolume ${name} is not a CSI volume${source === undefined ? "" : ` (in-tree ${source})`}; only CSI volumes on ${MEMORY_SNAPSHOT_DRIVER} can be snapshotted.`;
    }
    const driver = csi["driver"];
    if (driver === "file.csi.azure.com") {
      return `Azure Files volumes (file.csi.azure.com) cannot be snapshotted by this provider; only ${MEMORY_SNAPSHOT_DRIVER}. PersistentVolume ${name} is one.`;
    }
    if (driver !== MEMORY_SNAPSHOT_DRIVER) return `PersistentVolume ${name} uses CSI driver ${String(driver)}; only ${MEMORY_SNAPSHOT_DRIVER} volumes can be snapshotted.`;
    const volumeHandle = csi["volumeHandle"];
    if (typeof volumeHandle !== "string" || volumeHandle === "") return `PersistentVolume ${name} has no spec.csi.volumeHandle.`;
    if (!this.#cluster.disks.has(volumeHandle)) return `PersistentVolume ${name}: the cluster has no disk with volume handle ${volumeHandle}.`;
    return undefined;
  }

  #held(snapshotHandle: string): Held {
    if (typeof snapshotHandle !== "string" || snapshotHandle === "") throw invalidArgument("snapshotHandle", "must be a non-empty string");
    const held = this.#snapshots.get(snapshotHandle);
    if (held === undefined) throw new KBackupError("NotFound", `Snapshot ${snapshotHandle} does not exist.`, { details: { snapshotHandle } });
    return held;
  }

  #latestOf(volumeHandle: string): Held | undefined {
    let latest: Held | undefined;
    for (const held of this.#snapshots.values()) if (held.record.volumeHandle === volumeHandle) latest = held;
    return latest;
  }

  /** A disk handle beside the original (an ARM id keeps its path), named for the new PV, unused so far. */
  #newHandle(original: string, persistentVolumeName: string): string {
    const slash = original.lastIndexOf("/");
    const prefix = slash < 0 ? "" : original.slice(0, slash + 1);
    for (;;) {
      const handle = `${prefix}${persistentVolumeName}-${randomUUID().slice(0, 8)}`;
      if (!this.#cluster.disks.has(handle)) return handle;
    }
  }
}

/** PV fields naming an in-tree volume source, for the reason a PV without CSI is refused. */
const IN_TREE_SOURCES = new Set(["azureDisk", "azureFile", "hostPath", "local", "nfs", "awsElasticBlockStore", "gcePersistentDisk", "iscsi", "fc", "cephfs", "rbd", "cinder", "vsphereVolume", "flexVolume"]);

/** `length` bytes at `offset`, reading again after short reads. `Integrity` when the reader has no more. */
async function readFully(data: Pick<SnapshotReader, "read">, offset: number, length: number, abortSignal: AbortSignal | undefined): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let got = 0;
  while (got < length) {
    const bytes = await data.read(offset + got, length - got, abortSignal ? { abortSignal } : {});
    if (!(bytes instanceof Uint8Array)) throw invalidArgument("data.read", "must return a Uint8Array");
    if (bytes.length === 0) throw new KBackupError("Integrity", `The data ended at byte ${offset + got}, before its size.`);
    out.set(bytes.subarray(0, length - got), got);
    got += Math.min(bytes.length, length - got);
  }
  return out;
}

function volumeHandleOf(persistentVolume: KubeObject): string | undefined {
  const spec = persistentVolume["spec"];
  const csi = isPlainObject(spec) ? spec["csi"] : undefined;
  return isPlainObject(csi) && typeof csi["volumeHandle"] === "string" ? csi["volumeHandle"] : undefined;
}

function claimOf(persistentVolume: KubeObject): { namespace: string; name: string } | undefined {
  const spec = persistentVolume["spec"];
  const claimRef = isPlainObject(spec) ? spec["claimRef"] : undefined;
  if (!isPlainObject(claimRef) || typeof claimRef["namespace"] !== "string" || typeof claimRef["name"] !== "string") return undefined;
  return { namespace: claimRef["namespace"], name: claimRef["name"] };
}
