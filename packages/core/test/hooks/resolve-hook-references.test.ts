import { describe, expect, it } from "vitest";
import { BACKUP_HOOKS_RESOURCE, KBackupError, RESTORE_HOOKS_RESOURCE, isKBackupError, resolveHookReferences, type KubeObject } from "@kbackup/core";
import { FakeCluster } from "./fake-cluster.js";

const backupHook = (namespace: string, name: string, command = ["freeze"]): KubeObject => ({
  apiVersion: "clusterbackup.dataprotection.microsoft.com/v1alpha1",
  kind: "BackupHook",
  metadata: { namespace, name },
  spec: { backupHook: [{ name: "h", preHooks: [{ exec: { command } }] }] },
});

describe("resolveHookReferences", () => {
  it("reads and parses the referenced resources, in order, each once", async () => {
    const cluster = new FakeCluster();
    cluster.put(BACKUP_HOOKS_RESOURCE, backupHook("shop", "db-hooks"));
    cluster.put(BACKUP_HOOKS_RESOURCE, backupHook("crm", "other", ["sync"]));
    const resolved = await resolveHookReferences(
      cluster,
      [
        { name: "other", namespace: "crm" },
        { name: "db-hooks", namespace: "shop" },
        { name: "other", namespace: "crm" },
      ],
      "BackupHook",
    );
    expect(resolved.map((resource) => `${resource.namespace}/${resource.name}:${resource.backupHook[0]?.preHooks[0]?.command[0]}`)).toEqual(["crm/other:sync", "shop/db-hooks:freeze"]);
    expect(cluster.getCalls[0]).toEqual({
      resource: { group: "clusterbackup.dataprotection.microsoft.com", version: "v1alpha1", resource: "backuphooks" },
      name: "other",
      namespace: "crm",
    });
  });

  it("reads RestoreHooks from restorehooks", async () => {
    const cluster = new FakeCluster();
    cluster.put(RESTORE_HOOKS_RESOURCE, {
      apiVersion: "clusterbackup.dataprotection.microsoft.com/v1alpha1",
      kind: "RestoreHook",
      metadata: { namespace: "ops", name: "after" },
      spec: { restoreHook: [{ name: "r", postHooks: [{ exec: { command: ["warm"], waitTimeout: "2m" } }] }] },
    });
    const [resolved] = await resolveHookReferences(cluster, [{ name: "after", namespace: "ops" }], "RestoreHook");
    expect(resolved?.restoreHook[0]?.postHooks[0]).toEqual({ command: ["warm"], onError: "Continue", waitTimeoutInMs: 120_000 });
    expect(cluster.getCalls[0]?.resource.resource).toBe("restorehooks");
  });

  it("fails with NotFound naming a missing reference", async () => {
    const cluster = new FakeCluster();
    cluster.put(BACKUP_HOOKS_RESOURCE, backupHook("shop", "db-hooks"));
    const error = await resolveHookReferences(cluster, [{ name: "db-hooks", namespace: "shop" }, { name: "gone", namespace: "shop" }], "BackupHook").catch((caught: unknown) => caught);
    expect(isKBackupError(error, "NotFound")).toBe(true);
    expect((error as Error).message).toBe('BackupHook shop/gone not found in cluster "fake"');
  });

  it("fails with NotFound when the cluster does not serve the hook resources", async () => {
    const cluster = new FakeCluster();
    cluster.get = async () => {
      throw new KBackupError("NotFound", "the server could not find the requested resource");
    };
    const error = await resolveHookReferences(cluster, [{ name: "after", namespace: "ops" }], "RestoreHook").catch((caught: unknown) => caught);
    expect(isKBackupError(error, "NotFound")).toBe(true);
    expect((error as Error).message).toMatch(/^RestoreHook ops\/after not found/);
  });

  it("passes on a malformed resource's InvalidArgument", async () => {
    const cluster = new FakeCluster();
    cluster.put(BACKUP_HOOKS_RESOURCE, backupHook("shop", "db-hooks", []));
    const error = await resolveHookReferences(cluster, [{ name: "db-hooks", namespace: "shop" }], "BackupHook").catch((caught: unknown) => caught);
    expect(isKBackupError(error, "InvalidArgument")).toBe(true);
    expect((error as Error).message).toMatch(/^BackupHook shop\/db-hooks: spec\.backupHook\[0\]\.preHooks\[0\]\.exec\.command: in hook "h": /);
  });

  it.each([
    [[{ name: "Bad_Name", namespace: "shop" }], "backupHookReferences[0].name"],
    [[{ name: "ok", namespace: "shop" }, { name: "ok" }], "backupHookReferences[1].namespace"],
  ])("refuses a malformed reference before reading anything", async (refs, field) => {
    const cluster = new FakeCluster();
    const error = await resolveHookReferences(cluster, refs as never, "BackupHook").catch((caught: unknown) => caught);
    expect(isKBackupError(error, "InvalidArgument")).toBe(true);
    expect((error as { field?: string }).field).toBe(field);
    expect(cluster.getCalls).toEqual([]);
  });
});
