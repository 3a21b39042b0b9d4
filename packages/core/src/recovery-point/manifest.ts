import { KBackupError } from "../errors.js";
import type { ArchiveMember } from "../archive/archive-format.js";
import type { ApiResource } from "../kube/types.js";
import type { ClusterIdentity } from "../ports/cluster-client.js";
import type { VolumeSnapshotRecord } from "../ports/snapshot-provider.js";

/** The manifest format this version of kbackup writes and reads; a manifest of another version is `Unsupported`. */
export const MANIFEST_FORMAT_VERSION = 1;

/** One backed-up object, as the manifest indexes it. */
export interface ManifestItem {
  /** Path inside the archive. */
  path: string;
  group: string;
  version: string;
  resource: string;
  kind: string;
  namespace?: string;
  name: string;
  sizeInBytes: number;
  /** sha256 of the object's JSON bytes in the archive, hex. */
  sha256: string;
}

/** A persistent volume that was backed up without its data, and why. */
export interface SkippedVolume {
  persistentVolumeName: string;
  reason: string;
}

/**
 * What a recovery point holds, written last as its commit marker. A reader that finds a
 * manifest can trust that every object it names was durable before it was written.
 */
export interface RecoveryPointManifest {
  formatVersion: number;
  recoveryPointId: string;
  backupInstanceName: string;
  cluster: ClusterIdentity;
  /** The datasource parameters the backup ran with, defaults applied. */
  selection: Record<string, unknown>;
  startTime: string;
  endTime: string;
  /** The resource types backed up, as the source cluster's discovery described them. */
  resourceTypes: Array<Pick<ApiResource, "group" | "version" | "resource" | "kind" | "namespaced">>;
  archive: {
    file: string;
    sizeInBytes: number;
    uncompressedSizeInBytes: number;
    sha256: string;
    members: ArchiveMember[];
  };
  items: ManifestItem[];
  volumeSnapshots: VolumeSnapshotRecord[];
  skippedVolumes: SkippedVolume[];
  hookResults: unknown[];
  warnings: string[];
  /** Tags of the recovery point (the retention tag, user tags). */
  tags: Record<string, string>;
}

/** Parses and checks a manifest read from a store; a damaged one is an Integrity error naming `key`. */
export function parseManifest(bytes: Uint8Array, key: string): RecoveryPointManifest {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch (cause) {
    throw new KBackupError("Integrity", `The manifest ${key} is not valid JSON.`, { cause, details: { key } });
  }
  const manifest = value as Partial<RecoveryPointManifest> | null;
  if (typeof manifest !== "object" || manifest === null) {
    throw new KBackupError("Integrity", `The manifest ${key} is not an object.`, { details: { key } });
  }
  if (manifest.formatVersion !== MANIFEST_FORMAT_VERSION) {
    throw new KBackupError("Unsupported", `The manifest ${key} has format version ${String(manifest.formatVersion)}; this kbackup reads version ${MANIFEST_FORMAT_VERSION}.`, { details: { key } });
  }
  for (const field of ["recoveryPointId", "startTime", "endTime"] as const) {
    if (typeof manifest[field] !== "string") throw new KBackupError("Integrity", `The manifest ${key} lacks ${field}.`, { details: { key } });
  }
  if (!manifest.archive || !Array.isArray(manifest.archive.members) || !Array.isArray(manifest.items) || !Array.isArray(manifest.resourceTypes)) {
    throw new KBackupError("Integrity", `The manifest ${key} lacks its archive, item or resource type index.`, { details: { key } });
  }
  return manifest as RecoveryPointManifest;
}

/** A recovery point's digest, for listings: what Azure's recovery point resource shows, and counts. */
export interface RecoveryPointSummary {
  recoveryPointId: string;
  recoveryPointTime: string;
  backupInstanceName: string;
  cluster: ClusterIdentity;
  itemCount: number;
  archiveSizeInBytes: number;
  volumeSnapshotCount: number;
  volumeBytes: number;
  warningCount: number;
  tags: Record<string, string>;
}

/** The summary of `manifest` that listing reads instead of the whole manifest; never throws. */
export function summarize(manifest: RecoveryPointManifest): RecoveryPointSummary {
  return {
    recoveryPointId: manifest.recoveryPointId,
    recoveryPointTime: manifest.startTime,
    backupInstanceName: manifest.backupInstanceName,
    cluster: manifest.cluster,
    itemCount: manifest.items.length,
    archiveSizeInBytes: manifest.archive.sizeInBytes,
    volumeSnapshotCount: manifest.volumeSnapshots.length,
    volumeBytes: manifest.volumeSnapshots.reduce((sum, snapshot) => sum + snapshot.sizeInBytes, 0),
    warningCount: manifest.warnings.length,
    tags: manifest.tags,
  };
}
