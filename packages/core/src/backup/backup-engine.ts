import { KBackupError, throwIfAborted } from "../errors.js";
import { sha256Hex } from "../util/sha256.js";
import { planBackupHooks, resolveHookReferences, withBackupHooks, type PodBackupHooks } from "../hooks/index.js";
import { ResourceArchiveWriter } from "../archive/resource-archive-writer.js";
import { groupResourceOf, type ApiResource, type KubeObject } from "../kube/types.js";
import type { ClusterClient } from "../ports/cluster-client.js";
import { systemClock, type Clock } from "../ports/clock.js";
import { silentLogger, type Logger } from "../ports/logger.js";
import type { ObjectStore } from "../ports/object-store.js";
import type { SnapshotProvider, VolumeSnapshotRecord } from "../ports/snapshot-provider.js";
import { archivePath, recoveryPointKeys, type RecoveryPointKeys } from "../recovery-point/layout.js";
import { MANIFEST_FORMAT_VERSION, summarize, type ManifestItem, type RecoveryPointManifest, type SkippedVolume } from "../recovery-point/manifest.js";
import { compileSelection, type KubernetesClusterBackupDatasourceParameters, type Selection } from "../selection/index.js";
import { ByteChannel } from "../util/byte-channel.js";
import { listAll } from "./list-all.js";
import { DEPENDENT_TYPES, backupOrder, isBackedUpResourceType } from "./backup-order.js";
import { claimOf, volumeTypeOf } from "./volume-types.js";

/**
 * How often a running backup rewrites its in-progress marker, so that a collection of abandoned
 * recovery points (which goes by the marker's age) never takes it for dead: well inside the
 * vault's abandonment window.
 */
export const MARKER_REFRESH_INTERVAL_IN_MS = 5 * 60 * 1000;

/** Progress of a running backup, reported as it goes. */
export interface BackupProgress {
  phase: "discovering" | "collecting" | "snapshotting" | "committing";
  itemsBackedUp: number;
  bytesWritten: number;
  snapshotsTaken: number;
  currentResourceType?: string;
}

/** What {@link runBackup} backs up, from where, and into which recovery point. */
export interface BackupRequest {
  backupInstanceName: string;
  recoveryPointId: string;
  cluster: ClusterClient;
  snapshotProvider?: SnapshotProvider;
  store: ObjectStore;
  /** The instance's folder in the store, ending in `/` (or ""). */
  instancePrefix: string;
  parameters: KubernetesClusterBackupDatasourceParameters;
  /** Tags kept with the recovery point and its snapshots. */
  tags?: Record<string, string>;
  /** Objects per list page; 500 by default. */
  pageSize?: number;
  clock?: Clock;
  logger?: Logger;
  abortSignal?: AbortSignal;
  /** Called with a copy of the progress at each phase and as items are collected. */
  onProgress?: (progress: BackupProgress) => void;
}

/** What {@link runBackup} committed: the recovery point's manifest, and the keys of its objects. */
export interface BackupOutcome {
  manifest: RecoveryPointManifest;
  keys: RecoveryPointKeys;
}

/**
 * Backs up a cluster into a new recovery point: discover, select, list in pages, stream every
 * selected object into the archive, snapshot the volumes (hooks around them), then write the
 * manifest as the commit marker. On any failure or abort, what was written and every snapshot
 * taken are removed before the error is rethrown, so no recovery point appears (a manifest that
 * cannot be removed keeps all it names). Rejects with AlreadyExists, touching nothing, when the id
 * names a committed recovery point or one that another backup is writing.
 */
export async function runBackup(request: BackupRequest): Promise<BackupOutcome> {
  const clock = request.clock ?? systemClock;
  const logger = request.logger ?? silentLogger;
  const { cluster, store, abortSignal, parameters } = request;
  const keys = recoveryPointKeys(request.instancePrefix, request.recoveryPointId);
  const startTime = clock.now();
  const warnings: string[] = [];
  const warn = (message: string) => {
    warnings.push(message);
    logger.warn(message, { recoveryPointId: request.recoveryPointId });
  };
  const progress: BackupProgress = { phase: "discovering", itemsBackedUp: 0, bytesWritten: 0, snapshotsTaken: 0 };
  const report = () => request.onProgress?.({ ...progress });
  const snapshots: VolumeSnapshotRecord[] = [];
  // Set once this run owns the folder (its marker is written), and as each later write is attempted.
  let markerWritten = false;
  let archiveStarted = false;
  let manifestAttempted = false;
  const channel = new ByteChannel();
  let upload: Promise<unknown> | undefined;
  // Marker writes go one after the other, each with the snapshots known when it starts, so that a
  // late write never puts back an older list.
  let markerWrites: Promise<unknown> = Promise.resolve();
  const heartbeat = new AbortController();
  let beating: Promise<void> = Promise.resolve();
  const stopHeartbeat = async () => {
    heartbeat.abort();
    await beating;
    await markerWrites.catch(() => undefined);
  };

  try {
    report();
    const discovered = await cluster.discover({ abortSignal });
    const selection = compileSelection(parameters, discovered, { field: "datasourceParameters" });
    // Hook references are resolved before anything is written: a missing one fails the backup at once.
    const hooks = await resolveHookReferences(cluster, parameters.backupHookReferences ?? [], "BackupHook", { abortSignal });
    const marker = () => ({ recoveryPointId: request.recoveryPointId, startTime: startTime.toISOString(), snapshots: snapshots.map((s) => s.snapshotHandle) });
    const writeMarker = () => (markerWrites = markerWrites.catch(() => undefined).then(() => store.put(keys.inProgress, json(marker()), { abortSignal })));
    // The marker is gone once a recovery point commits, so only its manifest tells that the id is taken.
    if (await store.head(keys.manifest, { abortSignal })) {
      throw new KBackupError("AlreadyExists", `There is already a recovery point ${request.recoveryPointId}.`, { field: "recoveryPointId" });
    }
    await store.put(keys.inProgress, json(marker()), { ifNoneMatch: "*", abortSignal, contentType: "application/json" });
    markerWritten = true;
    beating = (async () => {
      for (;;) {
        const before = clock.now().getTime();
        await clock.sleep(MARKER_REFRESH_INTERVAL_IN_MS, { abortSignal: heartbeat.signal });
        // A clock whose sleep does not let its time pass (a test's frozen clock) must not turn this
        // loop into a busy one that starves the event loop: wait the interval on the real timer then.
        if (clock.now().getTime() - before < MARKER_REFRESH_INTERVAL_IN_MS) await systemClock.sleep(MARKER_REFRESH_INTERVAL_IN_MS, { abortSignal: heartbeat.signal });
        // A missed beat is made up by the next one.
        await writeMarker().catch(() => undefined);
      }
    })().catch(() => undefined);

    archiveStarted = true;
    upload = store.put(keys.archive, channel, { ifNoneMatch: "*", abortSignal, contentType: "application/gzip" });
    upload.catch((error: unknown) => channel.fail(error));
    const archive = new ResourceArchiveWriter(async (chunk) => {
      progress.bytesWritten += chunk.length;
      // A write fails when the upload stopped reading: the upload's own error says why.
      await channel.write(chunk).catch(async (error: unknown) => {
        await upload;
        throw error;
      });
    }, 1, startTime);
    await archive.add("", "metadata/version", new TextEncoder().encode("1.1.0\n"));

    const items: ManifestItem[] = [];
    const backedUpTypes = new Map<string, ApiResource>();
    const claimedVolumes = new Set<string>();
    const usedCustomResources = new Set<string>();
    const usedNamespaces = new Set<string>();
    const persistentVolumes: KubeObject[] = [];
    // Planned pod by pod as they stream by, so that only the pods with hooks are held until the snapshots.
    const podHooks: PodBackupHooks[] = [];

    progress.phase = "collecting";
    for (const resource of backupOrder(discovered.filter(isBackedUpResourceType))) {
      const groupResource = groupResourceOf(resource);
      const required = requiredNames(groupResource, { claimedVolumes, usedCustomResources, usedNamespaces });
      if (!selection.selectsResourceType(resource) && required.size === 0) continue;
      progress.currentResourceType = groupResource;
      report();
      for await (const page of listObjects(cluster, resource, selection, request, clock)) {
        for (const object of page) {
          throwIfAborted(abortSignal);
          const name = object.metadata.name ?? "";
          if (!required.has(name) && !(selection.selectsObject(resource, object) && !belongsElsewhere(groupResource, object))) continue;
          const bytes = Buffer.from(JSON.stringify(object), "utf8");
          const path = archivePath(groupResource, resource.namespaced ? object.metadata.namespace : undefined, name);
          await archive.add(groupResource, path, bytes);
          items.push({
            path,
            group: resource.group,
            version: resource.version,
            resource: resource.resource,
            kind: resource.kind,
            ...(resource.namespaced ? { namespace: object.metadata.namespace } : {}),
            name,
            sizeInBytes: bytes.length,
            sha256: sha256Hex(bytes),
          });
          backedUpTypes.set(groupResource, resource);
          progress.itemsBackedUp++;
          if (resource.namespaced && object.metadata.namespace) usedNamespaces.add(object.metadata.namespace);
          if (groupResource === "persistentvolumeclaims") {
            const volumeName = (object.spec as { volumeName?: unknown } | undefined)?.volumeName;
            if (typeof volumeName === "string" && volumeName) claimedVolumes.add(volumeName);
          }
          if (groupResource === "persistentvolumes") persistentVolumes.push(object);
          if (groupResource === "pods") podHooks.push(...planBackupHooks(hooks, [object]));
          // Any grouped type may be served by a CRD, whose name is its group-resource; only CRDs that exist are matched.
          if (resource.group !== "") usedCustomResources.add(groupResource);
        }
        report();
      }
    }

    progress.phase = "snapshotting";
    report();
    const skippedVolumes: SkippedVolume[] = [];
    const snapshotVolumes = async () => {
      for (const volume of persistentVolumes) {
        throwIfAborted(abortSignal);
        const skip = await volumeSkipReason(volume, parameters, request.snapshotProvider, abortSignal);
        const name = volume.metadata.name ?? "";
        if (skip) {
          skippedVolumes.push({ persistentVolumeName: name, reason: skip });
          if (parameters.snapshotVolumes) warn(`Persistent volume ${name} was backed up without its data: ${skip}`);
          continue;
        }
        const claim = claimOf(volume);
        const record = await request.snapshotProvider!.createSnapshot(volume, {
          abortSignal,
          ...(claim ? { claim } : {}),
          tags: { ...request.tags, "kbackup.io/backup-instance": request.backupInstanceName, "kbackup.io/recovery-point": request.recoveryPointId },
        });
        snapshots.push(record);
        // Recorded at once, so that a crash before the commit leaves the handle for collection.
        await writeMarker();
        progress.snapshotsTaken++;
        report();
      }
    };
    // Pre hooks freeze every matching pod, the volumes are snapshotted, post hooks thaw at once.
    const hookOutcome = await withBackupHooks(cluster, podHooks, snapshotVolumes, { ...(abortSignal ? { abortSignal } : {}), logger });
    for (const message of hookOutcome.warnings) warn(message);
    if (hookOutcome.failures.length > 0) {
      const failure = hookOutcome.failures[0]!;
      throw new KBackupError("PreconditionFailed", `Backup hook ${failure.hookName} failed in pod ${failure.pod.namespace}/${failure.pod.name} (${failure.outcome}${failure.reason ? `: ${failure.reason}` : ""}) and its onError is Fail.`, {
        details: { hookResults: hookOutcome.hookResults },
      });
    }

    progress.phase = "committing";
    report();
    const written = await archive.finish();
    channel.close();
    await upload;

    const manifest: RecoveryPointManifest = {
      formatVersion: MANIFEST_FORMAT_VERSION,
      recoveryPointId: request.recoveryPointId,
      backupInstanceName: request.backupInstanceName,
      cluster: cluster.identity,
      selection: { ...parameters },
      startTime: startTime.toISOString(),
      endTime: clock.now().toISOString(),
      resourceTypes: [...backedUpTypes.values()].map(({ group, version, resource, kind, namespaced }) => ({ group, version, resource, kind, namespaced })),
      archive: {
        file: "resources.tar.gz",
        sizeInBytes: written.sizeInBytes,
        uncompressedSizeInBytes: archive.uncompressedBytes,
        sha256: written.sha256,
        members: archive.members,
      },
      items,
      volumeSnapshots: snapshots,
      skippedVolumes,
      hookResults: hookOutcome.hookResults,
      warnings,
      tags: { ...request.tags },
    };
    throwIfAborted(abortSignal);
    manifestAttempted = true;
    await store.put(keys.manifest, json(manifest), { ifNoneMatch: "*", abortSignal, contentType: "application/json" });
    await stopHeartbeat();
    // Past the commit marker nothing may undo the recovery point: the rest is best effort.
    await store.put(keys.summary, json(summarize(manifest)), { contentType: "application/json" }).catch(() => undefined);
    await store.delete(keys.inProgress).catch(() => undefined);
    return { manifest, keys };
  } catch (error) {
    channel.fail(error);
    await stopHeartbeat();
    await upload?.catch(() => undefined);
    // Without its marker the folder is another run's (or nothing was written): it is not ours to clean.
    if (markerWritten) await discardUncommitted(store, keys, { archiveStarted, manifestAttempted }, snapshots, request.snapshotProvider, logger);
    throw error;
  }
}

/** Removes what a failed backup wrote, and the snapshots it took. Never throws. */
async function discardUncommitted(
  store: ObjectStore,
  keys: RecoveryPointKeys,
  written: { archiveStarted: boolean; manifestAttempted: boolean },
  snapshots: VolumeSnapshotRecord[],
  provider: SnapshotProvider | undefined,
  logger: Logger,
): Promise<void> {
  // A manifest write that failed may still have landed: it goes first, and while it stays, so does
  // everything it names, so that no recovery point is left pointing at removed data.
  if (written.manifestAttempted) {
    const removed = await store.delete(keys.manifest).then(
      () => true,
      (error: unknown) => {
        logger.error("The manifest of a failed backup could not be removed; its recovery point is kept whole.", { key: keys.manifest, error });
        return false;
      },
    );
    if (!removed) return;
  }
  let leftovers = false;
  for (const snapshot of snapshots) {
    await provider?.deleteSnapshot(snapshot.snapshotHandle).catch((error: unknown) => {
      leftovers = true;
      logger.error("A snapshot of a failed backup could not be deleted; the next backup collects it.", { snapshot: snapshot.snapshotHandle, error });
    });
  }
  if (written.archiveStarted) await store.delete(keys.archive).catch(() => (leftovers = true));
  // The marker stays while anything is left, so that garbage collection finds it.
  if (!leftovers) await store.delete(keys.inProgress).catch(() => undefined);
}

function listObjects(
  cluster: ClusterClient,
  resource: ApiResource,
  selection: Selection,
  request: BackupRequest,
  clock: Clock,
): AsyncIterableIterator<KubeObject[]> {
  const labelSelector = selection.listLabelSelector(resource);
  return listAll(cluster, resource, {
    pageSize: request.pageSize ?? 500,
    clock,
    abortSignal: request.abortSignal,
    // Types that dependencies pull in must be listed whole: their objects need not match the labels.
    ...(labelSelector && !DEPENDENT_TYPES.includes(groupResourceOf(resource)) ? { labelSelector } : {}),
    onRetry: (message) => request.logger?.info(message),
  });
}

/**
 * A volume bound to a claim belongs to the claim's namespace: it comes with its claim (as a
 * required object) and never on its own, so a backup of some namespaces does not take the
 * volumes, and snapshots, of others.
 */
function belongsElsewhere(groupResource: string, object: KubeObject): boolean {
  return groupResource === "persistentvolumes" && claimOf(object) !== undefined;
}

/** Objects that must come along whatever the selection says: PVs of PVCs, CRDs of custom resources, namespaces of items. */
function requiredNames(
  groupResource: string,
  used: { claimedVolumes: Set<string>; usedCustomResources: Set<string>; usedNamespaces: Set<string> },
): Set<string> {
  if (groupResource === "persistentvolumes") return used.claimedVolumes;
  if (groupResource === "customresourcedefinitions.apiextensions.k8s.io") return used.usedCustomResources;
  if (groupResource === "namespaces") return used.usedNamespaces;
  return new Set();
}

async function volumeSkipReason(
  volume: KubeObject,
  parameters: KubernetesClusterBackupDatasourceParameters,
  provider: SnapshotProvider | undefined,
  abortSignal: AbortSignal | undefined,
): Promise<string | undefined> {
  if (!parameters.snapshotVolumes) return "snapshotVolumes is false";
  const type = volumeTypeOf(volume);
  const included = parameters.includedVolumeTypes ?? ["AzureDisk", "AzureFileShareSMB"];
  if (type && !included.includes(type)) return `its volume type ${type} is not in includedVolumeTypes`;
  if (!provider) return "no snapshot provider is configured";
  const support = await provider.canSnapshot(volume, { abortSignal });
  return support.supported ? undefined : support.reason;
}

function json(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}
