import { describe, expect, it } from "vitest";
import { KBackupError, isKBackupError, runRestoreHooks, type RestoreHookResource } from "@kbackup/core";
import { FakeCluster, pod, untilAborted } from "./fake-cluster.js";

const restoreHooks = (onError: "Fail" | "Continue" = "Continue"): RestoreHookResource => ({
  kind: "RestoreHook",
  namespace: "ops",
  name: "after-restore",
  restoreHook: [
    {
      name: "pg",
      includedNamespaces: ["shop-restored"],
      excludedNamespaces: [],
      labelSelector: { matchLabels: { app: "db" } },
      postHooks: [
        { container: "postgres", command: ["pg_isready"], onError, timeoutInMs: 60_000, waitTimeoutInMs: 300_000 },
        { container: "postgres", command: ["psql", "-f", "/backup/reindex.sql"], onError },
      ],
    },
  ],
});

const restoredDb = (name: string, namespace = "shop-restored") => pod(namespace, name, { labels: { app: "db" }, containers: ["postgres"], phase: "Pending" });

describe("runRestoreHooks", () => {
  it("waits for each hook's container to run, then execs with the exec timeout, in order", async () => {
    const cluster = new FakeCluster();
    const outcome = await runRestoreHooks(cluster, [restoreHooks()], [restoredDb("db-0")]);
    expect(cluster.events).toEqual([
      "wait shop-restored/db-0 postgres",
      "exec shop-restored/db-0 postgres pg_isready",
      "wait shop-restored/db-0 postgres",
      "exec shop-restored/db-0 postgres psql -f /backup/reindex.sql",
    ]);
    expect(cluster.waitCalls.map((call) => [call.options.condition, call.options.timeoutInMs])).toEqual([
      ["running", 300_000],
      ["running", 0],
    ]);
    expect(cluster.execCalls.map((call) => call.options.timeoutInMs)).toEqual([60_000, 30_000]);
    expect(outcome.failures).toEqual([]);
    expect(outcome.hookResults.map((record) => [record.phase, record.hookSource, record.outcome])).toEqual([
      ["restore", "RestoreHook ops/after-restore", "Succeeded"],
      ["restore", "RestoreHook ops/after-restore", "Succeeded"],
    ]);
  });

  it("runs only in the pods passed as created, matched by their target namespace", async () => {
    const cluster = new FakeCluster();
    await runRestoreHooks(cluster, [restoreHooks()], [restoredDb("db-0"), restoredDb("db-1", "shop"), pod("shop-restored", "web-0", { labels: { app: "web" } })]);
    expect(new Set(cluster.execCalls.map((call) => call.pod))).toEqual(new Set(["shop-restored/db-0"]));
  });

  it("runs an annotation hook instead of the resource hooks", async () => {
    const cluster = new FakeCluster();
    const annotated = pod("shop-restored", "db-0", {
      labels: { app: "db" },
      containers: ["postgres", "cache"],
      annotations: { "post.hook.restore.velero.io/command": '["warm", "--all"]', "post.hook.restore.velero.io/container": "cache" },
    });
    const outcome = await runRestoreHooks(cluster, [restoreHooks()], [annotated]);
    expect(cluster.events).toEqual(["wait shop-restored/db-0 cache", "exec shop-restored/db-0 cache warm --all"]);
    expect(outcome.hookResults[0]).toMatchObject({ hookSource: "annotation", hookName: "post.hook.restore.velero.io", outcome: "Succeeded" });
  });

  it("reports a pod that never comes up as TimedOut with the reason, and goes on", async () => {
    const cluster = new FakeCluster();
    cluster.waitHandler = (where, container, options) => {
      if (where === "shop-restored/db-0") throw new KBackupError("Timeout", `container ${container} not running after ${options.timeoutInMs} ms`);
    };
    const outcome = await runRestoreHooks(cluster, [restoreHooks()], [restoredDb("db-0"), restoredDb("db-1")]);
    const ofDb0 = outcome.hookResults.filter((record) => record.pod.name === "db-0");
    expect(ofDb0.map((record) => [record.outcome, record.reason])).toEqual([
      ["TimedOut", 'container "postgres" was not running within the wait timeout of 300s'],
      ["TimedOut", 'container "postgres" was not running within the wait timeout of no limit'],
    ]);
    expect(outcome.warnings.filter((warning) => warning.includes("db-0"))).toHaveLength(2);
    expect(cluster.execCalls.map((call) => call.pod)).toEqual(["shop-restored/db-1", "shop-restored/db-1"]);
  });

  it("gives up waiting at the wait timeout even if the client does not", async () => {
    const cluster = new FakeCluster();
    cluster.waitHandler = (_, __, options) => untilAborted(options.abortSignal);
    const hooks = restoreHooks("Fail");
    hooks.restoreHook[0]!.postHooks = [{ container: "postgres", command: ["pg_isready"], onError: "Fail", waitTimeoutInMs: 20 }];
    const outcome = await runRestoreHooks(cluster, [hooks], [restoredDb("db-0")]);
    expect(outcome.failures).toEqual([expect.objectContaining({ outcome: "TimedOut", reason: 'container "postgres" was not running within the wait timeout of 20ms' })]);
    expect(cluster.execCalls).toEqual([]);
  });

  it("stops a pod's hooks at a failure with onError Fail, other pods going on", async () => {
    const cluster = new FakeCluster();
    cluster.execHandler = ({ pod: where }) => ({ exitCode: where === "shop-restored/db-0" ? 1 : 0, stdout: "", stderr: "not ready" });
    const outcome = await runRestoreHooks(cluster, [restoreHooks("Fail")], [restoredDb("db-0"), restoredDb("db-1")], { parallelism: 1 });
    expect(cluster.execCalls.map((call) => `${call.pod} ${call.argv[0]}`)).toEqual(["shop-restored/db-0 pg_isready", "shop-restored/db-1 pg_isready", "shop-restored/db-1 psql"]);
    expect(outcome.failures).toEqual([expect.objectContaining({ pod: { namespace: "shop-restored", name: "db-0" }, exitCode: 1, stderrTail: "not ready" })]);
  });

  it("runs pods in parallel up to the bound", async () => {
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
    const pods = Array.from({ length: 20 }, (_, index) => restoredDb(`db-${index}`));
    await runRestoreHooks(cluster, [restoreHooks()], pods);
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(8);
  });

  it("throws Aborted when aborted", async () => {
    const cluster = new FakeCluster();
    const controller = new AbortController();
    cluster.waitHandler = (_, __, options) => {
      controller.abort();
      return untilAborted(options.abortSignal);
    };
    const error = await runRestoreHooks(cluster, [restoreHooks()], [restoredDb("db-0")], { abortSignal: controller.signal }).catch((caught: unknown) => caught);
    expect(isKBackupError(error, "Aborted")).toBe(true);
    expect(cluster.execCalls).toEqual([]);
  });
});
