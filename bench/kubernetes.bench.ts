// Throughput of the Kubernetes cluster client over HTTP, against the local API server.
//   npx tsc -b && pnpm -r --filter "./packages/*" run build:js    (the bench runs on the built dists)
//   node bench/kubernetes.bench.ts              every scenario, each in its own process
//   node bench/kubernetes.bench.ts list         one scenario
// Scenarios:
//   list             list every object of a synthetic cluster (OBJECTS, 100000, in NAMESPACES, 100)
//   restore          restore SECRETS (30000) Secrets at the default concurrency (16)
//   restore-serial   restore SERIAL_SECRETS (3000) Secrets one at a time, as Velero does
//   restore-qps      restore SERIAL_SECRETS Secrets at the default concurrency under the client's
//                    default rate limit (100 requests a second, bursts of 100)
// The restore scenarios lift the client's rate limit (but restore-qps), so that they measure the
// round trips and not the limit.
import { spawnSync } from "node:child_process";
import { BackupVault, type KubeObject, type RestoreItemResult } from "@kbackup/core";
import { MemoryCluster, MemoryObjectStore } from "@kbackup/adapter-memory";
// The workspace root does not link @kbackup/adapter-kubernetes, so its built dist is imported by path.
import { KubernetesCluster } from "@kbackup/adapter-kubernetes";
import { startLocalApiServer, syntheticCluster } from "@kbackup/testing";

const objects = Number(process.env.OBJECTS ?? 100_000);
const namespaces = Number(process.env.NAMESPACES ?? 100);
const secrets = Number(process.env.SECRETS ?? 30_000);
const serialSecrets = Number(process.env.SERIAL_SECRETS ?? 3_000);
const scenarios = ["list", "restore", "restore-serial", "restore-qps"] as const;
type Scenario = (typeof scenarios)[number];

const scenario = process.argv[2] as Scenario | undefined;
if (!scenario) {
  for (const name of scenarios) {
    const child = spawnSync(process.execPath, [process.argv[1]!, name], { stdio: "inherit", env: process.env });
    if (child.status !== 0) process.exit(child.status ?? 1);
  }
} else if (scenario === "list") {
  await list();
} else {
  await restore(scenario);
}

async function list(): Promise<void> {
  const server = await startLocalApiServer({ cluster: syntheticCluster({ objects, namespaces }) });
  const client = new KubernetesCluster({ kubeConfig: { yaml: server.kubeConfigYaml } });
  try {
    const start = performance.now();
    let count = 0;
    for (const type of await client.discover()) {
      if (!type.verbs.includes("list")) continue;
      for await (const page of client.list(type).byPage({ maxPageSize: 500 })) count += page.items.length;
    }
    const seconds = (performance.now() - start) / 1000;
    print("list", { objects: count, seconds, objectsPerSecond: count / seconds, pageSize: 500 });
  } finally {
    client.close();
    await server.stop();
  }
}

async function restore(name: Exclude<Scenario, "list">): Promise<void> {
  const count = name === "restore" ? secrets : serialSecrets;
  const source = new MemoryCluster({ identity: { name: "source" } });
  source.load([...namespaceObjects(), ...secretObjects(count)]);
  const vault = new BackupVault({ name: "bench" });
  const instance = await vault.protect({
    name: "secrets",
    cluster: source,
    operationalStore: new MemoryObjectStore(),
    datasourceParameters: { snapshotVolumes: false, includeClusterScopeResources: false, includedResourceTypes: ["secrets"] },
  });
  const backup = await instance.backupNow();
  if (backup.status !== "Completed") throw new Error(`backup ended ${backup.status}: ${JSON.stringify(backup.errorDetails)}`);
  const server = await startLocalApiServer({ cluster: new MemoryCluster({ identity: { name: "target" } }) });
  const limits = name === "restore-qps" ? {} : { qps: Number.POSITIVE_INFINITY };
  const target = new KubernetesCluster({ kubeConfig: { yaml: server.kubeConfigYaml }, ...limits });
  try {
    const concurrency = name === "restore-serial" ? 1 : 16;
    const start = performance.now();
    const job = await instance.restore(backup.extendedInfo.recoveryPointId!, {}, { targetCluster: target, concurrency });
    const seconds = (performance.now() - start) / 1000;
    if (job.status !== "Completed") throw new Error(`restore ended ${job.status}: ${JSON.stringify(job.errorDetails?.slice(0, 3))}`);
    // The namespaces the restore creates are not counted.
    const created = ((job.extendedInfo.itemResults ?? []) as RestoreItemResult[]).filter((item) => item.kind === "Secret" && item.outcome === "Created").length;
    print(name, { secrets: created, seconds, objectsPerSecond: created / seconds, concurrency, qps: name === "restore-qps" ? 100 : 0 });
  } finally {
    target.close();
    await server.stop();
  }
}

function namespaceObjects(): KubeObject[] {
  return Array.from({ length: namespaces }, (_, index) => ({ apiVersion: "v1", kind: "Namespace", metadata: { name: `secrets-${String(index).padStart(3, "0")}` } }));
}

/** Secrets of about 1 KB, spread over the namespaces. */
function secretObjects(count: number): KubeObject[] {
  const payload = Buffer.alloc(768, "kbackup").toString("base64");
  return Array.from({ length: count }, (_, index) => ({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: `secret-${String(index).padStart(6, "0")}`, namespace: `secrets-${String(index % namespaces).padStart(3, "0")}`, labels: { app: `app-${index % 50}` } },
    type: "Opaque",
    data: { payload },
  }));
}

function print(name: string, figures: Record<string, number>): void {
  const peakRssInMb = process.resourceUsage().maxRSS / 1024;
  const shown = Object.entries({ ...figures, peakRssInMb }).map(([key, value]) => `${key}=${Number.isInteger(value) ? value : value.toFixed(1)}`);
  console.log(`kubernetes ${name}: ${shown.join(" ")}`);
}
