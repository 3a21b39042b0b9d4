import { BackupVault, collect, type BackupJob, type ClusterClient, type KubeObject, type ObjectStore, type ResourceRef, type RestoreItemResult } from "@kbackup/core";
import { MemoryObjectStore, MemorySnapshotProvider, type MemoryCluster } from "@kbackup/adapter-memory";
import { sampleCluster } from "@kbackup/testing";
import { expect } from "vitest";

export const NAMESPACES: ResourceRef = { group: "", version: "v1", resource: "namespaces" };
export const CONFIGMAPS: ResourceRef = { group: "", version: "v1", resource: "configmaps" };
export const SECRETS: ResourceRef = { group: "", version: "v1", resource: "secrets" };
export const DEPLOYMENTS: ResourceRef = { group: "apps", version: "v1", resource: "deployments" };
export const PVCS: ResourceRef = { group: "", version: "v1", resource: "persistentvolumeclaims" };
export const PVS: ResourceRef = { group: "", version: "v1", resource: "persistentvolumes" };
export const STORAGE_CLASSES: ResourceRef = { group: "storage.k8s.io", version: "v1", resource: "storageclasses" };
export const WIDGETS: ResourceRef = { group: "example.com", version: "v1", resource: "widgets" };

export interface Protected {
  source: MemoryCluster;
  provider: MemorySnapshotProvider;
  store: ObjectStore;
  vault: BackupVault;
  instance: Awaited<ReturnType<BackupVault["protect"]>>;
}

/** How {@link protectSample} sets up: what to add to the cluster before protecting it, and whether to skip the preflight checks. */
export interface ProtectSampleSetup {
  prepare?: (source: MemoryCluster) => Promise<void>;
  skipValidation?: boolean;
}

/** The sample cluster protected by a vault with a memory store. */
export async function protectSample(datasourceParameters: Record<string, unknown>, store: ObjectStore = new MemoryObjectStore(), setup: ProtectSampleSetup = {}): Promise<Protected> {
  const source = await sampleCluster();
  await setup.prepare?.(source);
  const provider = new MemorySnapshotProvider(source);
  const vault = new BackupVault({ name: "vault", abandonAfterInMs: 0 });
  const instance = await vault.protect({ name: "sample", cluster: source, snapshotProvider: provider, operationalStore: store, datasourceParameters, ...(setup.skipValidation ? { skipValidation: true } : {}) });
  return { source, provider, store, vault, instance };
}

/** Backs up and expects success; returns the job. */
export async function backupOk(instance: Protected["instance"]): Promise<BackupJob> {
  const job = await instance.backupNow();
  expect(job.errorDetails ?? [], JSON.stringify(job.errorDetails)).toEqual([]);
  expect(["Completed", "CompletedWithWarnings"]).toContain(job.status);
  expect(job.extendedInfo.recoveryPointId).toBeTruthy();
  return job;
}

/** `ns/name` of every object of a type, sorted. */
export async function names(cluster: ClusterClient, resource: ResourceRef, namespace?: string): Promise<string[]> {
  const objects = await collect(cluster.list(resource, namespace ? { namespace } : {}));
  return objects.map((object: KubeObject) => (object.metadata.namespace ? `${object.metadata.namespace}/${object.metadata.name}` : object.metadata.name ?? "")).sort();
}

export function results(job: BackupJob): RestoreItemResult[] {
  return (job.extendedInfo.itemResults ?? []) as RestoreItemResult[];
}

export function outcomeOf(job: BackupJob, kind: string, name: string, namespace?: string): RestoreItemResult | undefined {
  return results(job).find((item) => item.kind === kind && item.name === name && (namespace === undefined || item.namespace === namespace));
}
