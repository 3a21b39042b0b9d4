import { KBackupError, isKBackupError, throwIfAborted } from "../errors.js";
import { sha256Hex } from "../util/sha256.js";
import { readArchiveMembers } from "../archive/archive-reader.js";
import { apiVersionOf, groupResourceOf, parseApiVersion, type ApiResource, type KubeObject, type ResourceRef } from "../kube/types.js";
import type { ClusterClient } from "../ports/cluster-client.js";
import { systemClock, type Clock } from "../ports/clock.js";
import { silentLogger, type Logger } from "../ports/logger.js";
import type { ObjectStore } from "../ports/object-store.js";
import type { SnapshotProvider } from "../ports/snapshot-provider.js";
import type { ManifestItem, RecoveryPointManifest } from "../recovery-point/manifest.js";
import { compileSelection, type RestoreCriteria, type Selection } from "../selection/index.js";
import { assertValidConcurrency, forEachConcurrently } from "../util/concurrency.js";
import { withRetry } from "../util/retry.js";
import { applyNamespaceMapping } from "./namespace-mapping.js";
import { NEVER_RESTORED, restoreOrder } from "./restore-order.js";
import { restorePatch } from "./restore-patch.js";
import type { RestoreItemResult } from "./restore-result.js";
import { stripServerFields } from "./strip-server-fields.js";

/** Changes an object before it is restored (resource modifiers). */
export type RestoreModifier = (
  object: KubeObject,
  context: { groupResource: string; sourceNamespace: string | undefined },
) => { object: KubeObject; appliedRules: number[]; warnings: string[] };

/** Progress of a running restore, reported as it goes. */
export interface RestoreProgress {
  itemsProcessed: number;
  /** Items of the backup in the selected types and namespaces: an upper bound of what is restored. */
  itemsConsidered: number;
  currentResourceType?: string;
}

/** What {@link runRestore} restores (or plans), from where, and into which cluster. */
export interface RestoreRequest {
  manifest: RecoveryPointManifest;
  /** The store and key the recovery point's archive is read from. */
  store: ObjectStore;
  archiveKey: string;
  criteria: RestoreCriteria;
  targetCluster: ClusterClient;
  targetSnapshotProvider?: SnapshotProvider;
  /** `plan`: compute what a restore would do, writing nothing. */
  mode: "restore" | "plan";
  /** Items created at once within a priority group; 16 by default. */
  concurrency?: number;
  modify?: RestoreModifier;
  clock?: Clock;
  logger?: Logger;
  abortSignal?: AbortSignal;
  /** Called with a copy of the progress as each resource type starts and as items are processed. */
  onProgress?: (progress: RestoreProgress) => void;
}

/** What {@link runRestore} did (or, when planning, would do): per-item results, warnings, pods created and volumes restored. */
export interface RestoreOutcome {
  items: RestoreItemResult[];
  warnings: string[];
  /** Pods this restore created, as created (restore hooks run in these only). */
  createdPods: KubeObject[];
  volumesRestored: number;
}

const PERSISTENT_VOLUMES = "persistentvolumes";
const CLAIMS = "persistentvolumeclaims";
const NAMESPACES = "namespaces";
const CRDS = "customresourcedefinitions.apiextensions.k8s.io";
// Names tried for a restored volume: the backed-up one, then ones derived from it.
const MAX_VOLUME_NAME_ATTEMPTS = 16;
// An API server serves a new CRD's type once the CRD is established, usually within seconds.
const CRD_ESTABLISHED_TIMEOUT_IN_MS = 60_000;
const CRD_ESTABLISHED_POLL_IN_MS = 1_000;

/**
 * Restores (or plans the restore of) a recovery point into a target cluster: read the archive
 * type by type in priority order, verify each item's checksum, select by the criteria, strip what
 * the source server owned, modify, map namespaces, and create with bounded concurrency; existing
 * objects are skipped or patched by the conflict policy, never deleted. Claims bring their
 * volumes (new ones from snapshots, or dynamically provisioned), namespaces and CRDs come first.
 * Item failures are recorded, not thrown; only a damaged recovery point, an abort or an
 * unreachable target end the restore early. A `concurrency` that is not a whole number of at
 * least 1 is InvalidArgument, before anything is read or written.
 */
export async function runRestore(request: RestoreRequest): Promise<RestoreOutcome> {
  assertValidConcurrency(request.concurrency);
  return new RestoreRun(request).run();
}

class RestoreRun {
  private readonly results: RestoreItemResult[] = [];
  private readonly warnings: string[] = [];
  private readonly createdPods: KubeObject[] = [];
  private readonly namespacesEnsured = new Map<string, Promise<void>>();
  private readonly itemsByPath: Map<string, ManifestItem>;
  private readonly typesByGroupResource: Map<string, ApiResource>;
  private readonly backedUpNamespaces = new Map<string, KubeObject>();
  private readonly backedUpVolumes = new Map<string, KubeObject>();
  private targetTypes = new Map<string, ApiResource>();
  /** When planning: the types of the CRDs the restore would create, which it would find served after them. */
  private readonly plannedTypes = new Set<string>();
  private volumesRestored = 0;
  private readonly progress: RestoreProgress = { itemsProcessed: 0, itemsConsidered: 0 };
  private readonly clock: Clock;
  private readonly logger: Logger;
  private selection!: Selection;
  private readonly planning: boolean;

  constructor(private readonly request: RestoreRequest) {
    this.clock = request.clock ?? systemClock;
    this.logger = request.logger ?? silentLogger;
    this.planning = request.mode === "plan";
    this.itemsByPath = new Map(request.manifest.items.map((item) => [item.path, item]));
    this.typesByGroupResource = new Map(
      request.manifest.resourceTypes.map((type) => [groupResourceOf(type), { ...type, verbs: ["list", "get", "create"] }]),
    );
  }

  async run(): Promise<RestoreOutcome> {
    const { manifest, abortSignal } = this.request;
    await this.refreshTargetTypes();
    // Types may be named that only the target serves, or only the backup holds.
    const known = new Map([...this.targetTypes, ...this.typesByGroupResource]);
    this.selection = compileSelection(this.request.criteria, [...known.values()], { field: "restoreCriteria" });
    for (const object of await this.readGroup(NAMESPACES)) this.backedUpNamespaces.set(object.metadata.name ?? "", object);
    for (const object of await this.readGroup(PERSISTENT_VOLUMES)) this.backedUpVolumes.set(object.metadata.name ?? "", object);

    const groups = new Map<string, ManifestItem[]>();
    for (const item of manifest.items) {
      const groupResource = groupResourceOf(item);
      const group = groups.get(groupResource);
      if (group) group.push(item);
      else groups.set(groupResource, [item]);
    }
    const neededCrds = this.neededCustomResourceDefinitions(groups);
    for (const [groupResource, items] of groups) {
      if (this.mayRestoreType(groupResource, neededCrds)) this.progress.itemsConsidered += items.filter((item) => this.namespaceSelected(item.namespace)).length;
    }

    for (const groupResource of restoreOrder(groups.keys())) {
      throwIfAborted(abortSignal);
      if (!this.mayRestoreType(groupResource, neededCrds)) continue;
      this.progress.currentResourceType = groupResource;
      this.report();
      await this.restoreGroup(groupResource, neededCrds);
      if (groupResource === CRDS && !this.planning) await this.awaitCustomResourceTypes(neededCrds);
    }
    return { items: this.results, warnings: this.warnings, createdPods: this.createdPods, volumesRestored: this.volumesRestored };
  }

  private async restoreGroup(groupResource: string, neededCrds: Set<string>): Promise<void> {
    const type = this.typesByGroupResource.get(groupResource);
    if (!type) return;
    const never = NEVER_RESTORED.get(groupResource);
    const members = this.request.manifest.archive.members.filter((member) => member.group === groupResource);
    const entries = readArchiveMembers(this.request.store, this.request.archiveKey, members, this.request.abortSignal);
    await forEachConcurrently(
      entries,
      this.request.concurrency ?? 16,
      async (entry) => {
        const object = this.verify(entry.path, entry.data);
        const selected = groupResource === CRDS ? this.selection.selectsObject(type, object) || neededCrds.has(object.metadata.name ?? "") : this.selection.selectsObject(type, object);
        if (!selected) return;
        if (groupResource === PERSISTENT_VOLUMES && hasClaim(object)) return; // restored with its claim
        this.progress.itemsProcessed++;
        if (never) {
          this.record(type, object, undefined, { outcome: "Skipped", reason: `Not restored: ${never}.` });
          return;
        }
        await this.restoreItem(type, groupResource, object);
        if (this.progress.itemsProcessed % 500 === 0) this.report();
      },
      this.request.abortSignal,
    );
  }

  private async restoreItem(type: ApiResource, groupResource: string, backedUp: KubeObject): Promise<void> {
    const { criteria } = this.request;
    const sourceNamespace = backedUp.metadata.namespace;
    let desired = stripServerFields(backedUp, groupResource);
    let appliedRules: number[] | undefined;
    const itemWarnings: string[] = [];
    try {
      if (this.request.modify) {
        const modified = this.request.modify(desired, { groupResource, sourceNamespace });
        desired = modified.object;
        appliedRules = modified.appliedRules;
        itemWarnings.push(...modified.warnings);
      }
      applyNamespaceMapping(desired, groupResource, criteria.namespaceMappings);
      // A backed-up namespace is restored as any item (modifiers applied, conflict policy followed);
      // the items restored into it later then find it there.
      await this.place(type, groupResource, backedUp, desired, { appliedRules, itemWarnings });
      if (groupResource === NAMESPACES) this.namespacesEnsured.set(desired.metadata.name ?? "", Promise.resolve());
    } catch (error) {
      if (isKBackupError(error, "Aborted")) throw error;
      this.record(type, desired, sourceNamespace, { outcome: "Failed", reason: messageOf(error), appliedRules, warnings: itemWarnings });
    }
  }

  /** Creates one item in the target, or resolves its conflict with the live object; records what it did. */
  private async place(
    type: ApiResource,
    groupResource: string,
    backedUp: KubeObject,
    desired: KubeObject,
    extra: { appliedRules: number[] | undefined; itemWarnings: string[] },
  ): Promise<void> {
    const sourceNamespace = backedUp.metadata.namespace;
    const { appliedRules, itemWarnings } = extra;
    const namespace = desired.metadata.namespace;
    if (type.namespaced && namespace) await this.ensureNamespace(namespace, sourceNamespace);
    const target = this.targetRef(type, desired);
    const name = desired.metadata.name ?? "";
    const location = { ...(namespace ? { namespace } : {}), abortSignal: this.request.abortSignal };
    const getLive = () => this.retry(() => this.request.targetCluster.get(target, name, location));
    // Claims are looked up first, since a claim about to be created needs its volume made; other
    // items are created straight away (one round trip) and looked up only when the name is taken.
    // A type that would be served only once the restore made its CRD has nothing in the target yet.
    const live = (this.planning && this.targetTypes.has(groupResourceOf(type))) || groupResource === CLAIMS ? await getLive() : undefined;
    if (live) return await this.resolveConflict(type, groupResource, backedUp, desired, live, target, { appliedRules, itemWarnings });
    if (groupResource === CLAIMS) await this.prepareClaim(desired, backedUp);
    if (!this.planning) {
      try {
        await this.retry(() => this.request.targetCluster.create(target, desired, { abortSignal: this.request.abortSignal }));
      } catch (error) {
        if (!isKBackupError(error, "AlreadyExists")) throw error;
        const existing = await getLive();
        if (!existing) throw error;
        return await this.resolveConflict(type, groupResource, backedUp, desired, existing, target, { appliedRules, itemWarnings });
      }
      if (groupResource === "pods") this.createdPods.push(desired);
    }
    if (this.planning && groupResource === CRDS) this.plannedTypes.add(name);
    const mapped = groupResource === NAMESPACES && backedUp.metadata.name !== name ? { reason: `Mapped from namespace ${backedUp.metadata.name}.` } : {};
    this.record(type, desired, sourceNamespace, { outcome: "Created", ...mapped, appliedRules, warnings: itemWarnings });
  }

  private async resolveConflict(
    type: ApiResource,
    groupResource: string,
    backedUp: KubeObject,
    desired: KubeObject,
    live: KubeObject,
    target: ResourceRef,
    extra: { appliedRules: number[] | undefined; itemWarnings: string[] },
  ): Promise<void> {
    const sourceNamespace = backedUp.metadata.namespace;
    const base = { appliedRules: extra.appliedRules, warnings: extra.itemWarnings };
    if ((this.request.criteria.conflictPolicy ?? "Skip") === "Skip") {
      this.record(type, desired, sourceNamespace, { outcome: "Skipped", reason: "It already exists in the target cluster (conflictPolicy Skip).", ...base });
      return;
    }
    const patch = restorePatch(live, desired, groupResource);
    if (!patch) {
      this.record(type, desired, sourceNamespace, { outcome: "Skipped", reason: "It already exists with the backed-up values.", ...base });
      return;
    }
    if (!this.planning) {
      const namespace = desired.metadata.namespace;
      await this.retry(() =>
        this.request.targetCluster.patch(target, desired.metadata.name ?? "", patch, { patchType: "merge", ...(namespace ? { namespace } : {}), abortSignal: this.request.abortSignal }),
      );
    }
    this.record(type, desired, sourceNamespace, { outcome: "Patched", patch, ...base });
  }

  /**
   * Makes a claim's volume before the claim: a new volume from its snapshot, or the backed-up
   * volume as it was (retained volumes without a snapshot), or nothing (dynamic provisioning).
   */
  private async prepareClaim(claim: KubeObject, backedUp: KubeObject): Promise<void> {
    const spec = (claim.spec ??= {}) as { volumeName?: string };
    const volumeName = (backedUp.spec as { volumeName?: unknown } | undefined)?.volumeName;
    const volume = typeof volumeName === "string" ? this.backedUpVolumes.get(volumeName) : undefined;
    const withData = (this.request.criteria.persistentVolumeRestoreMode ?? "RestoreWithVolumeData") === "RestoreWithVolumeData";
    const claimRef = { kind: "PersistentVolumeClaim", apiVersion: "v1", namespace: claim.metadata.namespace, name: claim.metadata.name };
    if (!volume || !withData) {
      delete spec.volumeName;
      return;
    }
    const volumeType = this.typesByGroupResource.get(PERSISTENT_VOLUMES)!;
    const snapshot = this.request.manifest.volumeSnapshots.find((record) => record.persistentVolumeName === volume.metadata.name);
    const stripped = stripServerFields(volume, PERSISTENT_VOLUMES);
    const newName = await this.freeVolumeName(volume.metadata.name ?? "");
    if (snapshot) {
      const provider = this.request.targetSnapshotProvider;
      if (!provider) throw new KBackupError("InvalidArgument", `The claim's volume ${volume.metadata.name} has a snapshot, but no target snapshot provider was given to restore it.`, { field: "targetSnapshotProvider" });
      let restored: KubeObject = { ...stripped, metadata: { ...stripped.metadata, name: newName } };
      let reason = `A new volume from snapshot ${snapshot.snapshotHandle}.`;
      if (!this.planning) {
        const made = await provider.createVolume(snapshot, stripped, { persistentVolumeName: newName, abortSignal: this.request.abortSignal });
        restored = made.persistentVolume;
        reason = `A new volume ${made.volumeHandle} from snapshot ${snapshot.snapshotHandle}.`;
      }
      (restored.spec as Record<string, unknown>).claimRef = claimRef;
      if (!this.planning) await this.retry(() => this.request.targetCluster.create(volumeType, restored, { abortSignal: this.request.abortSignal }));
      this.volumesRestored++;
      this.record(volumeType, restored, undefined, { outcome: "Created", reason });
      spec.volumeName = newName;
      return;
    }
    const reclaimPolicy = (volume.spec as { persistentVolumeReclaimPolicy?: string } | undefined)?.persistentVolumeReclaimPolicy;
    if (reclaimPolicy === "Retain" && newName === volume.metadata.name) {
      // Without a snapshot the data still lives where the volume points; rebind to it.
      (stripped.spec as Record<string, unknown>).claimRef = claimRef;
      if (!this.planning) await this.retry(() => this.request.targetCluster.create(volumeType, stripped, { abortSignal: this.request.abortSignal }));
      this.record(volumeType, stripped, undefined, { outcome: "Created", reason: "The retained volume, restored as it was (no snapshot)." });
      return;
    }
    delete spec.volumeName;
    this.warn(`Claim ${claim.metadata.namespace}/${claim.metadata.name}: volume ${volume.metadata.name} has no snapshot; the claim is restored for dynamic provisioning, without data.`);
  }

  /**
   * The backed-up volume name if the target has none of that name, else the first free one derived
   * from it (an earlier restore of the same recovery point may have taken the first).
   */
  private async freeVolumeName(name: string): Promise<string> {
    const volumes = this.typesByGroupResource.get(PERSISTENT_VOLUMES)!;
    for (let attempt = 0; attempt < MAX_VOLUME_NAME_ATTEMPTS; attempt++) {
      const seed = this.request.manifest.recoveryPointId + name + (attempt > 1 ? `#${attempt}` : "");
      const candidate = attempt === 0 ? name : `${name.slice(0, 253 - 9)}-${sha256Hex(seed).slice(0, 8)}`;
      const taken = await this.retry(() => this.request.targetCluster.get(volumes, candidate, { abortSignal: this.request.abortSignal }));
      if (!taken) return candidate;
    }
    throw new KBackupError("AlreadyExists", `The target has persistent volumes of every name tried for volume ${name}.`);
  }

  private ensureNamespace(target: string, source: string | undefined): Promise<void> {
    let ensured = this.namespacesEnsured.get(target);
    if (!ensured) {
      // Kept, failure included: every item of a namespace the target refuses fails for that reason,
      // without asking again per item.
      ensured = this.createNamespace(target, source).catch((error: unknown) => {
        if (isKBackupError(error, "Aborted")) throw error;
        throw new KBackupError(isKBackupError(error) ? error.code : "Adapter", `Its namespace ${target} could not be created: ${messageOf(error)}`, { cause: error });
      });
      this.namespacesEnsured.set(target, ensured);
    }
    return ensured;
  }

  private async createNamespace(target: string, source: string | undefined): Promise<void> {
    const type = this.typesByGroupResource.get(NAMESPACES) ?? { group: "", version: "v1", resource: NAMESPACES, kind: "Namespace", namespaced: false, verbs: [] };
    const exists = await this.retry(() => this.request.targetCluster.get(type, target, { abortSignal: this.request.abortSignal }));
    if (exists) return;
    const backedUp = source === undefined ? undefined : this.backedUpNamespaces.get(source);
    const namespace: KubeObject = backedUp ? stripServerFields(backedUp, NAMESPACES) : { apiVersion: "v1", kind: "Namespace", metadata: {} };
    namespace.metadata.name = target;
    delete namespace.spec;
    if (!this.planning) {
      try {
        await this.retry(() => this.request.targetCluster.create(type, namespace, { abortSignal: this.request.abortSignal }));
      } catch (error) {
        if (!isKBackupError(error, "AlreadyExists")) throw error;
        return;
      }
    }
    this.record(type, namespace, undefined, { outcome: "Created", ...(source && source !== target ? { reason: `Mapped from namespace ${source}.` } : {}) });
  }

  /** CRDs restored because custom resources of theirs are restored, whatever the criteria say of CRDs. */
  private neededCustomResourceDefinitions(groups: Map<string, ManifestItem[]>): Set<string> {
    const needed = new Set<string>();
    for (const [groupResource, items] of groups) {
      const type = this.typesByGroupResource.get(groupResource);
      if (type && type.group !== "" && this.selection.selectsResourceType(type) && items.some((item) => this.namespaceSelected(item.namespace))) {
        needed.add(groupResource);
      }
    }
    return needed;
  }

  private mayRestoreType(groupResource: string, neededCrds: Set<string>): boolean {
    const type = this.typesByGroupResource.get(groupResource);
    if (!type) return false;
    if (groupResource === CRDS) return neededCrds.size > 0 || this.selection.selectsResourceType(type);
    return this.selection.selectsResourceType(type);
  }

  private namespaceSelected(namespace: string | undefined): boolean {
    return namespace === undefined || this.selection.selectsNamespace(namespace);
  }

  private targetRef(type: ApiResource, object: KubeObject): ResourceRef {
    const groupResource = groupResourceOf(type);
    const served = this.targetTypes.get(groupResource);
    if (!served && !this.plannedTypes.has(groupResource)) {
      throw new KBackupError("Unsupported", `The target cluster does not serve ${groupResource}.`);
    }
    const { version } = parseApiVersion(object.apiVersion);
    return { group: type.group, version: version || served?.version || type.version, resource: type.resource };
  }

  /**
   * Refreshes the target's types after the CRDs were restored, polling (bounded) until it serves the
   * types of the custom resources still to restore; those it does not serve in time then fail.
   */
  private async awaitCustomResourceTypes(neededCrds: Set<string>): Promise<void> {
    const restored = new Set(this.results.filter((result) => groupResourceOf(result) === CRDS && result.outcome !== "Failed").map((result) => result.name));
    const awaited = [...neededCrds].filter((name) => restored.has(name));
    const deadline = this.clock.now().getTime() + CRD_ESTABLISHED_TIMEOUT_IN_MS;
    for (;;) {
      await this.refreshTargetTypes();
      if (awaited.every((name) => this.targetTypes.has(name)) || this.clock.now().getTime() >= deadline) return;
      await this.clock.sleep(CRD_ESTABLISHED_POLL_IN_MS, { abortSignal: this.request.abortSignal });
    }
  }

  private async refreshTargetTypes(): Promise<void> {
    const discovered = await this.request.targetCluster.discover({ abortSignal: this.request.abortSignal });
    this.targetTypes = new Map(discovered.map((type) => [groupResourceOf(type), type]));
  }

  private async readGroup(groupResource: string): Promise<KubeObject[]> {
    const members = this.request.manifest.archive.members.filter((member) => member.group === groupResource);
    const objects: KubeObject[] = [];
    for await (const entry of readArchiveMembers(this.request.store, this.request.archiveKey, members, this.request.abortSignal)) {
      objects.push(this.verify(entry.path, entry.data));
    }
    return objects;
  }

  private verify(path: string, data: Uint8Array): KubeObject {
    const item = this.itemsByPath.get(path);
    if (!item) throw new KBackupError("Integrity", `The archive holds ${path}, which its manifest does not list.`, { details: { path } });
    const digest = sha256Hex(data);
    if (digest !== item.sha256) throw new KBackupError("Integrity", `The backed-up object ${path} fails its checksum.`, { details: { path } });
    return JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("utf8")) as KubeObject;
  }

  private record(type: Pick<ApiResource, "group" | "version" | "resource" | "kind">, object: KubeObject, sourceNamespace: string | undefined, result: Omit<RestoreItemResult, "group" | "version" | "resource" | "kind" | "name">): void {
    const namespace = object.metadata.namespace;
    const entry: RestoreItemResult = {
      group: type.group,
      version: parseApiVersion(object.apiVersion).version || type.version,
      resource: type.resource,
      kind: object.kind || type.kind,
      ...(namespace ? { namespace } : {}),
      ...(sourceNamespace && sourceNamespace !== namespace ? { sourceNamespace } : {}),
      name: object.metadata.name ?? "",
      outcome: result.outcome,
    };
    if (result.reason) entry.reason = result.reason;
    if (result.patch) entry.patch = result.patch;
    if (result.appliedRules && result.appliedRules.length > 0) entry.appliedRules = result.appliedRules;
    if (result.warnings && result.warnings.length > 0) entry.warnings = result.warnings;
    this.results.push(entry);
    if (result.outcome === "Failed") this.logger.warn(`Restoring ${apiVersionOf(type)} ${type.kind} ${namespace ? `${namespace}/` : ""}${entry.name} failed: ${result.reason}`);
  }

  private warn(message: string): void {
    this.warnings.push(message);
    this.logger.warn(message);
  }

  private report(): void {
    this.request.onProgress?.({ ...this.progress });
  }

  private retry<T>(operation: () => Promise<T>): Promise<T> {
    return withRetry(operation, { abortSignal: this.request.abortSignal, clock: this.clock });
  }
}

function hasClaim(volume: KubeObject): boolean {
  return Boolean((volume.spec as { claimRef?: unknown } | undefined)?.claimRef);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}


