import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BackupVault, type BackupInstance } from "@kbackup/core";
import { MemoryCluster, MemoryObjectStore, MemorySnapshotProvider } from "@kbackup/adapter-memory";
import { KubernetesCluster } from "@kbackup/adapter-kubernetes";
import { sampleCluster, startLocalApiServer, type LocalApiServer } from "@kbackup/testing";
import { summary } from "./helpers.js";

const WITHOUT_DATA = { persistentVolumeRestoreMode: "RestoreWithoutVolumeData" } as const;

let server: LocalApiServer;
let admin: KubernetesCluster;
let reader: KubernetesCluster;
let instance: BackupInstance;
let id: string;

beforeAll(async () => {
  server = await startLocalApiServer({ cluster: new MemoryCluster({ identity: { name: "aks-target" } }), tokens: { "admin-token": "admin", "reader-token": "read-only" } });
  admin = new KubernetesCluster({ kubeConfig: { yaml: server.kubeConfigYamlFor("admin-token") } });
  reader = new KubernetesCluster({ kubeConfig: { yaml: server.kubeConfigYamlFor("reader-token") } });
  const source = await sampleCluster();
  const vault = new BackupVault({ name: "vault" });
  instance = await vault.protect({ name: "sample", cluster: source, snapshotProvider: new MemorySnapshotProvider(source), operationalStore: new MemoryObjectStore(), datasourceParameters: { includedNamespaces: ["shop"] } });
  id = (await instance.backupNow()).extendedInfo.recoveryPointId!;
});

afterAll(async () => {
  admin?.close();
  reader?.close();
  await server?.stop();
});

describe("KubernetesCluster.checkAccess", () => {
  it("asks the API server with SelfSubjectAccessReviews, in order", async () => {
    const checks = [
      { group: "", resource: "configmaps", verb: "get", namespace: "shop" },
      { group: "apps", resource: "deployments", verb: "create", namespace: "shop" },
      { group: "", resource: "pods", subresource: "exec", verb: "create", namespace: "shop" },
      { group: "", resource: "namespaces", verb: "list" },
    ];
    expect(await reader.checkAccess(checks)).toEqual([true, false, false, true]);
    expect(await admin.checkAccess(checks)).toEqual([true, true, true, true]);
    await expect(reader.checkAccess([{ group: "", resource: "", verb: "get" }])).rejects.toMatchObject({ code: "InvalidArgument", field: "checks[0].resource" });
  });

  it("makes a restore validation with a read-only token report the writes it lacks", async () => {
    const findings = await instance.validateRestore(id, WITHOUT_DATA, { targetCluster: reader });
    const missing = findings.filter((finding) => finding.code === "PermissionMissing");
    expect(missing.length).toBeGreaterThan(3);
    expect(missing.every((finding) => finding.severity === "Error" && /does not allow create on /.test(finding.message))).toBe(true);
    expect(missing.map((finding) => finding.target)).toEqual(expect.arrayContaining(["namespaces", "configmaps", "deployments.apps"]));
    expect(summary(findings).every((line) => line.startsWith("Error PermissionMissing"))).toBe(true);
    await expect(instance.restore(id, WITHOUT_DATA, { targetCluster: reader })).rejects.toMatchObject({ code: "PreconditionFailed" });
    expect(await instance.validateRestore(id, WITHOUT_DATA, { targetCluster: admin })).toEqual([]);
  });
});
