import { createHash, randomBytes } from "node:crypto";
import type { TokenCredential } from "@azure/core-auth";
import { ComputeManagementClient, type ComputeManagementClientOptionalParams, type Disk, type Snapshot } from "@azure/arm-compute";
import { AnonymousCredential, PageBlobClient, type StoragePipelineOptions } from "@azure/storage-blob";
import {
  invalidArgument,
  isKBackupError,
  KBackupError,
  silentLogger,
  throwIfAborted,
  type CreateSnapshotOptions,
  type CreateVolumeOptions,
  type KubeObject,
  type Logger,
  type OperationOptions,
  type RestoredVolume,
  type SnapshotProvider,
  type SnapshotProviderCapabilities,
  type SnapshotReader,
  type SnapshotSupport,
  type VolumeSnapshotRecord,
} from "@kbackup/core";
import { toKBackupError } from "../azure-errors.js";
import { computeResourceId, computeResourceName, parseComputeResourceId, type ComputeResourceId } from "./arm-resource-id.js";
import { PageBlobSnapshotReader, type ChangedRangesMethod, type SnapshotAccess } from "./page-blob-snapshot-reader.js";
import { restoredPersistentVolume, zoneOfPersistentVolume } from "./restored-persistent-volume.js";

/** The CSI driver of Azure managed disks. */
export const AZURE_DISK_CSI_DRIVER = "disk.csi.azure.com";
/** The CSI driver of Azure Files shares, which are not disks. */
export const AZURE_FILE_CSI_DRIVER = "file.csi.azure.com";

const GiB = 1024 * 1024 * 1024;
const ROLE_HINT = "the identity needs Disk Snapshot Contributor on the snapshot resource group, Reader on the disks' resource group and, to restore, Disk Restore Operator / Contributor on the target resource group";

/** Options of the {@link AzureDiskSnapshotProvider} constructor; `InvalidArgument` names the first bad one. */
export interface AzureDiskSnapshotProviderOptions {
  /** A ready ARM client of the subscription; or give `credential` and `subscriptionId`. */
  client?: ComputeManagementClient;
  /** Any `TokenCredential`, such as `DefaultAzureCredential` or a workload identity. */
  credential?: TokenCredential;
  /** The subscription of the disks and snapshots; required with `credential`, else the client's. */
  subscriptionId?: string;
  /** Options of the ARM client made from `credential` (endpoint, retries, TLS). */
  clientOptions?: ComputeManagementClientOptionalParams;
  /** The resource group snapshots are made in (in the client's subscription, the disks' region). */
  snapshotResourceGroup: string;
  /** Where restored disks go by default; else the resource group of the backed-up disk. `location.resourceGroup` of `createVolume` wins. */
  targetResourceGroup?: string;
  /** The availability zone ("1", "2", "3") of restored disks; else the backed-up PV's zone. `location.zone` wins; "" means none. */
  targetZone?: string;
  /** The SKU of restored disks, such as `Premium_LRS`; else the backed-up disk's when it still exists. */
  diskSku?: string;
  /** Tags put on every snapshot and restored disk, beside `created-by: kbackup`. */
  tags?: Record<string, string>;
  /** How long a snapshot's read SAS lasts. Default 3600 s; a reader open for longer must be opened again. */
  readAccessDurationInSeconds?: number;
  /**
   * How `changedRanges` works: `service-diff` (default) asks Azure for the diff of two incremental
   * snapshots; `allocated-pages` unions the pages written in either (for emulators without the diff).
   */
  changedRangesMethod?: ChangedRangesMethod;
  /** Ranges read at once by `SnapshotReader.read`. Default 8. */
  readConcurrency?: number;
  /** How often long-running ARM operations are polled; default the service's `Retry-After`, else 2 s. */
  pollIntervalInMs?: number;
  /** Pipeline options of the page blob clients that read snapshots (retries, proxy). */
  blobPipelineOptions?: StoragePipelineOptions;
  /** Where the provider logs what it does; silent by default. */
  logger?: Logger;
}

/**
 * Incremental snapshots of Azure managed disks behind `disk.csi.azure.com` persistent volumes,
 * through Azure Resource Manager (`@azure/arm-compute`).
 *
 * - A PV is supported when its CSI driver is `disk.csi.azure.com` and its volume handle is a
 *   managed disk's ARM id in the client's subscription; Azure Files and other drivers are not.
 * - `createSnapshot` makes an incremental snapshot (`createOption: Copy`) in `snapshotResourceGroup`,
 *   tagged with the PV, its claim and the caller's tags; the handle is the snapshot's ARM id.
 * - `createVolume` makes a new disk from the snapshot in the target resource group and zone, named
 *   from the PV and the snapshot (so a retry finds the same disk), and rewrites the PV to it.
 * - `openSnapshot` grants read access (a SAS URL of the snapshot's page blob), revoked on `close`.
 * - Errors: missing disks or snapshots are `NotFound`; 401/403 are `PermissionDenied` naming the
 *   roles to check; throttling is `Throttled` after the SDK's retries.
 */
export class AzureDiskSnapshotProvider implements SnapshotProvider {
  readonly name = "azure-disk";
  readonly capabilities: SnapshotProviderCapabilities = { incremental: true, readData: true, changedRanges: true };
  readonly #client: ComputeManagementClient;
  readonly #subscriptionId: string;
  readonly #options: AzureDiskSnapshotProviderOptions;
  readonly #logger: Logger;
  readonly #grants = new Map<string, { count: number; access: Promise<{ url: string; sourceDiskId: string | undefined }> }>();

  /** Throws `InvalidArgument` naming the field for missing or malformed options; does no I/O. */
  constructor(options: AzureDiskSnapshotProviderOptions) {
    if (typeof options !== "object" || options === null) throw invalidArgument("options", "must be an object");
    if (typeof options.snapshotResourceGroup !== "string" || !/^[-\w._()]{1,90}$/.test(options.snapshotResourceGroup)) {
      throw invalidArgument("options.snapshotResourceGroup", "must be a resource group name");
    }
    if (options.client !== undefined) {
      this.#client = options.client;
      this.#subscriptionId = options.subscriptionId ?? (options.client as unknown as { subscriptionId?: string }).subscriptionId ?? "";
    } else {
      if (options.credential === undefined || typeof options.credential.getToken !== "function") {
        throw invalidArgument("options.credential", "is required without a client: a TokenCredential such as DefaultAzureCredential");
      }
      if (typeof options.subscriptionId !== "string" || options.subscriptionId === "") throw invalidArgument("options.subscriptionId", "is required without a client");
      this.#client = new ComputeManagementClient(options.credential, options.subscriptionId, options.clientOptions);
      this.#subscriptionId = options.subscriptionId;
    }
    if (this.#subscriptionId === "") throw invalidArgument("options.subscriptionId", "is required: the subscription of the client");
    const duration = options.readAccessDurationInSeconds;
    if (duration !== undefined && (!Number.isSafeInteger(duration) || duration < 60)) throw invalidArgument("options.readAccessDurationInSeconds", "must be an integer of at least 60");
    const method = options.changedRangesMethod;
    if (method !== undefined && method !== "service-diff" && method !== "allocated-pages") {
      throw invalidArgument("options.changedRangesMethod", 'must be "service-diff" or "allocated-pages"');
    }
    this.#options = options;
    this.#logger = options.logger ?? silentLogger;
  }

  /** Supported for managed disks behind `disk.csi.azure.com` in this subscription; else why not. */
  async canSnapshot(persistentVolume: KubeObject, options: OperationOptions = {}): Promise<SnapshotSupport> {
    throwIfAborted(options.abortSignal);
    const found = this.#diskOf(persistentVolume);
    return "reason" in found ? { supported: false, reason: found.reason } : { supported: true };
  }

  /** An incremental snapshot of the PV's disk. `Unsupported` with the reason for other PVs; `NotFound` if the disk is gone. */
  async createSnapshot(persistentVolume: KubeObject, options: CreateSnapshotOptions = {}): Promise<VolumeSnapshotRecord> {
    throwIfAborted(options.abortSignal);
    const found = this.#diskOf(persistentVolume);
    if ("reason" in found) throw new KBackupError("Unsupported", `Cannot snapshot ${persistentVolume.metadata?.name ?? "the volume"}: ${found.reason}`);
    const { disk, diskId } = found;
    const pvName = persistentVolume.metadata?.name ?? disk.name;
    const claimRef = (persistentVolume.spec as { claimRef?: { namespace?: string; name?: string } } | undefined)?.claimRef;
    const claim = options.claim ?? (claimRef?.name ? { namespace: claimRef.namespace ?? "", name: claimRef.name } : undefined);
    const source = await this.#arm("read disk", diskId, options.abortSignal, () => this.#client.disks.get(disk.resourceGroup, disk.name, { abortSignal: options.abortSignal }));
    const name = computeResourceName(pvName, `${timestamp()}-${randomBytes(3).toString("hex")}`);
    const snapshotId = computeResourceId({ subscriptionId: this.#subscriptionId, resourceGroup: this.#options.snapshotResourceGroup, kind: "snapshots", name });
    const tags = {
      ...this.#options.tags,
      ...options.tags,
      "created-by": "kbackup",
      "kbackup-persistent-volume": pvName,
      ...(claim ? { "kbackup-claim": `${claim.namespace}/${claim.name}` } : {}),
    };
    const snapshot: Snapshot = { location: source.location, tags, incremental: true, creationData: { createOption: "Copy", sourceResourceId: diskId } };
    this.#logger.info("Creating an incremental snapshot of an Azure disk", { disk: diskId, snapshot: snapshotId });
    const made = await this.#arm("create snapshot", snapshotId, options.abortSignal, () =>
      this.#client.snapshots.createOrUpdate(this.#options.snapshotResourceGroup, name, snapshot, { abortSignal: options.abortSignal, updateIntervalInMs: this.#options.pollIntervalInMs }),
    );
    const csi = (persistentVolume.spec as { csi?: { volumeHandle?: string } }).csi;
    return {
      snapshotHandle: made.id ?? snapshotId,
      provider: this.name,
      persistentVolumeName: pvName,
      ...(claim ? { claim } : {}),
      driver: AZURE_DISK_CSI_DRIVER,
      volumeHandle: csi?.volumeHandle ?? diskId,
      sizeInBytes: sizeOf(source),
      incremental: made.incremental ?? true,
      createdAt: (made.timeCreated ?? new Date()).toISOString(),
    };
  }

  /** Deletes the snapshot; false when it was already gone. */
  async deleteSnapshot(snapshotHandle: string, options: OperationOptions = {}): Promise<boolean> {
    throwIfAborted(options.abortSignal);
    const id = this.#snapshotId(snapshotHandle);
    try {
      await this.#arm("read snapshot", snapshotHandle, options.abortSignal, () => this.#client.snapshots.get(id.resourceGroup, id.name, { abortSignal: options.abortSignal }));
    } catch (error) {
      if (isKBackupError(error, "NotFound")) return false;
      throw error;
    }
    await this.#arm("delete snapshot", snapshotHandle, options.abortSignal, () =>
      this.#client.snapshots.delete(id.resourceGroup, id.name, { abortSignal: options.abortSignal, updateIntervalInMs: this.#options.pollIntervalInMs }),
    );
    return true;
  }

  /**
   * A new disk from the snapshot, and the PV rewritten to it. The disk goes to
   * `options.location.resourceGroup` / `.zone`, else the configured target, else where the
   * backed-up disk was. `NotFound` if the snapshot is gone.
   */
  async createVolume(snapshot: VolumeSnapshotRecord, persistentVolume: KubeObject, options: CreateVolumeOptions): Promise<RestoredVolume> {
    throwIfAborted(options?.abortSignal);
    if (typeof options?.persistentVolumeName !== "string" || options.persistentVolumeName === "") {
      throw invalidArgument("options.persistentVolumeName", "must be the name of the new PV");
    }
    const signal = options.abortSignal;
    const id = this.#snapshotId(snapshot?.snapshotHandle);
    const source = await this.#arm("read snapshot", snapshot.snapshotHandle, signal, () => this.#client.snapshots.get(id.resourceGroup, id.name, { abortSignal: signal }));
    const backedUpDisk = parseComputeResourceId(snapshot.volumeHandle, "disks");
    const resourceGroup = options.location?.resourceGroup ?? this.#options.targetResourceGroup ?? backedUpDisk?.resourceGroup;
    if (!resourceGroup) throw invalidArgument("options.location.resourceGroup", "is needed: no target resource group is configured and the snapshot names no disk");
    const zoneChoice = options.location?.zone ?? this.#options.targetZone ?? zoneOfPersistentVolume(persistentVolume);
    const zone = zoneChoice === "" ? undefined : zoneChoice;
    const region = source.location;
    // One name per snapshot and PV name, so a retried restore finds the disk it made.
    const suffix = createHash("sha256").update(`${snapshot.snapshotHandle.toLowerCase()}\n${options.persistentVolumeName}`).digest("hex").slice(0, 10);
    const name = computeResourceName(options.persistentVolumeName, suffix);
    const diskId = computeResourceId({ subscriptionId: this.#subscriptionId, resourceGroup, kind: "disks", name });
    const existing = await this.#getDisk(resourceGroup, name, signal);
    if (existing && existing.creationData?.sourceResourceId?.toLowerCase() !== (source.id ?? snapshot.snapshotHandle).toLowerCase()) {
      throw new KBackupError("Conflict", `A disk ${diskId} exists and was not made from snapshot ${snapshot.snapshotHandle}.`);
    }
    if (!existing) {
      const sku = this.#options.diskSku ?? (backedUpDisk ? (await this.#getDisk(backedUpDisk.resourceGroup, backedUpDisk.name, signal))?.sku?.name : undefined);
      const disk: Disk = {
        location: region,
        ...(zone ? { zones: [zone] } : {}),
        ...(sku ? { sku: { name: sku } } : {}),
        tags: { ...this.#options.tags, "created-by": "kbackup", "kbackup-restored-from": id.name, "kbackup-persistent-volume": options.persistentVolumeName },
        creationData: { createOption: "Copy", sourceResourceId: source.id ?? snapshot.snapshotHandle },
      };
      this.#logger.info("Creating an Azure disk from a snapshot", { snapshot: snapshot.snapshotHandle, disk: diskId });
      await this.#arm("create disk", diskId, signal, () =>
        this.#client.disks.createOrUpdate(resourceGroup, name, disk, { abortSignal: signal, updateIntervalInMs: this.#options.pollIntervalInMs }),
      );
    }
    return { volumeHandle: diskId, persistentVolume: restoredPersistentVolume(persistentVolume, options.persistentVolumeName, diskId, region, zone) };
  }

  /** Grants read access to the snapshot's bytes; `close()` the reader to revoke it. `NotFound` if the snapshot is gone. */
  async openSnapshot(snapshotHandle: string, options: OperationOptions = {}): Promise<SnapshotReader> {
    throwIfAborted(options.abortSignal);
    const access = await this.#grant(snapshotHandle, options);
    const blob = this.#blobClient(access.url);
    let size: number;
    try {
      size = (await blob.getProperties({ abortSignal: options.abortSignal })).contentLength ?? 0;
    } catch (error) {
      await access.release();
      throw toKBackupError(error, { operation: `open snapshot ${snapshotHandle}`, resource: `the page blob of snapshot ${snapshotHandle}`, abortSignal: options.abortSignal });
    }
    return new PageBlobSnapshotReader({
      snapshotId: snapshotHandle,
      access,
      blob,
      sizeInBytes: size,
      openBase: (handle, baseOptions) => this.#grant(handle, baseOptions),
      clientOf: (url) => this.#blobClient(url),
      changedRangesMethod: this.#options.changedRangesMethod ?? "service-diff",
      readConcurrency: this.#options.readConcurrency ?? 8,
    });
  }

  /** Grants read access once per snapshot however many readers share it; the last release revokes it. */
  async #grant(snapshotHandle: string, options: OperationOptions): Promise<SnapshotAccess> {
    const id = this.#snapshotId(snapshotHandle);
    const key = snapshotHandle.toLowerCase();
    let grant = this.#grants.get(key);
    if (!grant) {
      const access = (async () => {
        const snapshot = await this.#arm("read snapshot", snapshotHandle, options.abortSignal, () => this.#client.snapshots.get(id.resourceGroup, id.name, { abortSignal: options.abortSignal }));
        const uri = await this.#arm("grant read access to snapshot", snapshotHandle, options.abortSignal, () =>
          this.#client.snapshots.grantAccess(id.resourceGroup, id.name, { access: "Read", durationInSeconds: this.#options.readAccessDurationInSeconds ?? 3600 }, { abortSignal: options.abortSignal, updateIntervalInMs: this.#options.pollIntervalInMs }),
        );
        if (!uri.accessSAS) throw new KBackupError("Adapter", `Azure granted access to snapshot ${snapshotHandle} without a SAS URL.`);
        return { url: uri.accessSAS, sourceDiskId: snapshot.creationData?.sourceResourceId };
      })();
      grant = { count: 0, access };
      this.#grants.set(key, grant);
      access.catch(() => this.#grants.delete(key));
    }
    grant.count++;
    const held = grant;
    let access: { url: string; sourceDiskId: string | undefined };
    try {
      access = await held.access;
    } catch (error) {
      held.count--;
      throw error;
    }
    let released = false;
    return {
      ...access,
      release: async () => {
        if (released) return;
        released = true;
        if (--held.count > 0) return;
        this.#grants.delete(key);
        await this.#arm("revoke read access to snapshot", snapshotHandle, undefined, () =>
          this.#client.snapshots.revokeAccess(id.resourceGroup, id.name, { updateIntervalInMs: this.#options.pollIntervalInMs }),
        ).catch((error: unknown) => {
          // A snapshot deleted meanwhile has no access left to revoke.
          if (!isKBackupError(error, "NotFound")) throw error;
        });
      },
    };
  }

  #blobClient(url: string): PageBlobClient {
    return new PageBlobClient(url, new AnonymousCredential(), this.#options.blobPipelineOptions);
  }

  async #getDisk(resourceGroup: string, name: string, signal: AbortSignal | undefined): Promise<Disk | undefined> {
    try {
      return await this.#arm("read disk", `${resourceGroup}/${name}`, signal, () => this.#client.disks.get(resourceGroup, name, { abortSignal: signal }));
    } catch (error) {
      if (isKBackupError(error, "NotFound")) return undefined;
      throw error;
    }
  }

  #diskOf(persistentVolume: KubeObject): { disk: ComputeResourceId; diskId: string } | { reason: string } {
    const spec = (persistentVolume?.spec ?? {}) as { csi?: { driver?: string; volumeHandle?: string }; azureDisk?: unknown; azureFile?: unknown };
    const driver = spec.csi?.driver;
    if (driver === AZURE_FILE_CSI_DRIVER || spec.azureFile !== undefined) {
      return { reason: `Azure Files volumes (${AZURE_FILE_CSI_DRIVER}) are file shares, not managed disks: this provider snapshots Azure Disks (${AZURE_DISK_CSI_DRIVER}) only.` };
    }
    if (spec.azureDisk !== undefined) return { reason: `in-tree azureDisk volumes are not supported: migrate them to the ${AZURE_DISK_CSI_DRIVER} CSI driver.` };
    if (driver === undefined) return { reason: `the volume is not a CSI volume; this provider snapshots ${AZURE_DISK_CSI_DRIVER} volumes only.` };
    if (driver !== AZURE_DISK_CSI_DRIVER) return { reason: `the CSI driver ${driver} is not ${AZURE_DISK_CSI_DRIVER}; use a provider for that driver.` };
    const disk = parseComputeResourceId(spec.csi?.volumeHandle, "disks");
    if (!disk) return { reason: `the volume handle ${JSON.stringify(spec.csi?.volumeHandle)} is not the ARM id of a managed disk.` };
    if (disk.subscriptionId.toLowerCase() !== this.#subscriptionId.toLowerCase()) {
      return { reason: `the disk is in subscription ${disk.subscriptionId}, and this provider works in ${this.#subscriptionId}.` };
    }
    return { disk, diskId: computeResourceId(disk) };
  }

  #snapshotId(handle: unknown): ComputeResourceId {
    const id = parseComputeResourceId(handle, "snapshots");
    if (!id) throw invalidArgument("snapshotHandle", "must be the ARM id of a snapshot (/subscriptions/.../providers/Microsoft.Compute/snapshots/<name>)");
    return id;
  }

  /** One ARM call (or long-running operation, awaited), as a `KBackupError` on failure. */
  async #arm<T>(operation: string, resource: string, abortSignal: AbortSignal | undefined, call: () => PromiseLike<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      const mapped = toKBackupError(error, { operation: `${operation} ${resource}`, resource, abortSignal });
      if (mapped.code !== "PermissionDenied") throw mapped;
      throw new KBackupError("PermissionDenied", `Azure denied ${operation} ${resource}: ${ROLE_HINT}.`, { cause: error, details: mapped.details });
    }
  }
}

function sizeOf(disk: Disk | Snapshot): number {
  return disk.diskSizeBytes ?? (disk.diskSizeGB ?? 0) * GiB;
}

function timestamp(): string {
  return new Date().toISOString().replace(/[-:T]/g, "").slice(0, 14);
}
