import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BackupVault, collect, type BackupJob, type KubeObject } from "@kbackup/core";
import { MemoryCluster, MemoryObjectStore, type ExecCall } from "@kbackup/adapter-memory";
import { CsiSnapshotProvider, KubernetesCluster } from "@kbackup/adapter-kubernetes";
import { LocalSnapshotStorage, SAMPLE_CLUSTER, sampleCluster, sampleVolumeBytes, startLocalApiServer, type LocalApiServer } from "@kbackup/testing";
import { ensureKubectl, kubectl, kubectlJson } from "./kubectl.js";

// A backup of the sample cluster through one local API server, restored through a second one
// that serves an empty cluster: every call of the engines goes over HTTP, through the Kubernetes
// client, to servers that kubectl also talks to. The two servers share their snapshot storage,
// as two clusters in one Azure subscription share the disk snapshots.
const HOOKS_GROUP = "clusterbackup.dataprotection.microsoft.com";
const PVS = { group: "", version: "v1", resource: "persistentvolumes" };

let source: LocalApiServer;
let target: LocalApiServer;
let targetCluster: MemoryCluster;
let directory: string;
const clients: KubernetesCluster[] = [];
const hookCalls: ExecCall[] = [];
let backup: BackupJob;
let restore: BackupJob;

/** What the target holds before the restore: the modifier rules, the RestoreHook CRD and a RestoreHook. */
const targetSetup: KubeObject[] = [
  { apiVersion: "v1", kind: "Namespace", metadata: { name: "kbackup" } },
  {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "restore-modifiers", namespace: "kbackup" },
    data: {
      // JSON is YAML too.
      "rules.yaml": JSON.stringify({
        version: "v1",
        resourceModifierRules: [
          {
            conditions: { groupResource: "deployments.apps", namespaces: ["shop"] },
            patches: [{ operation: "add", path: "/metadata/labels/restored-to", value: "aks-target" }],
          },
          {
            conditions: { groupResource: "configmaps", resourceNameRegex: "^web-config$", namespaces: ["shop"] },
            mergePatches: [{ patchData: JSON.stringify({ data: { environment: "restored" } }) }],
          },
        ],
      }),
    },
  },
  {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `restorehooks.${HOOKS_GROUP}` },
    spec: {
      group: HOOKS_GROUP,
      names: { plural: "restorehooks", singular: "restorehook", kind: "RestoreHook" },
      scope: "Namespaced",
      versions: [{ name: "v1alpha1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } } }],
    },
  },
];

const restoreHook: KubeObject = {
  apiVersion: `${HOOKS_GROUP}/v1alpha1`,
  kind: "RestoreHook",
  metadata: { name: "after-restore", namespace: "kbackup" },
  spec: {
    restoreHook: [
      {
        name: "check-database",
        includedNamespaces: ["shop"],
        labelSelector: { matchLabels: { role: "database" } },
        postHooks: [{ exec: { container: "postgres", command: ["pg_isready", "-h", "localhost"], onError: "Fail", execTimeout: "10s", waitTimeout: "10s" } }],
      },
    ],
  },
};

async function apply(server: LocalApiServer, objects: KubeObject[], file: string): Promise<string> {
  const path = join(directory, file);
  // A stream of JSON objects, which kubectl reads one by one.
  await writeFile(path, objects.map((object) => JSON.stringify(object)).join("\n"));
  return kubectl(server.kubeconfigPath, "apply", "-f", path);
}

beforeAll(async () => {
  ensureKubectl();
  directory = await mkdtemp(join(tmpdir(), "kbackup-e2e-"));
  const storage = new LocalSnapshotStorage();
  source = await startLocalApiServer({ cluster: await sampleCluster(), snapshotStorage: storage });
  targetCluster = new MemoryCluster({ identity: { name: "aks-target" } });
  targetCluster.onExec((call) => {
    hookCalls.push(call);
    return { exitCode: 0, stdout: "localhost:5432 - accepting connections\n", stderr: "" };
  }, { container: "postgres" });
  target = await startLocalApiServer({ cluster: targetCluster, snapshotStorage: storage, contextName: "aks-target" });
  // The CRD first: kubectl maps a kind to its resource through discovery.
  await apply(target, targetSetup, "setup.json");
  await apply(target, [restoreHook], "hook.json");

  const sourceClient = new KubernetesCluster({ kubeConfig: { path: source.kubeconfigPath } });
  const targetClient = new KubernetesCluster({ kubeConfig: { path: target.kubeconfigPath } });
  clients.push(sourceClient, targetClient);
  const vault = new BackupVault({ name: "e2e", abandonAfterInMs: 0 });
  const instance = await vault.protect({
    name: "sample",
    cluster: sourceClient,
    snapshotProvider: new CsiSnapshotProvider(sourceClient),
    operationalStore: new MemoryObjectStore(),
    datasourceParameters: { includedNamespaces: ["shop", "analytics"] },
  });
  backup = await instance.backupNow();
  restore = await instance.restore(
    backup.extendedInfo.recoveryPointId as string,
    { restoreHookReferences: [{ namespace: "kbackup", name: "after-restore" }], resourceModifierReference: { namespace: "kbackup", name: "restore-modifiers" } },
    { targetCluster: targetClient, targetSnapshotProvider: new CsiSnapshotProvider(targetClient, { workNamespace: "kbackup" }) },
  );
}, 60_000);

afterAll(async () => {
  for (const client of clients) client.close();
  await source?.stop();
  await target?.stop();
  if (directory !== undefined) await rm(directory, { recursive: true, force: true });
});

describe("backup through the Kubernetes API", () => {
  it("completes, snapshotting the Azure Disk volume with CSI and skipping Azure Files for want of a class", () => {
    expect(backup.errorDetails ?? []).toEqual([]);
    expect(backup.status).toBe("CompletedWithWarnings");
    expect(backup.extendedInfo.counts?.volumeSnapshots).toBe(1);
    expect(backup.warningDetails?.some((warning) => /file\.csi\.azure\.com/.test(warning.message) && /VolumeSnapshotClass/.test(warning.message))).toBe(true);
  });

  it("leaves a ready VolumeSnapshot of the claim in the source, labelled so that no backup takes it", async () => {
    const snapshots = await kubectlJson<{ items: KubeObject[] }>(source.kubeconfigPath, "get", "volumesnapshots", "-n", "shop");
    expect(snapshots.items).toHaveLength(1);
    const [snapshot] = snapshots.items as [KubeObject];
    expect(snapshot["spec"]).toMatchObject({ source: { persistentVolumeClaimName: "data-postgres-0" }, volumeSnapshotClassName: "csi-azuredisk-vsc" });
    expect(snapshot["status"]).toMatchObject({ readyToUse: true });
    expect(snapshot.metadata.labels?.["kbackup.io/exclude-from-backup"]).toBe("true");
  });
});

describe("restore through the Kubernetes API into another cluster", () => {
  it("completes without errors, with the restore hook run", () => {
    expect(restore.errorDetails ?? []).toEqual([]);
    expect(["Completed", "CompletedWithWarnings"]).toContain(restore.status);
    expect(restore.extendedInfo.counts?.volumesRestored).toBe(1);
  });

  it("restores the namespaces' objects, as kubectl sees them", async () => {
    const names = async (server: LocalApiServer, resource: string, namespace: string) =>
      (await kubectlJson<{ items: KubeObject[] }>(server.kubeconfigPath, "get", resource, "-n", namespace)).items.map((item) => item.metadata.name).sort();
    for (const [resource, namespace] of [["configmaps", "shop"], ["secrets", "shop"], ["deployments", "shop"], ["statefulsets", "shop"], ["services", "shop"], ["cronjobs", "analytics"], ["widgets", "analytics"]] as const) {
      const restored = await names(target, resource, namespace);
      expect(restored.length, `${resource} in ${namespace}`).toBeGreaterThan(0);
      expect(restored, `${resource} in ${namespace}`).toEqual(await names(source, resource, namespace));
    }
  });

  it("applies the resource modifiers read from the target's ConfigMap", async () => {
    const deployments = await kubectlJson<{ items: KubeObject[] }>(target.kubeconfigPath, "get", "deployments", "-n", "shop");
    expect(deployments.items.length).toBeGreaterThan(0);
    for (const deployment of deployments.items) expect(deployment.metadata.labels?.["restored-to"]).toBe("aks-target");
    const config = await kubectlJson(target.kubeconfigPath, "get", "configmap", "web-config", "-n", "shop");
    expect((config["data"] as Record<string, string>)["environment"]).toBe("restored");
    const original = await kubectlJson(source.kubeconfigPath, "get", "configmap", "web-config", "-n", "shop");
    expect((original["data"] as Record<string, string>)["environment"]).not.toBe("restored");
  });

  it("binds the claim to a new disk that holds the snapshot's bytes", async () => {
    const claim = await kubectlJson(target.kubeconfigPath, "get", "pvc", "data-postgres-0", "-n", "shop");
    expect(claim["status"]).toMatchObject({ phase: "Bound" });
    const volumeName = (claim["spec"] as { volumeName: string }).volumeName;
    const volume = await kubectlJson(target.kubeconfigPath, "get", "pv", volumeName);
    const csi = (volume["spec"] as { csi: { driver: string; volumeHandle: string } }).csi;
    const original = SAMPLE_CLUSTER.persistentVolumes.find((candidate) => candidate.claim?.namespace === "shop" && candidate.driver === "disk.csi.azure.com");
    expect(original).toBeDefined();
    expect(csi.driver).toBe("disk.csi.azure.com");
    expect(csi.volumeHandle).not.toBe(original?.volumeHandle);
    const expected = sampleVolumeBytes(original?.volumeHandle as string, targetCluster.disks.sizeOf(csi.volumeHandle) as number);
    expect(Buffer.from(targetCluster.readVolume(csi.volumeHandle)).equals(Buffer.from(expected))).toBe(true);
    // Nothing of the temporary restore is left behind.
    expect(await collect(clients[1]!.list({ group: "", version: "v1", resource: "persistentvolumeclaims" }, { namespace: "kbackup" }))).toEqual([]);
    const volumes = await collect(clients[1]!.list(PVS));
    expect(volumes.map((pv) => (pv["spec"] as { claimRef?: { name?: string } }).claimRef?.name).sort()).toEqual(["data-postgres-0", "reports"]);
  });

  it("runs the restore hook over exec in the restored database pod", async () => {
    expect(hookCalls.map((call) => [call.pod.metadata.namespace, call.pod.metadata.name, call.container, call.argv])).toEqual([["shop", "postgres-0", "postgres", ["pg_isready", "-h", "localhost"]]]);
    expect(restore.extendedInfo.hookResults?.some((result) => JSON.stringify(result).includes("check-database"))).toBe(true);
    // kubectl reaches the same container over the same WebSocket exec.
    expect(await kubectl(target.kubeconfigPath, "exec", "-n", "shop", "postgres-0", "-c", "postgres", "--", "pg_isready")).toContain("accepting connections");
  });
});
