import { describe, expect, it } from "vitest";
import {
  isKBackupError,
  planBackupHooks,
  podHooksForClaim,
  withBackupHooks,
  type BackupHookResource,
  type HookExecutionRecord,
} from "@kbackup/core";
import { FakeCluster, pod, untilAborted } from "./fake-cluster.js";

/** Freeze and thaw hooks for the pods labelled app=db, as a database operator would write them. */
function dbHooks(freezeOnError: "Fail" | "Continue" = "Fail"): BackupHookResource {
  return {
    kind: "BackupHook",
    namespace: "shop",
    name: "db-hooks",
    backupHook: [
      {
        name: "pg",
        includedNamespaces: [],
        excludedNamespaces: [],
        labelSelector: { matchLabels: { app: "db" } },
        preHooks: [{ container: "postgres", command: ["fsfreeze", "--freeze", "/var/lib/postgresql/data"], onError: freezeOnError }],
        postHooks: [{ container: "postgres", command: ["fsfreeze", "--unfreeze", "/var/lib/postgresql/data"], onError: "Fail" }],
      },
    ],
  };
}

const dbPod = (name: string, claims: string[] = []) => pod("shop", name, { labels: { app: "db" }, containers: ["postgres"], claims });

/** A cluster whose databases refuse writes between freeze and thaw, and a snapshot step that checks it. */
function databaseCluster(failFreezeOf: string[] = []) {
  const cluster = new FakeCluster();
  const frozen = new Set<string>();
  cluster.execHandler = ({ pod: where, argv }) => {
    if (argv[1] === "--freeze") {
      if (failFreezeOf.includes(where)) return { exitCode: 1, stdout: "", stderr: "fsfreeze: device busy" };
      frozen.add(where);
    }
    if (argv[1] === "--unfreeze") frozen.delete(where);
    return { exitCode: 0, stdout: "", stderr: "" };
  };
  const snapshot = async () => {
    cluster.events.push(`snapshot (frozen: ${[...frozen].sort().join(",")})`);
    return "snap-1";
  };
  return { cluster, frozen, snapshot };
}

describe("withBackupHooks", () => {
  it("freezes, snapshots while frozen, then thaws", async () => {
    const { cluster, frozen, snapshot } = databaseCluster();
    const plan = planBackupHooks([dbHooks()], [dbPod("db-0")]);
    const outcome = await withBackupHooks(cluster, plan, snapshot);
    expect(cluster.events).toEqual([
      "exec shop/db-0 postgres fsfreeze --freeze /var/lib/postgresql/data",
      "snapshot (frozen: shop/db-0)",
      "exec shop/db-0 postgres fsfreeze --unfreeze /var/lib/postgresql/data",
    ]);
    expect(frozen.size).toBe(0);
    expect(outcome).toMatchObject({ snapshotTaken: true, snapshotResult: "snap-1", failures: [], warnings: [] });
    expect(outcome.hookResults.map((record) => [record.phase, record.outcome])).toEqual([
      ["pre", "Succeeded"],
      ["post", "Succeeded"],
    ]);
  });

  it("freezes every pod before the snapshot and thaws every one after it", async () => {
    const { cluster, snapshot } = databaseCluster();
    const pods = Array.from({ length: 5 }, (_, index) => dbPod(`db-${index}`));
    const outcome = await withBackupHooks(cluster, planBackupHooks([dbHooks()], pods), snapshot, { parallelism: 2 });
    const snapshotAt = cluster.events.findIndex((event) => event.startsWith("snapshot"));
    expect(cluster.events[snapshotAt]).toBe("snapshot (frozen: shop/db-0,shop/db-1,shop/db-2,shop/db-3,shop/db-4)");
    expect(cluster.events.slice(0, snapshotAt).every((event) => event.includes("--freeze"))).toBe(true);
    expect(cluster.events.slice(snapshotAt + 1).filter((event) => event.includes("--unfreeze"))).toHaveLength(5);
    expect(outcome.failures).toEqual([]);
  });

  it("runs no more than `parallelism` pods at once", async () => {
    const cluster = new FakeCluster();
    let running = 0;
    let most = 0;
    cluster.execHandler = async () => {
      running++;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 2));
      running--;
      return { exitCode: 0, stdout: "", stderr: "" };
    };
    const pods = Array.from({ length: 12 }, (_, index) => dbPod(`db-${index}`));
    await withBackupHooks(cluster, planBackupHooks([dbHooks()], pods), async () => undefined, { parallelism: 3 });
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(3);
    expect(cluster.execCalls).toHaveLength(24);
  });

  it("on a failed freeze with onError Fail: no snapshot, and the pods whose freeze ran are thawed", async () => {
    const { cluster, frozen, snapshot } = databaseCluster(["shop/db-1"]);
    const pods = [dbPod("db-0"), dbPod("db-1"), dbPod("db-2"), dbPod("db-3")];
    const outcome = await withBackupHooks(cluster, planBackupHooks([dbHooks()], pods), snapshot, { parallelism: 1 });
    expect(cluster.events).toEqual([
      "exec shop/db-0 postgres fsfreeze --freeze /var/lib/postgresql/data",
      "exec shop/db-1 postgres fsfreeze --freeze /var/lib/postgresql/data",
      "exec shop/db-0 postgres fsfreeze --unfreeze /var/lib/postgresql/data",
      "exec shop/db-1 postgres fsfreeze --unfreeze /var/lib/postgresql/data",
    ]);
    expect(frozen.size).toBe(0);
    expect(outcome.snapshotTaken).toBe(false);
    expect(outcome.snapshotResult).toBeUndefined();
    expect(outcome.failures).toEqual([expect.objectContaining({ phase: "pre", pod: { namespace: "shop", name: "db-1" }, outcome: "Failed", stderrTail: "fsfreeze: device busy" })]);
  });

  it("on a failed freeze with onError Continue: a warning, and the snapshot still runs", async () => {
    const { cluster, snapshot } = databaseCluster(["shop/db-0"]);
    const outcome = await withBackupHooks(cluster, planBackupHooks([dbHooks("Continue")], [dbPod("db-0"), dbPod("db-1")]), snapshot);
    expect(outcome.snapshotTaken).toBe(true);
    expect(outcome.failures).toEqual([]);
    expect(outcome.warnings).toEqual([expect.stringMatching(/hook "pg" \(pre\) in pod shop\/db-0, container "postgres" Failed: the command exited with code 1/)]);
    expect(cluster.events.filter((event) => event.includes("--unfreeze"))).toHaveLength(2);
  });

  it("reports a failed thaw with onError Fail, and still thaws the other pods", async () => {
    const cluster = new FakeCluster();
    cluster.execHandler = ({ pod: where, argv }) => ({ exitCode: where === "shop/db-0" && argv[1] === "--unfreeze" ? 2 : 0, stdout: "", stderr: "" });
    const outcome = await withBackupHooks(cluster, planBackupHooks([dbHooks()], [dbPod("db-0"), dbPod("db-1")]), async () => "snap", { parallelism: 1 });
    expect(outcome.snapshotTaken).toBe(true);
    expect(outcome.failures).toEqual([expect.objectContaining({ phase: "post", pod: { namespace: "shop", name: "db-0" }, exitCode: 2 })]);
    expect(cluster.events.filter((event) => event.includes("--unfreeze"))).toEqual([
      "exec shop/db-0 postgres fsfreeze --unfreeze /var/lib/postgresql/data",
      "exec shop/db-1 postgres fsfreeze --unfreeze /var/lib/postgresql/data",
    ]);
  });

  it("times out a freeze that hangs: the snapshot is not taken and the pod is thawed", async () => {
    const cluster = new FakeCluster();
    const hooks = dbHooks();
    hooks.backupHook[0]!.preHooks[0]!.timeoutInMs = 20;
    cluster.execHandler = ({ argv, options }) => (argv[1] === "--freeze" ? untilAborted(options.abortSignal) : { exitCode: 0, stdout: "", stderr: "" });
    let snapshots = 0;
    const outcome = await withBackupHooks(cluster, planBackupHooks([hooks], [dbPod("db-0")]), async () => snapshots++);
    expect(snapshots).toBe(0);
    expect(outcome.failures.map((record) => record.outcome)).toEqual(["TimedOut"]);
    expect(cluster.events.at(-1)).toBe("exec shop/db-0 postgres fsfreeze --unfreeze /var/lib/postgresql/data");
  });

  it("skips pods that are not running, with a warning, and takes the snapshot", async () => {
    const { cluster, snapshot } = databaseCluster();
    const pending = pod("shop", "db-9", { labels: { app: "db" }, containers: ["postgres"], phase: "Pending" });
    const outcome = await withBackupHooks(cluster, planBackupHooks([dbHooks()], [pending]), snapshot);
    expect(cluster.execCalls).toEqual([]);
    expect(outcome.snapshotTaken).toBe(true);
    expect(outcome.hookResults.map((record) => [record.phase, record.outcome])).toEqual([
      ["pre", "Skipped"],
      ["post", "Skipped"],
    ]);
    expect(outcome.warnings).toEqual([
      "pod shop/db-9: 1 pre hook(s) skipped: the pod is not running (phase Pending)",
      "pod shop/db-9: 1 post hook(s) skipped: the pod is not running (phase Pending)",
    ]);
  });

  it("thaws and rethrows when the snapshot step throws", async () => {
    const { cluster, frozen } = databaseCluster();
    const records: HookExecutionRecord[] = [];
    const error = await withBackupHooks(
      cluster,
      planBackupHooks([dbHooks()], [dbPod("db-0")]),
      async () => {
        throw new Error("disk snapshot quota exceeded");
      },
      { onRecord: (record) => records.push(record) },
    ).catch((caught: unknown) => caught);
    expect((error as Error).message).toBe("disk snapshot quota exceeded");
    expect(frozen.size).toBe(0);
    expect(records.map((record) => record.phase)).toEqual(["pre", "post"]);
  });

  it("on abort during the freezes: thaws what was frozen, then throws Aborted", async () => {
    const cluster = new FakeCluster();
    const controller = new AbortController();
    cluster.execHandler = ({ pod: where, argv, options }) => {
      if (argv[1] === "--freeze" && where === "shop/db-1") {
        controller.abort();
        return untilAborted(options.abortSignal);
      }
      return { exitCode: 0, stdout: "", stderr: "" };
    };
    let snapshots = 0;
    const error = await withBackupHooks(cluster, planBackupHooks([dbHooks()], [dbPod("db-0"), dbPod("db-1"), dbPod("db-2")]), async () => snapshots++, {
      parallelism: 1,
      abortSignal: controller.signal,
    }).catch((caught: unknown) => caught);
    expect(isKBackupError(error, "Aborted")).toBe(true);
    expect(snapshots).toBe(0);
    expect(cluster.events).toEqual([
      "exec shop/db-0 postgres fsfreeze --freeze /var/lib/postgresql/data",
      "exec shop/db-1 postgres fsfreeze --freeze /var/lib/postgresql/data",
      "exec shop/db-0 postgres fsfreeze --unfreeze /var/lib/postgresql/data",
      "exec shop/db-1 postgres fsfreeze --unfreeze /var/lib/postgresql/data",
    ]);
  });

  it("wraps one claim's snapshot in the hooks of the pods that mount it", async () => {
    const { cluster } = databaseCluster();
    const plan = planBackupHooks([dbHooks()], [dbPod("db-0", ["data-db-0"]), dbPod("db-1", ["data-db-1"])]);
    for (const claim of ["data-db-0", "data-db-1"]) {
      await withBackupHooks(cluster, podHooksForClaim(plan, { namespace: "shop", name: claim }), async () => {
        cluster.events.push(`snapshot ${claim}`);
      });
    }
    expect(cluster.events).toEqual([
      "exec shop/db-0 postgres fsfreeze --freeze /var/lib/postgresql/data",
      "snapshot data-db-0",
      "exec shop/db-0 postgres fsfreeze --unfreeze /var/lib/postgresql/data",
      "exec shop/db-1 postgres fsfreeze --freeze /var/lib/postgresql/data",
      "snapshot data-db-1",
      "exec shop/db-1 postgres fsfreeze --unfreeze /var/lib/postgresql/data",
    ]);
  });

  it("runs the snapshot step alone when no pod has hooks, and refuses a bad parallelism before anything", async () => {
    const cluster = new FakeCluster();
    expect(await withBackupHooks(cluster, [], async () => 7)).toEqual({ snapshotTaken: true, snapshotResult: 7, failures: [], hookResults: [], warnings: [] });
    let ran = false;
    const error = await withBackupHooks(cluster, planBackupHooks([dbHooks()], [dbPod("db-0")]), async () => (ran = true), { parallelism: 0 }).catch((caught: unknown) => caught);
    expect(isKBackupError(error, "InvalidArgument")).toBe(true);
    expect((error as { field?: string }).field).toBe("parallelism");
    expect(ran).toBe(false);
    expect(cluster.execCalls).toEqual([]);
  });
});
