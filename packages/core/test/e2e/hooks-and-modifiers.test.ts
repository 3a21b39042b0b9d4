import { describe, expect, it } from "vitest";
import { collect, type KubeObject } from "@kbackup/core";
import { MemoryCluster } from "@kbackup/adapter-memory";
import { hookCustomResourceDefinitions } from "@kbackup/testing";
import { CONFIGMAPS, DEPLOYMENTS, PVCS, backupOk, outcomeOf, protectSample, results } from "./helpers.js";

const CRDS = { group: "apiextensions.k8s.io", version: "v1", resource: "customresourcedefinitions" };
const BACKUP_HOOKS = { group: "clusterbackup.dataprotection.microsoft.com", version: "v1alpha1", resource: "backuphooks" };
const RESTORE_HOOKS = { group: "clusterbackup.dataprotection.microsoft.com", version: "v1alpha1", resource: "restorehooks" };

async function installHookCrds(cluster: MemoryCluster): Promise<void> {
  for (const crd of hookCustomResourceDefinitions()) await cluster.create(CRDS, crd);
}

const freezeHook = (onError: "Fail" | "Continue"): KubeObject => ({
  apiVersion: "clusterbackup.dataprotection.microsoft.com/v1alpha1",
  kind: "BackupHook",
  metadata: { name: "db-hooks", namespace: "shop" },
  spec: {
    backupHook: [
      {
        name: "pg-freeze",
        includedNamespaces: ["shop"],
        labelSelector: { matchLabels: { role: "database" } },
        preHooks: [{ exec: { container: "postgres", command: ["fsfreeze", "--freeze", "/var/lib/postgresql/data"], onError, timeout: "5s" } }],
        postHooks: [{ exec: { container: "postgres", command: ["fsfreeze", "--unfreeze", "/var/lib/postgresql/data"], onError: "Continue", timeout: "5s" } }],
      },
    ],
  },
});

describe("backup hooks through the vault", () => {
  it("freezes the database before its volume is snapshotted and thaws it right after", async () => {
    const setup = await protectSample({ includedNamespaces: ["shop"], backupHookReferences: [{ name: "db-hooks", namespace: "shop" }] }, undefined, {
      prepare: async (source) => {
        await installHookCrds(source);
        await source.create(BACKUP_HOOKS, freezeHook("Fail"));
      },
    });
    const events: string[] = [];
    setup.source.onExec((call) => {
      events.push(`${call.argv[1]} with ${setup.provider.listSnapshots().length} snapshots`);
      return { exitCode: 0, stdout: "ok", stderr: "" };
    }, { namespace: "shop", container: "postgres" });
    const job = await backupOk(setup.instance);
    expect(events).toEqual(["--freeze with 0 snapshots", "--unfreeze with 1 snapshots"]);
    const records = job.extendedInfo.hookResults as Array<{ hookName: string; outcome: string; phase: string; pod: { name: string } }>;
    expect(records.map((record) => `${record.phase} ${record.hookName} ${record.pod.name} ${record.outcome}`)).toEqual(["pre pg-freeze postgres-0 Succeeded", "post pg-freeze postgres-0 Succeeded"]);
  });

  it("fails the backup with no recovery point when a Fail pre hook fails, and still thaws", async () => {
    const setup = await protectSample({ includedNamespaces: ["shop"], backupHookReferences: [{ name: "db-hooks", namespace: "shop" }] }, undefined, {
      prepare: async (source) => {
        await installHookCrds(source);
        await source.create(BACKUP_HOOKS, freezeHook("Fail"));
      },
    });
    const calls: string[] = [];
    setup.source.onExec((call) => {
      calls.push(call.argv[1]!);
      return call.argv[1] === "--freeze" ? { exitCode: 1, stdout: "", stderr: "device busy" } : { exitCode: 0, stdout: "", stderr: "" };
    });
    const job = await setup.instance.backupNow();
    expect(job.status).toBe("Failed");
    expect(job.errorDetails?.[0]?.message).toMatch(/pg-freeze.*postgres-0/);
    expect(calls).toEqual(["--freeze", "--unfreeze"]);
    expect(setup.provider.listSnapshots()).toEqual([]);
    expect(await collect(setup.instance.listRecoveryPoints())).toEqual([]);
  });

  it("records a Continue pre hook's failure as a warning and completes", async () => {
    const setup = await protectSample({ includedNamespaces: ["shop"], backupHookReferences: [{ name: "db-hooks", namespace: "shop" }] }, undefined, {
      prepare: async (source) => {
        await installHookCrds(source);
        await source.create(BACKUP_HOOKS, freezeHook("Continue"));
      },
    });
    setup.source.onExec((call) => (call.argv[1] === "--freeze" ? { exitCode: 3, stdout: "", stderr: "no" } : { exitCode: 0, stdout: "", stderr: "" }));
    const job = await setup.instance.backupNow();
    expect(job.status).toBe("CompletedWithWarnings");
    expect(setup.provider.listSnapshots()).toHaveLength(1);
  });

  it("fails at once when a referenced hook does not exist", async () => {
    // The preflight checks rightly refuse the missing hook; this is about what the backup then does.
    const setup = await protectSample({ includedNamespaces: ["shop"], backupHookReferences: [{ name: "missing", namespace: "shop" }] }, undefined, { skipValidation: true });
    const job = await setup.instance.backupNow();
    expect(job.status).toBe("Failed");
    expect(job.errorDetails?.[0]?.code).toBe("NotFound");
    expect(await collect(setup.store.list(""))).toEqual([]);
  });
});

describe("restore hooks and resource modifiers through the vault", () => {
  const restoreHook: KubeObject = {
    apiVersion: "clusterbackup.dataprotection.microsoft.com/v1alpha1",
    kind: "RestoreHook",
    metadata: { name: "warm", namespace: "default" },
    spec: { restoreHook: [{ name: "warm-cache", labelSelector: { matchLabels: { "app.kubernetes.io/name": "web" } }, postHooks: [{ exec: { command: ["/app/warm"], waitTimeout: "5s", execTimeout: "5s" } }] }] },
  };

  it("runs restore hooks only in pods the restore created: a mapped namespace, not the one in place", async () => {
    const setup = await protectSample({ includedNamespaces: ["shop"] });
    const id = (await backupOk(setup.instance)).extendedInfo.recoveryPointId!;
    await installHookCrds(setup.source);
    await setup.source.create(RESTORE_HOOKS, restoreHook);
    const ran: string[] = [];
    setup.source.onExec((call) => {
      ran.push(`${call.pod.metadata.namespace}/${call.pod.metadata.name}`);
      return { exitCode: 0, stdout: "", stderr: "" };
    });
    const inPlace = await setup.instance.restore(id, { restoreHookReferences: [{ name: "warm", namespace: "default" }] });
    expect(inPlace.status).toBe("Completed");
    expect(ran).toEqual([]);
    const mapped = await setup.instance.restore(id, { namespaceMappings: { shop: "shop-copy" }, persistentVolumeRestoreMode: "RestoreWithoutVolumeData", restoreHookReferences: [{ name: "warm", namespace: "default" }] });
    expect(mapped.errorDetails ?? []).toEqual([]);
    expect(ran.length).toBeGreaterThan(0);
    expect(ran.every((pod) => pod.startsWith("shop-copy/web-"))).toBe(true);
    expect((mapped.extendedInfo.hookResults as unknown[]).length).toBe(ran.length);
  });

  it("applies a modifier ConfigMap from the target; a rule that fails on an item is a warning and the item is still restored", async () => {
    const setup = await protectSample({ includedNamespaces: ["shop"] });
    const id = (await backupOk(setup.instance)).extendedInfo.recoveryPointId!;
    const target = new MemoryCluster({ identity: { name: "dev" } });
    await target.create({ group: "", version: "v1", resource: "namespaces" }, { apiVersion: "v1", kind: "Namespace", metadata: { name: "kbackup" } });
    const rules = [
      "version: v1",
      "resourceModifierRules:",
      "- conditions:",
      "    groupResource: deployments.apps",
      "    resourceNameRegex: '^web$'",
      "    namespaces: [shop]",
      "  patches:",
      "  - operation: replace",
      "    path: /spec/replicas",
      '    value: "1"',
      "- conditions:",
      "    groupResource: configmaps",
      "    namespaces: [shop]",
      "  patches:",
      "  - operation: remove",
      "    path: /data/does-not-exist",
      "- conditions:",
      "    groupResource: persistentvolumeclaims",
      "  mergePatches:",
      "  - patchData: |",
      "      spec:",
      "        storageClassName: managed-csi-premium",
    ].join("\n");
    await target.create(CONFIGMAPS, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "dev-rules", namespace: "kbackup" }, data: { "rules.yaml": rules } });
    const job = await setup.instance.restore(
      id,
      { namespaceMappings: { shop: "shop-dev" }, persistentVolumeRestoreMode: "RestoreWithoutVolumeData", resourceModifierReference: { name: "dev-rules", namespace: "kbackup" } },
      { targetCluster: target },
    );
    expect(job.status).toBe("CompletedWithWarnings");
    const web = await target.get(DEPLOYMENTS, "web", { namespace: "shop-dev" });
    expect((web!.spec as { replicas: number }).replicas).toBe(1);
    const [claim] = await collect(target.list(PVCS, { namespace: "shop-dev" }));
    expect((claim!.spec as { storageClassName: string }).storageClassName).toBe("managed-csi-premium");
    const maps = results(job).filter((item) => item.kind === "ConfigMap" && item.namespace === "shop-dev");
    expect(maps.length).toBeGreaterThan(0);
    expect(maps.every((item) => item.outcome === "Created" && (item.warnings ?? []).some((warning) => /resourceModifierRules\[1\]/.test(warning)))).toBe(true);
    expect(job.warningDetails?.some((warning) => warning.code === "ResourceModifierError")).toBe(true);
    expect(outcomeOf(job, "Deployment", "web", "shop-dev")?.appliedRules).toEqual([0]);
  });

  it("fails before writing anything when the modifier ConfigMap is missing or malformed", async () => {
    const setup = await protectSample({ includedNamespaces: ["shop"] });
    const id = (await backupOk(setup.instance)).extendedInfo.recoveryPointId!;
    const target = new MemoryCluster({ identity: { name: "dev" } });
    // The preflight checks rightly refuse both restores; this is about what the restore then does.
    const missing = await setup.instance.restore(id, { resourceModifierReference: { name: "nope", namespace: "default" } }, { targetCluster: target, skipValidation: true });
    expect(missing.status).toBe("Failed");
    expect(missing.errorDetails?.[0]?.code).toBe("NotFound");
    await target.create({ group: "", version: "v1", resource: "namespaces" }, { apiVersion: "v1", kind: "Namespace", metadata: { name: "kbackup" } });
    await target.create(CONFIGMAPS, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "bad", namespace: "kbackup" }, data: { "rules.yaml": "version: v2\nresourceModifierRules: []\n" } });
    const malformed = await setup.instance.restore(id, { resourceModifierReference: { name: "bad", namespace: "kbackup" } }, { targetCluster: target, skipValidation: true });
    expect(malformed.status).toBe("Failed");
    expect(malformed.errorDetails?.[0]?.code).toBe("InvalidArgument");
    expect((await collect(target.list({ group: "", version: "v1", resource: "namespaces" }))).map((ns) => ns.metadata.name)).toEqual(["kbackup"]);
  });
});
