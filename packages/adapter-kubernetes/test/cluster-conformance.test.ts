import { afterAll, it } from "vitest";
import type { KubeObject, ResourceRef } from "@kbackup/core";
import { MemoryCluster, type ExecCall } from "@kbackup/adapter-memory";
import { KubernetesCluster } from "@kbackup/adapter-kubernetes";
import { clusterClientConformance, startLocalApiServer, type ExecTarget, type LocalApiServer } from "@kbackup/testing";

// One memory cluster behind one local API server for the whole suite: each conformance test works
// in a namespace of its own, as it would on a shared real cluster.
const PODS: ResourceRef = { group: "", version: "v1", resource: "pods" };
// Pods start 150 ms after they are created, so that waiting for them goes through a watch.
const cluster = new MemoryCluster({ identity: { name: "conformance" }, podStartupDelayInMs: 150 });
let server: Promise<LocalApiServer> | undefined;
const clients: KubernetesCluster[] = [];

afterAll(async () => {
  for (const client of clients) client.close();
  await (await server)?.stop();
});

/** Plays the commands the exec tests run: `echo`, `fail <code> <text>`, `hang`. */
function commands({ argv, abortSignal }: ExecCall) {
  const [command, ...args] = argv;
  if (command === "echo") return { exitCode: 0, stdout: `${args.join(" ")}\n`, stderr: "" };
  if (command === "fail") return { exitCode: Number(args[0]), stdout: "", stderr: `${args.slice(1).join(" ")}\n` };
  if (command === "hang") return new Promise<never>((_, reject) => abortSignal.addEventListener("abort", () => reject(new Error("killed")), { once: true }));
  return { exitCode: 127, stdout: "", stderr: "command not found" };
}

function pod(namespace: string, name: string): KubeObject {
  return { apiVersion: "v1", kind: "Pod", metadata: { name, namespace }, spec: { containers: [{ name: "main", image: "example.invalid/app:1" }] } };
}

clusterClientConformance(it, async () => {
  server ??= startLocalApiServer({ cluster, watchPollIntervalInMs: 20 });
  const client = new KubernetesCluster({ kubeConfig: { yaml: (await server).kubeConfigYaml } });
  clients.push(client);
  return {
    client,
    seed: async (objects) => cluster.load(objects),
    expireListTokens: async () => cluster.expireListTokens(),
    execTarget: async (namespace): Promise<ExecTarget> => {
      await client.create(PODS, pod(namespace, "shell"));
      cluster.setPodState({ namespace, name: "shell" }, { phase: "Running" });
      cluster.onExec(commands, { namespace, pod: "shell" });
      return {
        pod: { namespace, name: "shell" },
        container: "main",
        echo: (text) => ["echo", text],
        fail: (exitCode, text) => ["fail", String(exitCode), text],
        hang: () => ["hang"],
      };
    },
    readyPod: async (namespace) => {
      await client.create(PODS, pod(namespace, "ready"));
      return { pod: { namespace, name: "ready" }, container: "main" };
    },
    stuckPod: async (namespace) => {
      await client.create(PODS, pod(namespace, "stuck"));
      cluster.setPodState({ namespace, name: "stuck" }, { phase: "Pending" });
      return { pod: { namespace, name: "stuck" }, container: "main" };
    },
  };
});
