import { describe, expect, it } from "vitest";
import {
  DEFAULT_HOOK_TIMEOUT_IN_MS,
  HOOK_OUTPUT_TAIL_BYTES,
  KBackupError,
  isKBackupError,
  runPodHooks,
  type HookExecutionRecord,
  type PodHook,
} from "@kbackup/core";
import { FakeCluster, pod, untilAborted } from "./fake-cluster.js";

const hook = (name: string, command: string[], exec: Partial<PodHook["exec"]> = {}): PodHook => ({
  hookName: name,
  hookSource: "BackupHook shop/db-hooks",
  exec: { command, onError: "Fail", ...exec },
});

describe("runPodHooks", () => {
  it("runs each hook in order, argv as given, in the first container with the default timeout", async () => {
    const cluster = new FakeCluster();
    cluster.execHandler = ({ argv }) => ({ exitCode: 0, stdout: `ran ${argv[0]}`, stderr: "" });
    const db = pod("shop", "db-0", { containers: ["postgres", "sidecar"] });
    const recorded: HookExecutionRecord[] = [];
    const result = await runPodHooks(cluster, db, [hook("a", ["/bin/sh", "-c", "echo $HOME; rm -rf /"]), hook("b", ["sync"], { container: "sidecar" })], "pre", {
      onRecord: (record) => recorded.push(record),
    });
    expect(cluster.events).toEqual(["exec shop/db-0 postgres /bin/sh -c echo $HOME; rm -rf /", "exec shop/db-0 sidecar sync"]);
    expect(cluster.execCalls[0]?.argv).toEqual(["/bin/sh", "-c", "echo $HOME; rm -rf /"]);
    expect(cluster.execCalls[0]?.options.timeoutInMs).toBe(DEFAULT_HOOK_TIMEOUT_IN_MS);
    expect(cluster.execCalls[0]?.options.abortSignal).toBeInstanceOf(AbortSignal);
    expect(DEFAULT_HOOK_TIMEOUT_IN_MS).toBe(30_000);
    expect(result.failure).toBeUndefined();
    expect(result.warnings).toEqual([]);
    expect(result.attempted).toBe(true);
    expect(result.records).toEqual(recorded);
    expect(result.records[0]).toEqual({
      hookName: "a",
      hookSource: "BackupHook shop/db-hooks",
      phase: "pre",
      pod: { namespace: "shop", name: "db-0" },
      container: "postgres",
      command: ["/bin/sh", "-c", "echo $HOME; rm -rf /"],
      onError: "Fail",
      exitCode: 0,
      durationInMs: expect.any(Number),
      stdoutTail: "ran /bin/sh",
      stderrTail: "",
      outcome: "Succeeded",
    });
    expect(result.records[1]?.container).toBe("sidecar");
  });

  it("passes the hook's own timeout to exec", async () => {
    const cluster = new FakeCluster();
    await runPodHooks(cluster, pod("shop", "db-0"), [hook("a", ["sync"], { timeoutInMs: 12_000 })], "post");
    expect(cluster.execCalls[0]?.options.timeoutInMs).toBe(12_000);
  });

  it.each(["Pending", "Succeeded", "Failed", undefined])("skips every hook of a pod in phase %s with one warning", async (phase) => {
    const cluster = new FakeCluster();
    const idle = pod("shop", "db-0");
    if (phase === undefined) delete idle.status;
    else idle.status = { phase };
    const result = await runPodHooks(cluster, idle, [hook("a", ["freeze"]), hook("b", ["freeze-more"])], "pre");
    expect(cluster.execCalls).toEqual([]);
    expect(result.records.map((record) => [record.outcome, record.reason])).toEqual([
      ["Skipped", `the pod is not running (phase ${phase ?? "unknown"})`],
      ["Skipped", `the pod is not running (phase ${phase ?? "unknown"})`],
    ]);
    expect(result.warnings).toEqual([`pod shop/db-0: 2 pre hook(s) skipped: the pod is not running (phase ${phase ?? "unknown"})`]);
    expect(result.failure).toBeUndefined();
    expect(result.attempted).toBe(false);
  });

  it("stops at a failing hook with onError Fail and reports it", async () => {
    const cluster = new FakeCluster();
    cluster.execHandler = ({ argv }) => (argv[0] === "bad" ? { exitCode: 3, stdout: "", stderr: "cannot freeze" } : { exitCode: 0, stdout: "", stderr: "" });
    const result = await runPodHooks(cluster, pod("shop", "db-0"), [hook("a", ["ok"]), hook("b", ["bad"]), hook("c", ["never"])], "pre");
    expect(cluster.execCalls.map((call) => call.argv[0])).toEqual(["ok", "bad"]);
    expect(result.failure).toMatchObject({ hookName: "b", outcome: "Failed", exitCode: 3, stderrTail: "cannot freeze", reason: "the command exited with code 3" });
    expect(result.records).toHaveLength(2);
  });

  it("records a warning and goes on for a failing hook with onError Continue", async () => {
    const cluster = new FakeCluster();
    cluster.execHandler = ({ argv }) => ({ exitCode: argv[0] === "bad" ? 1 : 0, stdout: "", stderr: "" });
    const result = await runPodHooks(cluster, pod("shop", "db-0"), [hook("b", ["bad"], { onError: "Continue" }), hook("c", ["ok"])], "post");
    expect(cluster.execCalls.map((call) => call.argv[0])).toEqual(["bad", "ok"]);
    expect(result.failure).toBeUndefined();
    expect(result.records.map((record) => record.outcome)).toEqual(["Failed", "Succeeded"]);
    expect(result.warnings).toEqual([
      'BackupHook shop/db-hooks hook "b" (post) in pod shop/db-0, container "app" Failed: the command exited with code 1 (onError Continue: going on)',
    ]);
  });

  it("times out a command: the exec's abort signal fires and the outcome is TimedOut", async () => {
    const cluster = new FakeCluster();
    let signalled = false;
    cluster.execHandler = async ({ argv, options }) => {
      if (argv[0] !== "sleep") return { exitCode: 0, stdout: "", stderr: "" };
      options.abortSignal?.addEventListener("abort", () => (signalled = true));
      return untilAborted(options.abortSignal);
    };
    const result = await runPodHooks(cluster, pod("shop", "db-0"), [hook("slow", ["sleep", "3600"], { timeoutInMs: 20, onError: "Continue" }), hook("next", ["ok"])], "pre");
    expect(signalled).toBe(true);
    expect(result.records[0]).toMatchObject({ outcome: "TimedOut", reason: "the command did not finish within its timeout of 20ms and was stopped" });
    expect(result.records[0]?.exitCode).toBeUndefined();
    expect(result.records.map((record) => record.outcome)).toEqual(["TimedOut", "Succeeded"]);
  });

  it("does not wait for a client that ignores the abort signal", async () => {
    const cluster = new FakeCluster();
    cluster.execHandler = () => new Promise(() => undefined);
    const result = await runPodHooks(cluster, pod("shop", "db-0"), [hook("stuck", ["freeze"], { timeoutInMs: 20 })], "pre");
    expect(result.failure?.outcome).toBe("TimedOut");
  });

  it("counts a Timeout error of the client as TimedOut, and any other error as Failed", async () => {
    const cluster = new FakeCluster();
    cluster.execHandler = ({ argv }) => {
      if (argv[0] === "slow") throw new KBackupError("Timeout", "exec timed out after 10s");
      throw new KBackupError("NotFound", 'container "app" not found');
    };
    const result = await runPodHooks(cluster, pod("shop", "db-0"), [hook("a", ["slow"], { onError: "Continue" }), hook("b", ["gone"])], "pre");
    expect(result.records.map((record) => [record.outcome, record.reason])).toEqual([
      ["TimedOut", "the command did not finish within its timeout of 30s: exec timed out after 10s"],
      ["Failed", 'exec failed: container "app" not found'],
    ]);
    expect(result.failure?.hookName).toBe("b");
  });

  it("fails a hook whose container the pod does not have, without exec", async () => {
    const cluster = new FakeCluster();
    const result = await runPodHooks(cluster, pod("shop", "db-0", { containers: ["postgres"] }), [hook("a", ["freeze"], { container: "mysql" })], "pre");
    expect(cluster.execCalls).toEqual([]);
    expect(result.failure).toMatchObject({ container: "mysql", outcome: "Failed", reason: 'container "mysql" is not in the pod (it has postgres)' });
  });

  it("keeps the last 4 KiB of stdout and stderr, cut at a character boundary", async () => {
    const cluster = new FakeCluster();
    const stdout = `${"x".repeat(10_000)}THE END`;
    const stderr = `${"é".repeat(3_000)}!`;
    cluster.execHandler = () => ({ exitCode: 0, stdout, stderr });
    const [record] = (await runPodHooks(cluster, pod("shop", "db-0"), [hook("a", ["dump"])], "pre")).records;
    expect(cluster.execCalls[0]?.options.maxOutputBytes).toBe(HOOK_OUTPUT_TAIL_BYTES);
    expect(record?.stdoutTail).toBe(stdout.slice(-4096));
    expect(record?.stdoutTail.endsWith("THE END")).toBe(true);
    expect(Buffer.byteLength(record?.stderrTail ?? "")).toBeLessThanOrEqual(4096);
    expect(record?.stderrTail).toBe(`${"é".repeat(2047)}!`);
  });

  it("throws Aborted when the caller aborts, and aborts the running exec", async () => {
    const cluster = new FakeCluster();
    const controller = new AbortController();
    let execSignal: AbortSignal | undefined;
    cluster.execHandler = ({ options }) => {
      execSignal = options.abortSignal;
      setTimeout(() => controller.abort(), 5);
      return untilAborted(options.abortSignal);
    };
    const records: HookExecutionRecord[] = [];
    const error = await runPodHooks(cluster, pod("shop", "db-0"), [hook("a", ["freeze"])], "pre", {
      abortSignal: controller.signal,
      onRecord: (record) => records.push(record),
    }).catch((caught: unknown) => caught);
    expect(isKBackupError(error, "Aborted")).toBe(true);
    expect(execSignal?.aborted).toBe(true);
    expect(records).toEqual([]);
  });
});
