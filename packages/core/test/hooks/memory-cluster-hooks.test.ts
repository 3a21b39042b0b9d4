import { describe, expect, it } from "vitest";
import { MemoryCluster } from "@kbackup/adapter-memory";
import {
  collect,
  isKBackupError,
  planBackupHooks,
  resolveHookReferences,
  runRestoreHooks,
  withBackupHooks,
  type KubeObject,
} from "@kbackup/core";
import { pod } from "./fake-cluster.js";

const GROUP = "clusterbackup.dataprotection.microsoft.com";
const PODS = { group: "", version: "v1", resource: "pods" };

function hookCrd(plural: string, kind: string): KubeObject {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${plural}.${GROUP}` },
    spec: {
      group: GROUP,
      names: { plural, singular: kind.toLowerCase(), kind },
      scope: "Namespaced",
      versions: [{ name: "v1alpha1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } } }],
    },
  };
}

const namespace = (name: string): KubeObject => ({ apiVersion: "v1", kind: "Namespace", metadata: { name } });

/** A pod as a user would apply it: no status, so the cluster starts it. */
function freshPod(ns: string, name: string, labels: Record<string, string>, annotations?: Record<string, string>): KubeObject {
  const created = pod(ns, name, { labels, containers: ["postgres", "exporter"], ...(annotations ? { annotations } : {}) });
  delete created.status;
  return created;
}

const dbBackupHook: KubeObject = {
  apiVersion: `${GROUP}/v1alpha1`,
  kind: "BackupHook",
  metadata: { name: "db-hooks", namespace: "shop" },
  spec: {
    backupHook: [
      {
        name: "pg-freeze",
        includedNamespaces: ["shop"],
        labelSelector: { matchLabels: { app: "db" } },
        preHooks: [{ exec: { container: "postgres", command: ["/sbin/fsfreeze", "--freeze", "/var/lib/postgresql/data"], onError: "Fail", timeout: "10s" } }],
        postHooks: [{ exec: { container: "postgres", command: ["/sbin/fsfreeze", "--unfreeze", "/var/lib/postgresql/data"], onError: "Fail", timeout: "10s" } }],
      },
    ],
  },
};

const reindexRestoreHook: KubeObject = {
  apiVersion: `${GROUP}/v1alpha1`,
  kind: "RestoreHook",
  metadata: { name: "after-restore", namespace: "shop" },
  spec: {
    restoreHook: [
      {
        name: "reindex",
        includedNamespaces: ["shop-restored"],
        labelSelector: { matchLabels: { app: "db" } },
        postHooks: [{ exec: { container: "postgres", command: ["reindexdb", "--all"], onError: "Fail", execTimeout: "30s", waitTimeout: "200ms" } }],
      },
    ],
  },
};

function clusterWithHooks(options: ConstructorParameters<typeof MemoryCluster>[0] = {}): MemoryCluster {
  const cluster = new MemoryCluster(options);
  cluster.load([
    namespace("shop"),
    namespace("shop-restored"),
    hookCrd("backuphooks", "BackupHook"),
    hookCrd("restorehooks", "RestoreHook"),
    dbBackupHook,
    reindexRestoreHook,
  ]);
  return cluster;
}

describe("hooks on a MemoryCluster", () => {
  it("freezes the database pods, snapshots, then thaws, skipping a pod that is not running", async () => {
    const cluster = clusterWithHooks();
    cluster.load([freshPod("shop", "db-0", { app: "db" }), freshPod("shop", "db-1", { app: "db" }), freshPod("shop", "web-0", { app: "web" })]);
    cluster.setPodState({ namespace: "shop", name: "db-1" }, { phase: "Pending" });
    const events: string[] = [];
    cluster.onExec(({ pod: target, container, argv }) => {
      events.push(`${target.metadata.name}/${container}: ${argv.join(" ")}`);
      return { exitCode: 0, stdout: argv[1] === "--freeze" ? "frozen" : "thawed", stderr: "" };
    });

    const hooks = await resolveHookReferences(cluster, [{ name: "db-hooks", namespace: "shop" }], "BackupHook");
    const pods = await collect(cluster.list(PODS, { namespace: "shop" }));
    const outcome = await withBackupHooks(cluster, planBackupHooks(hooks, pods), async () => {
      events.push("snapshot");
      return "done";
    });

    expect(events).toEqual([
      "db-0/postgres: /sbin/fsfreeze --freeze /var/lib/postgresql/data",
      "snapshot",
      "db-0/postgres: /sbin/fsfreeze --unfreeze /var/lib/postgresql/data",
    ]);
    expect(outcome.snapshotTaken).toBe(true);
    expect(outcome.failures).toEqual([]);
    // Pods run in parallel: records of different pods may interleave.
    const byPod = (name: string) => outcome.hookResults.filter((record) => record.pod.name === name).map((record) => [record.phase, record.outcome, record.stdoutTail]);
    expect(byPod("db-0")).toEqual([
      ["pre", "Succeeded", "frozen"],
      ["post", "Succeeded", "thawed"],
    ]);
    expect(byPod("db-1")).toEqual([
      ["pre", "Skipped", ""],
      ["post", "Skipped", ""],
    ]);
    expect(byPod("web-0")).toEqual([]);
    expect(outcome.warnings).toHaveLength(2);
  });

  it("does not snapshot when the freeze fails, and thaws", async () => {
    const cluster = clusterWithHooks();
    cluster.load([freshPod("shop", "db-0", { app: "db" })]);
    const events: string[] = [];
    cluster.onExec(({ argv }) => {
      events.push(argv[1] ?? "");
      return argv[1] === "--freeze" ? { exitCode: 1, stdout: "", stderr: "fsfreeze: cannot open /var/lib/postgresql/data" } : { exitCode: 0, stdout: "", stderr: "" };
    });
    const hooks = await resolveHookReferences(cluster, [{ name: "db-hooks", namespace: "shop" }], "BackupHook");
    const outcome = await withBackupHooks(cluster, planBackupHooks(hooks, await collect(cluster.list(PODS, { namespace: "shop" }))), async () => {
      events.push("snapshot");
    });
    expect(events).toEqual(["--freeze", "--unfreeze"]);
    expect(outcome.snapshotTaken).toBe(false);
    expect(outcome.failures).toEqual([expect.objectContaining({ hookName: "pg-freeze", exitCode: 1, stderrTail: "fsfreeze: cannot open /var/lib/postgresql/data" })]);
  });

  it("times out a hanging freeze through the exec's abort signal", async () => {
    const cluster = clusterWithHooks();
    cluster.load([freshPod("shop", "db-0", { app: "db" }, { "pre.hook.backup.velero.io/command": '["pg_ctl", "checkpoint"]', "pre.hook.backup.velero.io/timeout": "30ms" })]);
    let aborted = false;
    const thawed: string[] = [];
    cluster.onExec(({ argv, abortSignal }) => {
      if (argv[0] !== "pg_ctl") {
        thawed.push(argv.join(" "));
        return { exitCode: 0, stdout: "", stderr: "" };
      }
      return new Promise((_, reject) => {
        abortSignal.addEventListener("abort", () => {
          aborted = true;
          reject(new Error("killed"));
        });
      });
    });
    const hooks = await resolveHookReferences(cluster, [{ name: "db-hooks", namespace: "shop" }], "BackupHook");
    const plan = planBackupHooks(hooks, await collect(cluster.list(PODS, { namespace: "shop" })));
    expect(plan[0]?.pre[0]?.hookSource).toBe("annotation");
    const outcome = await withBackupHooks(cluster, plan, async () => undefined);
    expect(aborted).toBe(true);
    expect(outcome.failures.map((record) => [record.hookName, record.outcome])).toEqual([["pre.hook.backup.velero.io", "TimedOut"]]);
    expect(thawed).toEqual(["/sbin/fsfreeze --unfreeze /var/lib/postgresql/data"]);
  });

  it("runs restore hooks in the pods the restore created once they run, and times out one that never does", async () => {
    const cluster = clusterWithHooks({ podStartupDelayInMs: 20 });
    const existing = freshPod("shop-restored", "db-old", { app: "db" });
    cluster.load([existing]);
    const created = [
      await cluster.create(PODS, freshPod("shop-restored", "db-0", { app: "db" })),
      await cluster.create(PODS, freshPod("shop-restored", "db-1", { app: "db" })),
    ];
    cluster.setPodState({ namespace: "shop-restored", name: "db-1" }, { phase: "Pending" });
    const ran: string[] = [];
    cluster.onExec(({ pod: target, argv }) => {
      ran.push(`${target.metadata.name}: ${argv.join(" ")}`);
      return { exitCode: 0, stdout: "", stderr: "" };
    });
    const hooks = await resolveHookReferences(cluster, [{ name: "after-restore", namespace: "shop" }], "RestoreHook");
    const outcome = await runRestoreHooks(cluster, hooks, created);
    expect(ran).toEqual(["db-0: reindexdb --all"]);
    expect(outcome.hookResults.map((record) => [record.pod.name, record.phase, record.outcome])).toEqual(
      expect.arrayContaining([
        ["db-0", "restore", "Succeeded"],
        ["db-1", "restore", "TimedOut"],
      ]),
    );
    expect(outcome.failures).toEqual([expect.objectContaining({ pod: { namespace: "shop-restored", name: "db-1" }, reason: 'container "postgres" was not running within the wait timeout of 200ms' })]);
  });

  it("fails before doing anything when a reference is missing or the hook resources are not served", async () => {
    const cluster = clusterWithHooks();
    const missing = await resolveHookReferences(cluster, [{ name: "nope", namespace: "shop" }], "BackupHook").catch((caught: unknown) => caught);
    expect(isKBackupError(missing, "NotFound")).toBe(true);
    expect((missing as Error).message).toBe('BackupHook shop/nope not found in cluster "memory"');

    const bare = new MemoryCluster();
    const unserved = await resolveHookReferences(bare, [{ name: "after-restore", namespace: "shop" }], "RestoreHook").catch((caught: unknown) => caught);
    expect(isKBackupError(unserved, "NotFound")).toBe(true);
    expect((unserved as Error).message).toMatch(/^RestoreHook shop\/after-restore not found/);
  });
});
