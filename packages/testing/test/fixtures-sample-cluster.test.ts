import { describe, expect, it } from "vitest";
import { collect, type ApiResource, type KubeObject, type ResourceRef } from "@kbackup/core";
import type { MemoryCluster } from "@kbackup/adapter-memory";
import { ManualClock, SAMPLE_CLUSTER, SAMPLE_CLUSTER_IDENTITY, SYNTHETIC_LABEL, sampleCluster, sampleVolumeBytes, syntheticCluster } from "@kbackup/testing";

const PODS: ResourceRef = { group: "", version: "v1", resource: "pods" };
const PVS: ResourceRef = { group: "", version: "v1", resource: "persistentvolumes" };
const PVCS: ResourceRef = { group: "", version: "v1", resource: "persistentvolumeclaims" };

/** Every object the cluster serves, listed type by type. */
async function everything(cluster: MemoryCluster): Promise<Array<{ api: ApiResource; object: KubeObject }>> {
  const out: Array<{ api: ApiResource; object: KubeObject }> = [];
  for (const api of await cluster.discover()) {
    for (const object of await collect(cluster.list(api))) out.push({ api, object });
  }
  return out;
}

describe("sampleCluster", () => {
  it("serves the Widget CRD's kind", async () => {
    const cluster = await sampleCluster();
    const widgets = (await cluster.discover()).find((api) => api.kind === "Widget");
    expect(widgets).toMatchObject({ group: "example.com", version: "v1", resource: "widgets", namespaced: true });
    const [sprocket] = await collect(cluster.list(widgets!, { namespace: "analytics" }));
    expect(sprocket?.spec).toEqual({ color: "blue", size: 3 });
  });

  it("holds exactly what SAMPLE_CLUSTER counts, per kind and namespace", async () => {
    const cluster = await sampleCluster();
    expect(cluster.identity).toEqual(SAMPLE_CLUSTER_IDENTITY);
    const countsByNamespace: Record<string, Record<string, number>> = {};
    const clusterScopedCounts: Record<string, number> = {};
    const all = await everything(cluster);
    for (const { object } of all) {
      const counts = object.metadata.namespace === undefined ? clusterScopedCounts : (countsByNamespace[object.metadata.namespace] ??= {});
      counts[object.kind] = (counts[object.kind] ?? 0) + 1;
    }
    expect(countsByNamespace).toEqual(SAMPLE_CLUSTER.countsByNamespace);
    expect(clusterScopedCounts).toEqual(SAMPLE_CLUSTER.clusterScopedCounts);
    expect(all).toHaveLength(SAMPLE_CLUSTER.totalObjects);
  });

  it("keeps the fixtures' uids, so owner references resolve in the cluster", async () => {
    const cluster = await sampleCluster();
    const byUid = new Map((await everything(cluster)).map(({ object }) => [object.metadata.uid, object]));
    const pods = await collect(cluster.list(PODS));
    expect(pods.length).toBe(SAMPLE_CLUSTER.countsByKind.Pod);
    for (const pod of pods) {
      const reference = pod.metadata.ownerReferences?.[0];
      expect(byUid.get(reference?.uid as string)?.metadata.name, pod.metadata.name).toBe(reference?.name);
    }
  });

  it("binds its claims and volumes both ways", async () => {
    const cluster = await sampleCluster();
    const claims = await collect(cluster.list(PVCS));
    expect(claims.map((claim) => `${claim.metadata.namespace}/${claim.metadata.name}`)).toEqual(["analytics/reports", "shop/data-postgres-0"]);
    for (const claim of claims) {
      expect(claim.status).toMatchObject({ phase: "Bound" });
      const volume = await cluster.get(PVS, (claim.spec as { volumeName: string }).volumeName);
      expect(volume?.status).toMatchObject({ phase: "Bound" });
      expect((volume?.spec as { claimRef: Record<string, unknown> }).claimRef).toMatchObject({
        name: claim.metadata.name,
        namespace: claim.metadata.namespace,
        uid: claim.metadata.uid,
      });
    }
    expect((await collect(cluster.list(PVS))).map((volume) => volume.metadata.name).sort()).toEqual(SAMPLE_CLUSTER.persistentVolumes.map((volume) => volume.name).sort());
  });

  it("fills each volume's disk with its own known bytes", async () => {
    const cluster = await sampleCluster();
    const contents = SAMPLE_CLUSTER.persistentVolumes.map((volume) => cluster.readVolume(volume.volumeHandle));
    SAMPLE_CLUSTER.persistentVolumes.forEach((volume, index) => {
      expect(contents[index]).toHaveLength(SAMPLE_CLUSTER.volumeBytes);
      expect(Buffer.from(contents[index]!).equals(Buffer.from(sampleVolumeBytes(volume.volumeHandle, SAMPLE_CLUSTER.volumeBytes)))).toBe(true);
    });
    expect(Buffer.from(contents[0]!).equals(Buffer.from(contents[1]!))).toBe(false);
  });

  it("sizes the disks and names them after the options", async () => {
    const identity = { name: "aks-dr", region: "northeurope", subscriptionId: "99999999-0000-0000-0000-000000000000", resourceGroup: "rg-dr" };
    const cluster = await sampleCluster({ identity, volumeBytes: 8192 });
    expect(cluster.identity).toEqual(identity);
    for (const volume of await collect(cluster.list(PVS))) {
      const { volumeHandle } = (volume.spec as { csi: { volumeHandle: string } }).csi;
      expect(volumeHandle).toContain("MC_rg-dr_aks-dr_northeurope");
      expect(cluster.readVolume(volumeHandle)).toEqual(sampleVolumeBytes(volumeHandle, 8192));
    }
  });

  it("builds independent clusters", async () => {
    const [first, second] = await Promise.all([sampleCluster(), sampleCluster()]);
    const handle = SAMPLE_CLUSTER.persistentVolumes[0]!.volumeHandle;
    first.writeVolume(handle, new Uint8Array([1, 2, 3]));
    await first.delete(PODS, "postgres-0", { namespace: "shop" });
    expect(second.readVolume(handle, 0, 3)).toEqual(sampleVolumeBytes(handle, 3));
    expect(await second.get(PODS, "postgres-0", { namespace: "shop" })).toBeDefined();
  });

  it("lets hooks run in the database pod", async () => {
    const cluster = await sampleCluster();
    const [database] = SAMPLE_CLUSTER.databasePods;
    const calls: string[][] = [];
    cluster.onExec(({ argv }) => {
      calls.push([...argv]);
      return { exitCode: 0, stdout: "CHECKPOINT\n", stderr: "" };
    }, { namespace: database!.namespace, pod: database!.name, container: database!.container });
    await cluster.waitForContainer(database!, database!.container, { condition: "ready", timeoutInMs: 1000 });
    const result = await cluster.exec(database!, database!.container, ["psql", "-c", "CHECKPOINT"]);
    expect(result).toEqual({ exitCode: 0, stdout: "CHECKPOINT\n", stderr: "" });
    expect(calls).toEqual([["psql", "-c", "CHECKPOINT"]]);
  });

  it("takes latency on the clock it is given", async () => {
    const clock = new ManualClock();
    const cluster = await sampleCluster({ clock, latencyInMs: 250 });
    let done = false;
    const reading = cluster.get(PODS, "postgres-0", { namespace: "shop" }).then((pod) => {
      done = true;
      return pod;
    });
    await clock.untilSleeping();
    await clock.advance(249);
    expect(done).toBe(false);
    await clock.advance(1);
    expect((await reading)?.metadata.name).toBe("postgres-0");
  });
});

describe("syntheticCluster", () => {
  it("loads the requested objects across the requested namespaces, about the requested size", async () => {
    const cluster = syntheticCluster({ objects: 3000, namespaces: 12, objectSizeInBytes: 1500, seed: 7 });
    const listed = (await everything(cluster)).map(({ object }) => object);
    const namespaces = listed.filter((object) => object.kind === "Namespace");
    const namespaced = listed.filter((object) => object.metadata.namespace !== undefined);
    expect(namespaces).toHaveLength(12);
    expect(namespaced).toHaveLength(3000);
    expect(new Set(namespaced.map((object) => object.metadata.namespace)).size).toBe(12);
    for (const object of listed) expect(object.metadata.labels?.[SYNTHETIC_LABEL]).toBe("true");
    const average = namespaced.reduce((sum, object) => sum + JSON.stringify(object).length, 0) / namespaced.length;
    expect(Math.abs(average - 1500) / 1500).toBeLessThan(0.1);
  });

  it("names itself after the options", () => {
    expect(syntheticCluster({ objects: 1, namespaces: 1 }).identity).toEqual({ name: "synthetic" });
    expect(syntheticCluster({ objects: 1, namespaces: 1, identity: { name: "bench" } }).identity).toEqual({ name: "bench" });
  });
});
