import { describe, expect, it } from "vitest";
import { collect, isKBackupError } from "@kbackup/core";
import { MemoryCluster } from "@kbackup/adapter-memory";
import { SAMPLE_CLUSTER } from "@kbackup/testing";
import { CONFIGMAPS, DEPLOYMENTS, NAMESPACES, PVCS, PVS, SECRETS, STORAGE_CLASSES, WIDGETS, backupOk, names, outcomeOf, protectSample, results } from "./helpers.js";

const target = () => new MemoryCluster({ identity: { name: "target", region: "westeurope" } });

describe("backup selection", () => {
  it("backs up the whole cluster but its system namespaces and the objects labelled to be excluded", async () => {
    const { instance } = await protectSample({});
    const job = await backupOk(instance);
    const manifest = await instance.getRecoveryPoint(job.extendedInfo.recoveryPointId!);
    const namespaces = new Set(manifest.items.map((item) => item.namespace).filter(Boolean));
    for (const system of ["kube-system", "kube-public", "kube-node-lease"]) expect(namespaces.has(system)).toBe(false);
    for (const app of ["shop", "blog", "analytics"]) expect(namespaces.has(app)).toBe(true);
    const excluded = SAMPLE_CLUSTER.excludedObjects ?? [];
    expect(excluded.length).toBeGreaterThan(0);
    for (const object of excluded) {
      expect(manifest.items.some((item) => item.name === object.name && item.namespace === object.namespace && item.kind === object.kind)).toBe(false);
    }
    expect(manifest.items.some((item) => item.resource === "storageclasses")).toBe(true);
    expect(manifest.items.some((item) => item.resource === "nodes" || item.resource === "events")).toBe(false);
    // Every item's checksum and path follow Velero's layout.
    for (const item of manifest.items) {
      expect(item.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(item.path).toMatch(item.namespace ? /^resources\/[^/]+\/namespaces\/[^/]+\/[^/]+\.json$/ : /^resources\/[^/]+\/cluster\/[^/]+\.json$/);
    }
  });

  it("honours included and excluded namespaces and resource types in every written form", async () => {
    const excluding = await protectSample({ excludedNamespaces: ["blog"], includeClusterScopeResources: false });
    const excludingManifest = await excluding.instance.getRecoveryPoint((await backupOk(excluding.instance)).extendedInfo.recoveryPointId!);
    const excludingNamespaces = new Set(excludingManifest.items.map((item) => item.namespace).filter(Boolean));
    expect(excludingNamespaces.has("blog")).toBe(false);
    expect(excludingNamespaces.has("shop") && excludingNamespaces.has("analytics")).toBe(true);

    const { instance } = await protectSample({
      includedNamespaces: ["shop"],
      includedResourceTypes: ["configmaps", "v1/Secret", "apps/v1/Deployment", "persistentvolumeclaims"],
      excludedResourceTypes: ["secrets"],
      includeClusterScopeResources: false,
    });
    const job = await backupOk(instance);
    const manifest = await instance.getRecoveryPoint(job.extendedInfo.recoveryPointId!);
    const kinds = new Set(manifest.items.map((item) => item.kind));
    expect([...kinds].sort()).toEqual(["ConfigMap", "Deployment", "Namespace", "PersistentVolume", "PersistentVolumeClaim"]);
    expect(new Set(manifest.items.filter((item) => item.namespace).map((item) => item.namespace))).toEqual(new Set(["shop"]));
    // A claim brings its volume even without cluster-scoped resources; the namespace comes along.
    const claims = manifest.items.filter((item) => item.kind === "PersistentVolumeClaim");
    const volumes = manifest.items.filter((item) => item.kind === "PersistentVolume");
    expect(volumes).toHaveLength(claims.length);
    expect(manifest.items.filter((item) => item.kind === "Namespace").map((item) => item.name)).toEqual(["shop"]);
  });

  it("ORs its label selectors", async () => {
    const { instance } = await protectSample({ includedNamespaces: ["shop"], labelSelectors: ["app=postgres", "app.kubernetes.io/name in (web)"], includeClusterScopeResources: false });
    const job = await backupOk(instance);
    const manifest = await instance.getRecoveryPoint(job.extendedInfo.recoveryPointId!);
    const named = manifest.items.filter((item) => item.kind !== "Namespace" && item.kind !== "PersistentVolume");
    expect(named.length).toBeGreaterThan(2);
    expect(named.some((item) => item.name.startsWith("postgres"))).toBe(true);
    expect(named.some((item) => item.name.startsWith("web"))).toBe(true);
    expect(named.some((item) => item.name === "kube-root-ca.crt")).toBe(false);
  });

  it("brings a custom resource's CRD along", async () => {
    const { instance } = await protectSample({ includedNamespaces: ["analytics"], includedResourceTypes: ["widgets.example.com"], includeClusterScopeResources: false });
    const manifest = await instance.getRecoveryPoint((await backupOk(instance)).extendedInfo.recoveryPointId!);
    expect(manifest.items.map((item) => item.kind).sort()).toContain("CustomResourceDefinition");
    expect(manifest.items.filter((item) => item.kind === "CustomResourceDefinition").map((item) => item.name)).toEqual(["widgets.example.com"]);
  });

  it("an empty selection makes an empty recovery point that restores nothing", async () => {
    // The preflight checks rightly refuse a namespace the cluster does not have; this is about what the backup then does.
    const { instance } = await protectSample({ includedNamespaces: ["nothing-here"], includeClusterScopeResources: false }, undefined, { skipValidation: true });
    const job = await backupOk(instance);
    const manifest = await instance.getRecoveryPoint(job.extendedInfo.recoveryPointId!);
    expect(manifest.items).toEqual([]);
    const cluster = target();
    const restore = await instance.restore(job.extendedInfo.recoveryPointId!, {}, { targetCluster: cluster });
    expect(restore.status).toBe("Completed");
    expect(results(restore)).toEqual([]);
  });

  it("rejects bad parameters naming the field, before anything is written", async () => {
    const attempt = protectSample({ includedNamespaces: ["Bad_Name"], labelSelectors: ["a in ("] });
    await expect(attempt).rejects.toSatisfy((error: unknown) => isKBackupError(error, "InvalidArgument") && /includedNamespaces\[0\]/.test((error as Error).message) && /labelSelectors\[0\]/.test((error as Error).message));
    const { instance, store } = await protectSample({ includedResourceTypes: ["gizmos.nowhere.io"] }, undefined, { skipValidation: true });
    const job = await instance.backupNow();
    expect(job.status).toBe("Failed");
    expect(job.errorDetails?.[0]?.message).toMatch(/gizmos\.nowhere\.io/);
    expect(await collect(store.list(""))).toEqual([]);
  });
});

describe("volumes", () => {
  it("snapshots Azure Disk volumes and skips Azure Files ones with a warning that names the volume and the reason", async () => {
    const { instance } = await protectSample({ includedNamespaces: ["shop", "analytics"] });
    const job = await backupOk(instance);
    expect(job.status).toBe("CompletedWithWarnings");
    const manifest = await instance.getRecoveryPoint(job.extendedInfo.recoveryPointId!);
    const disks = SAMPLE_CLUSTER.persistentVolumes.filter((volume) => volume.driver === "disk.csi.azure.com" && ["shop", "analytics"].includes(volume.claim?.namespace ?? ""));
    const files = SAMPLE_CLUSTER.persistentVolumes.filter((volume) => volume.driver === "file.csi.azure.com" && ["shop", "analytics"].includes(volume.claim?.namespace ?? ""));
    expect(manifest.volumeSnapshots.map((snapshot) => snapshot.persistentVolumeName).sort()).toEqual(disks.map((volume) => volume.name).sort());
    expect(manifest.skippedVolumes.map((skipped) => skipped.persistentVolumeName).sort()).toEqual(files.map((volume) => volume.name).sort());
    for (const file of files) expect(job.warningDetails?.some((warning) => warning.message.includes(file.name) && /file\.csi\.azure\.com|Azure Files/.test(warning.message))).toBe(true);
  });

  it("takes only the volumes of the selected namespaces' claims, even with cluster-scoped resources", async () => {
    const { instance, provider } = await protectSample({ includedNamespaces: ["shop"], includeClusterScopeResources: true });
    const job = await backupOk(instance);
    expect(job.status).toBe("Completed");
    const manifest = await instance.getRecoveryPoint(job.extendedInfo.recoveryPointId!);
    const shopVolumes = SAMPLE_CLUSTER.persistentVolumes.filter((volume) => volume.claim?.namespace === "shop").map((volume) => volume.name);
    expect(manifest.items.filter((item) => item.kind === "PersistentVolume").map((item) => item.name).sort()).toEqual(shopVolumes.sort());
    expect(manifest.skippedVolumes).toEqual([]);
    expect(provider.listSnapshots()).toHaveLength(shopVolumes.length);
    expect(manifest.items.some((item) => item.kind === "StorageClass")).toBe(true);
  });

  it("takes no snapshot with snapshotVolumes false, and only the included volume types otherwise", async () => {
    const off = await protectSample({ includedNamespaces: ["shop"], snapshotVolumes: false });
    const offManifest = await off.instance.getRecoveryPoint((await backupOk(off.instance)).extendedInfo.recoveryPointId!);
    expect(offManifest.volumeSnapshots).toEqual([]);
    const filesOnly = await protectSample({ includedNamespaces: ["shop"], includedVolumeTypes: ["AzureFileShareSMB"] });
    const filesManifest = await filesOnly.instance.getRecoveryPoint((await backupOk(filesOnly.instance)).extendedInfo.recoveryPointId!);
    expect(filesManifest.volumeSnapshots).toEqual([]);
    expect(filesManifest.skippedVolumes[0]?.reason).toMatch(/AzureDisk is not in includedVolumeTypes/);
  });
});

describe("restore", () => {
  it("restores to another cluster with a namespace mapped, volumes made from snapshots holding the original bytes", async () => {
    const { instance, source, provider } = await protectSample({ includedNamespaces: ["shop", "blog"] });
    const job = await backupOk(instance);
    const cluster = target();
    const restore = await instance.restore(job.extendedInfo.recoveryPointId!, { namespaceMappings: { shop: "shop-copy" } }, { targetCluster: cluster, targetSnapshotProvider: provider.forCluster(cluster) });
    expect(restore.errorDetails ?? []).toEqual([]);
    expect(restore.status).toBe("Completed");
    const namespaces = await names(cluster, NAMESPACES);
    expect(namespaces).toContain("shop-copy");
    expect(namespaces).toContain("blog");
    expect(namespaces).not.toContain("shop");
    expect(await names(source, CONFIGMAPS, "shop")).toEqual((await names(cluster, CONFIGMAPS, "shop-copy")).map((name) => name.replace("shop-copy/", "shop/")));
    expect(await names(source, DEPLOYMENTS, "blog")).toEqual(await names(cluster, DEPLOYMENTS, "blog"));
    const [claim] = await collect(cluster.list(PVCS, { namespace: "shop-copy" }));
    const volumeName = (claim!.spec as { volumeName: string }).volumeName;
    const volume = await cluster.get(PVS, volumeName);
    expect((volume!.spec as { claimRef: { namespace: string } }).claimRef.namespace).toBe("shop-copy");
    const handle = (volume!.spec as { csi: { volumeHandle: string } }).csi.volumeHandle;
    const original = SAMPLE_CLUSTER.persistentVolumes.find((pv) => pv.claim?.namespace === "shop" && pv.driver === "disk.csi.azure.com")!;
    expect(handle).not.toBe(original.volumeHandle);
    expect(Buffer.from(cluster.readVolume(handle)).equals(Buffer.from(source.readVolume(original.volumeHandle)))).toBe(true);
    // Server fields are the target's own.
    const [map] = await collect(cluster.list(CONFIGMAPS, { namespace: "shop-copy" }));
    const [sourceMap] = await collect(source.list(CONFIGMAPS, { namespace: "shop" }));
    expect(map!.metadata.uid).not.toBe(sourceMap!.metadata.uid);
  });

  it("restores claims without volume data for dynamic provisioning", async () => {
    const { instance } = await protectSample({ includedNamespaces: ["shop"] });
    const job = await backupOk(instance);
    const cluster = target();
    await cluster.create(STORAGE_CLASSES, { apiVersion: "storage.k8s.io/v1", kind: "StorageClass", metadata: { name: "managed-csi" }, provisioner: "disk.csi.azure.com" });
    const restore = await instance.restore(job.extendedInfo.recoveryPointId!, { persistentVolumeRestoreMode: "RestoreWithoutVolumeData", includeClusterScopeResources: false }, { targetCluster: cluster });
    expect(restore.status).toBe("Completed");
    expect(results(restore).some((item) => item.kind === "PersistentVolume")).toBe(false);
    const [claim] = await collect(cluster.list(PVCS, { namespace: "shop" }));
    const volumeName = (claim!.spec as { volumeName?: string }).volumeName;
    expect(volumeName).toBeTruthy(); // bound by the provisioner, not by the restore
    const volume = await cluster.get(PVS, volumeName!);
    const handle = (volume!.spec as { csi: { volumeHandle: string } }).csi.volumeHandle;
    expect(cluster.readVolume(handle).every((byte) => byte === 0)).toBe(true);
  });

  it("selects by restore criteria: namespaces, types, labels, cluster scope", async () => {
    const { instance } = await protectSample({});
    const id = (await backupOk(instance)).extendedInfo.recoveryPointId!;
    const cluster = target();
    const restore = await instance.restore(
      id,
      { excludedNamespaces: ["analytics", "blog"], includedResourceTypes: ["configmaps", "secrets"], excludedResourceTypes: ["v1/Secret"], labelSelectors: ["app.kubernetes.io/name=web"], includeClusterScopeResources: false },
      { targetCluster: cluster },
    );
    expect(restore.status).toBe("Completed");
    const created = results(restore).filter((item) => item.outcome === "Created");
    expect(new Set(created.map((item) => item.kind))).toEqual(new Set(["ConfigMap", "Namespace"]));
    expect(created.filter((item) => item.kind === "ConfigMap").every((item) => item.namespace === "shop")).toBe(true);
    expect(await names(cluster, SECRETS)).toEqual([]);
    expect(await names(cluster, STORAGE_CLASSES)).toEqual([]);
  });

  it("restores a custom resource with its CRD into an empty cluster", async () => {
    const { instance } = await protectSample({ includedNamespaces: ["analytics"] });
    const id = (await backupOk(instance)).extendedInfo.recoveryPointId!;
    const cluster = target();
    const restore = await instance.restore(id, { includedResourceTypes: ["widgets.example.com"] }, { targetCluster: cluster });
    expect(restore.errorDetails ?? []).toEqual([]);
    expect((await names(cluster, WIDGETS)).length).toBeGreaterThan(0);
  });

  it("Skip leaves existing objects alone; Patch sets backed-up values and deletes nothing", async () => {
    const { instance, source } = await protectSample({ includedNamespaces: ["shop"] });
    const id = (await backupOk(instance)).extendedInfo.recoveryPointId!;
    const [web] = await collect(source.list(DEPLOYMENTS, { namespace: "shop" }));
    const name = web!.metadata.name!;
    const replicas = (web!.spec as { replicas: number }).replicas;
    await source.patch(DEPLOYMENTS, name, { metadata: { labels: { "added-later": "yes" } }, spec: { replicas: replicas + 4 } }, { namespace: "shop", patchType: "merge" });

    const skip = await instance.restore(id, { conflictPolicy: "Skip" });
    expect(outcomeOf(skip, "Deployment", name, "shop")?.outcome).toBe("Skipped");
    expect(((await source.get(DEPLOYMENTS, name, { namespace: "shop" }))!.spec as { replicas: number }).replicas).toBe(replicas + 4);

    const patch = await instance.restore(id, { conflictPolicy: "Patch" });
    const patched = outcomeOf(patch, "Deployment", name, "shop");
    expect(patched?.outcome).toBe("Patched");
    expect(patched?.patch).toEqual({ spec: { replicas } });
    const after = (await source.get(DEPLOYMENTS, name, { namespace: "shop" }))!;
    expect((after.spec as { replicas: number }).replicas).toBe(replicas);
    expect(after.metadata.labels?.["added-later"]).toBe("yes");
  });

  it("planRestore predicts the restore item by item and writes nothing", async () => {
    const { instance, source } = await protectSample({ includedNamespaces: ["shop", "blog"] });
    const id = (await backupOk(instance)).extendedInfo.recoveryPointId!;
    await source.delete(NAMESPACES, "blog");
    const [web] = await collect(source.list(DEPLOYMENTS, { namespace: "shop" }));
    await source.patch(DEPLOYMENTS, web!.metadata.name!, { spec: { replicas: 9 } }, { namespace: "shop", patchType: "merge" });
    const before = await names(source, CONFIGMAPS);
    const plan = await instance.planRestore(id, { conflictPolicy: "Patch", includeClusterScopeResources: false });
    expect(await names(source, CONFIGMAPS)).toEqual(before);
    expect(await names(source, NAMESPACES)).not.toContain("blog");
    const restore = await instance.restore(id, { conflictPolicy: "Patch", includeClusterScopeResources: false });
    const key = (item: { kind: string; namespace?: string; name: string; outcome: string; patch?: unknown }) => `${item.kind} ${item.namespace ?? ""}/${item.name} ${item.outcome} ${JSON.stringify(item.patch ?? null)}`;
    expect(plan.items.map(key).sort()).toEqual(results(restore).map(key).sort());
    expect(plan.counts.created).toBeGreaterThan(0);
    expect(plan.counts.patched).toBeGreaterThan(0);
  });
});
