import { describe, expect, it } from "vitest";
import { isKBackupError, type KubeObject } from "@kbackup/core";
import {
  SAMPLE_CLUSTER,
  SAMPLE_CLUSTER_IDENTITY,
  describeClusterObjects,
  sampleClusterObjects,
  sampleVolumeBytes,
} from "@kbackup/testing";

const key = (object: KubeObject) => `${object.kind}/${object.metadata.namespace ?? ""}/${object.metadata.name ?? ""}`;

describe("sampleClusterObjects", () => {
  const objects = sampleClusterObjects();

  it("lists the system, application and exclusion namespaces before anything else", () => {
    const firstOther = objects.findIndex((object) => object.kind !== "Namespace");
    expect(objects.slice(firstOther).some((object) => object.kind === "Namespace")).toBe(false);
    expect(SAMPLE_CLUSTER.namespaces).toEqual(["kube-system", "kube-public", "kube-node-lease", "default", "shop", "blog", "analytics", "tools"]);
    const namespaces = new Set(SAMPLE_CLUSTER.namespaces);
    for (const object of objects) {
      if (object.metadata.namespace !== undefined) expect(namespaces.has(object.metadata.namespace), key(object)).toBe(true);
    }
  });

  it("names every object once and gives each a distinct uid", () => {
    expect(new Set(objects.map(key)).size).toBe(objects.length);
    expect(new Set(objects.map((object) => object.metadata.uid)).size).toBe(objects.length);
    for (const object of objects) expect(object.metadata.uid, key(object)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it("is plain JSON, the same on every call, and fresh each time", () => {
    expect(JSON.parse(JSON.stringify(objects))).toEqual(objects);
    const again = sampleClusterObjects();
    expect(again).toEqual(objects);
    (again[0] as KubeObject).metadata.name = "changed";
    expect(sampleClusterObjects()[0]?.metadata.name).toBe("kube-system");
  });

  it("holds the workloads of each namespace", () => {
    const counts = SAMPLE_CLUSTER.countsByNamespace;
    expect(counts["kube-system"]).toMatchObject({ Deployment: 1, ReplicaSet: 1, DaemonSet: 1, Pod: 4, Service: 1 });
    expect(counts["kube-system"]?.ConfigMap).toBeGreaterThanOrEqual(3);
    expect(counts.shop).toMatchObject({
      Deployment: 1,
      StatefulSet: 1,
      Service: 2,
      ConfigMap: 2,
      Secret: 2,
      ServiceAccount: 2,
      Role: 1,
      RoleBinding: 1,
      Ingress: 1,
      PersistentVolumeClaim: 1,
      Pod: 3,
    });
    expect(counts.blog).toMatchObject({ Deployment: 3, ReplicaSet: 3, Service: 3, Pod: 6 });
    expect(counts.analytics).toMatchObject({ CronJob: 1, Job: 1, Pod: 1, PersistentVolumeClaim: 1, Widget: 1 });
    expect(SAMPLE_CLUSTER.clusterScopedCounts).toMatchObject({
      Namespace: 8,
      StorageClass: 2,
      VolumeSnapshotClass: 1,
      PriorityClass: 1,
      CustomResourceDefinition: 1,
      PersistentVolume: 2,
    });
    expect(SAMPLE_CLUSTER.clusterScopedCounts.ClusterRole).toBeGreaterThanOrEqual(2);
    expect(SAMPLE_CLUSTER.clusterScopedCounts.ClusterRoleBinding).toBeGreaterThanOrEqual(2);
    expect(SAMPLE_CLUSTER.totalObjects).toBe(objects.length);
  });

  it("describes what the objects hold, counted from them", () => {
    const kinds = new Map<string, number>();
    for (const object of objects) kinds.set(object.kind, (kinds.get(object.kind) ?? 0) + 1);
    expect(SAMPLE_CLUSTER.countsByKind).toEqual(Object.fromEntries(kinds));
    const perNamespace = Object.values(SAMPLE_CLUSTER.countsByNamespace).flatMap((counts) => Object.values(counts));
    const clusterScoped = Object.values(SAMPLE_CLUSTER.clusterScopedCounts);
    expect([...perNamespace, ...clusterScoped].reduce((sum, count) => sum + count, 0)).toBe(objects.length);
  });

  it("takes the blog namespace from the guestbook manifests", () => {
    const blog = objects.filter((object) => object.metadata.namespace === "blog");
    const deployments = blog.filter((object) => object.kind === "Deployment").map((object) => object.metadata.name);
    expect(deployments.sort()).toEqual(["frontend", "redis-master", "redis-replica"]);
    const frontend = blog.find((object) => object.kind === "Service" && object.metadata.name === "frontend");
    expect(frontend?.spec).toMatchObject({ type: "NodePort", selector: { app: "guestbook", tier: "frontend" } });
    expect((frontend?.spec as { ports: Array<{ nodePort?: number }> }).ports[0]?.nodePort).toBeGreaterThanOrEqual(30000);
  });

  it("resolves every ownerReference to its owner in the same namespace", () => {
    const byUid = new Map(objects.map((object) => [object.metadata.uid, object]));
    let owned = 0;
    for (const object of objects) {
      for (const reference of object.metadata.ownerReferences ?? []) {
        const owner = byUid.get(reference.uid as string);
        expect(owner, `owner of ${key(object)}`).toBeDefined();
        expect(owner?.kind).toBe(reference.kind);
        expect(owner?.apiVersion).toBe(reference.apiVersion);
        expect(owner?.metadata.name).toBe(reference.name);
        expect(owner?.metadata.namespace).toBe(object.metadata.namespace);
        owned++;
      }
    }
    for (const pod of objects.filter((object) => object.kind === "Pod")) expect(pod.metadata.ownerReferences, key(pod)).toHaveLength(1);
    expect(owned).toBe(SAMPLE_CLUSTER.countsByKind.Pod! + SAMPLE_CLUSTER.countsByKind.ReplicaSet!);
  });

  it("selects each controller's pods with its selector", () => {
    for (const controller of objects.filter((object) => ["ReplicaSet", "StatefulSet", "DaemonSet"].includes(object.kind))) {
      const matchLabels = (controller.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels;
      const pods = objects.filter((object) => object.kind === "Pod" && object.metadata.ownerReferences?.[0]?.uid === controller.metadata.uid);
      expect(pods.length, key(controller)).toBeGreaterThan(0);
      for (const pod of pods) expect(pod.metadata.labels, key(pod)).toMatchObject(matchLabels);
    }
  });

  it("binds every PersistentVolume and claim both ways", () => {
    const claims = objects.filter((object) => object.kind === "PersistentVolumeClaim");
    const volumes = objects.filter((object) => object.kind === "PersistentVolume");
    expect(claims).toHaveLength(2);
    expect(volumes).toHaveLength(2);
    for (const claim of claims) {
      const spec = claim.spec as { volumeName: string; storageClassName: string };
      const volume = volumes.find((candidate) => candidate.metadata.name === spec.volumeName);
      expect(volume, key(claim)).toBeDefined();
      const volumeSpec = volume?.spec as { claimRef: Record<string, string>; storageClassName: string };
      expect(volumeSpec.claimRef).toMatchObject({ kind: "PersistentVolumeClaim", name: claim.metadata.name, namespace: claim.metadata.namespace, uid: claim.metadata.uid });
      expect(volumeSpec.storageClassName).toBe(spec.storageClassName);
      expect(claim.status).toMatchObject({ phase: "Bound" });
      expect(volume?.status).toMatchObject({ phase: "Bound" });
      expect(volume?.metadata.name).toBe(`pvc-${claim.metadata.uid}`);
    }
  });

  it("provisions the volumes from the storage classes of their drivers", () => {
    const classes = new Map(objects.filter((object) => object.kind === "StorageClass").map((object) => [object.metadata.name, object.provisioner]));
    expect(classes).toEqual(new Map([["managed-csi", "disk.csi.azure.com"], ["azurefile-csi", "file.csi.azure.com"]]));
    expect(SAMPLE_CLUSTER.persistentVolumes.map((volume) => [volume.driver, volume.storageClassName, volume.claim])).toEqual([
      ["disk.csi.azure.com", "managed-csi", { namespace: "shop", name: "data-postgres-0" }],
      ["file.csi.azure.com", "azurefile-csi", { namespace: "analytics", name: "reports" }],
    ]);
    const [disk, share] = SAMPLE_CLUSTER.persistentVolumes;
    expect(disk?.volumeHandle).toBe(
      `/subscriptions/${SAMPLE_CLUSTER_IDENTITY.subscriptionId}/resourceGroups/MC_rg-sample_aks-sample_westeurope/providers/Microsoft.Compute/disks/${disk?.name}`,
    );
    expect(share?.volumeHandle).toMatch(new RegExp(`^MC_rg-sample_aks-sample_westeurope#f[0-9a-f]{21}#${share?.name}###analytics$`));
    for (const volume of SAMPLE_CLUSTER.persistentVolumes) expect(volume.sizeInBytes).toBe(SAMPLE_CLUSTER.volumeBytes);
    const snapshotClass = objects.find((object) => object.kind === "VolumeSnapshotClass");
    expect(snapshotClass).toMatchObject({ apiVersion: "snapshot.storage.k8s.io/v1", driver: "disk.csi.azure.com" });
  });

  it("mounts the claims in the pods that use them", () => {
    const claimNames = new Set(objects.filter((object) => object.kind === "PersistentVolumeClaim").map((object) => `${object.metadata.namespace}/${object.metadata.name}`));
    const database = objects.find((object) => object.kind === "Pod" && object.metadata.name === "postgres-0");
    const volumes = (database?.spec as { volumes: Array<{ persistentVolumeClaim?: { claimName: string } }> }).volumes;
    expect(volumes.map((volume) => volume.persistentVolumeClaim?.claimName)).toContain("data-postgres-0");
    for (const pod of objects.filter((object) => object.kind === "Pod")) {
      for (const volume of (pod.spec as { volumes?: Array<{ persistentVolumeClaim?: { claimName: string } }> }).volumes ?? []) {
        if (volume.persistentVolumeClaim) expect(claimNames.has(`${pod.metadata.namespace}/${volume.persistentVolumeClaim.claimName}`), key(pod)).toBe(true);
      }
    }
  });

  it("has a running database pod for hooks", () => {
    expect(SAMPLE_CLUSTER.databasePods).toEqual([{ namespace: "shop", name: "postgres-0", container: "postgres" }]);
    const pod = objects.find((object) => object.kind === "Pod" && object.metadata.name === "postgres-0");
    expect(pod?.status).toMatchObject({ phase: "Running", containerStatuses: [{ name: "postgres", ready: true, state: { running: {} } }] });
  });

  it("defines the Widget CRD before the Widget", () => {
    const crd = objects.findIndex((object) => object.kind === "CustomResourceDefinition" && object.metadata.name === "widgets.example.com");
    const widget = objects.findIndex((object) => object.kind === "Widget");
    expect(crd).toBeGreaterThanOrEqual(0);
    expect(widget).toBeGreaterThan(crd);
    expect(objects[crd]?.spec).toMatchObject({ group: "example.com", scope: "Namespaced", names: { plural: "widgets", kind: "Widget" } });
    expect(objects[widget]?.apiVersion).toBe("example.com/v1");
  });

  it("labels some objects to be left out of backups", () => {
    expect(SAMPLE_CLUSTER.excludedObjects).toEqual([
      { kind: "ConfigMap", namespace: "tools", name: "scratch", label: "kbackup.io/exclude-from-backup" },
      { kind: "Secret", namespace: "tools", name: "debug-token", label: "velero.io/exclude-from-backup" },
    ]);
    expect(SAMPLE_CLUSTER.countsByNamespace.tools?.ConfigMap).toBe(3);
  });

  it("sizes the volumes and names the disks after the options", () => {
    const identity = { name: "aks-prod", region: "northeurope", subscriptionId: "aaaaaaaa-0000-0000-0000-000000000000", resourceGroup: "rg-prod" };
    const described = describeClusterObjects(sampleClusterObjects({ identity, volumeBytes: 4096 }));
    expect(described.persistentVolumes.map((volume) => volume.sizeInBytes)).toEqual([4096, 4096]);
    expect(described.persistentVolumes[0]?.volumeHandle).toMatch(/^\/subscriptions\/aaaaaaaa-0000-0000-0000-000000000000\/resourceGroups\/MC_rg-prod_aks-prod_northeurope\/providers\/Microsoft.Compute\/disks\/pvc-/);
  });

  it("rejects a volume size that is not a positive integer", () => {
    for (const volumeBytes of [0, -1, 1.5, Number.NaN]) {
      let error: unknown;
      try {
        sampleClusterObjects({ volumeBytes });
      } catch (caught) {
        error = caught;
      }
      expect(isKBackupError(error, "InvalidArgument")).toBe(true);
      expect((error as { field?: string }).field).toBe("volumeBytes");
    }
  });

  it("keeps its description frozen", () => {
    expect(Object.isFrozen(SAMPLE_CLUSTER)).toBe(true);
    expect(Object.isFrozen(SAMPLE_CLUSTER.persistentVolumes[0])).toBe(true);
  });
});

describe("sampleVolumeBytes", () => {
  it("is deterministic, different per volume, and starts with a readable line", () => {
    const a = sampleVolumeBytes("disk-a", 4096);
    expect(a).toEqual(sampleVolumeBytes("disk-a", 4096));
    expect(a).not.toEqual(sampleVolumeBytes("disk-b", 4096));
    expect(new TextDecoder().decode(a.subarray(0, 28))).toBe("kbackup sample volume disk-a");
    expect(new Set(a.subarray(100)).size).toBeGreaterThan(200);
  });

  it("honours any size, even one shorter than its first line", () => {
    expect(sampleVolumeBytes("disk-a", 0)).toHaveLength(0);
    expect(sampleVolumeBytes("disk-a", 5)).toEqual(sampleVolumeBytes("disk-a", 4096).subarray(0, 5));
    expect(sampleVolumeBytes("disk-a", 100)).toEqual(sampleVolumeBytes("disk-a", 4096).subarray(0, 100));
  });
});
