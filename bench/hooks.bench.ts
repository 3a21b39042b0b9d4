// Backup hooks: a freeze command in each of 1,000 pods around one snapshot step, on a cluster
// whose every exec takes 50 ms; reports the wall time at the default parallelism (8 pods at a
// time) against one pod at a time.
//   node bench/hooks.bench.ts          (needs the built @kbackup/core)
// Options by environment: PODS (1000), EXEC_LATENCY_MS (50), PARALLELISM (comma-separated; default "8,1").
import {
  DEFAULT_HOOK_PARALLELISM,
  abortedError,
  planBackupHooks,
  withBackupHooks,
  type BackupHookResource,
  type ClusterClient,
  type ExecOptions,
  type ExecResult,
  type KubeObject,
} from "@kbackup/core";

const podCount = Number(process.env.PODS ?? 1_000);
const execLatencyInMs = Number(process.env.EXEC_LATENCY_MS ?? 50);
const parallelisms = (process.env.PARALLELISM ?? `${DEFAULT_HOOK_PARALLELISM},1`).split(",").map(Number);

/** A cluster that only execs: every command sleeps `execLatencyInMs`, honouring its abort signal. */
function slowExecCluster(): ClusterClient & { execs: number } {
  const cluster = {
    identity: { name: "bench" },
    capabilities: { exec: true, strategicMergePatch: false },
    execs: 0,
    exec(_pod: unknown, _container: string, _argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
      cluster.execs++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => resolve({ exitCode: 0, stdout: "frozen\n", stderr: "" }), execLatencyInMs);
        options.abortSignal?.addEventListener("abort", () => {
          clearTimeout(timer);
          reject(abortedError(options.abortSignal));
        });
      });
    },
  };
  return cluster as unknown as ClusterClient & { execs: number };
}

const hooks: BackupHookResource = {
  kind: "BackupHook",
  namespace: "bench",
  name: "freeze",
  backupHook: [
    {
      name: "fsfreeze",
      includedNamespaces: [],
      excludedNamespaces: [],
      labelSelector: { matchLabels: { app: "db" } },
      preHooks: [{ container: "db", command: ["/sbin/fsfreeze", "--freeze", "/data"], onError: "Fail" }],
      postHooks: [],
    },
  ],
};

const pods: KubeObject[] = Array.from({ length: podCount }, (_, index) => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { namespace: `ns-${index % 50}`, name: `db-${index}`, labels: { app: "db" } },
  spec: { containers: [{ name: "db", image: "example/db:1" }] },
  status: { phase: "Running" },
}));

const plan = planBackupHooks([hooks], pods);
console.log(`${plan.length} pods with one hook each, ${execLatencyInMs} ms per exec`);
const results: Array<{ parallelism: number; seconds: number }> = [];
for (const parallelism of parallelisms) {
  const cluster = slowExecCluster();
  const started = performance.now();
  const outcome = await withBackupHooks(cluster, plan, async () => undefined, { parallelism });
  const seconds = (performance.now() - started) / 1000;
  if (!outcome.snapshotTaken || outcome.failures.length > 0 || cluster.execs !== plan.length) throw new Error("the benchmark's hooks did not all succeed");
  const ideal = (Math.ceil(plan.length / parallelism) * execLatencyInMs) / 1000;
  results.push({ parallelism, seconds });
  console.log(`parallelism ${String(parallelism).padStart(2)}: ${seconds.toFixed(2)} s wall (ideal ${ideal.toFixed(2)} s), ${(plan.length / seconds).toFixed(0)} hooks/s`);
}
const [first, ...others] = results;
for (const other of others) {
  if (first) console.log(`parallelism ${first.parallelism} is ${(other.seconds / first.seconds).toFixed(1)}x faster than parallelism ${other.parallelism}`);
}
