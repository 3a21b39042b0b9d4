import { it } from "vitest";
import type { KubeObject } from "@kbackup/core";
import { MemoryCluster, type ExecCall } from "@kbackup/adapter-memory";
import { clusterClientConformance, type ExecTarget } from "@kbackup/testing";

/** Plays the commands the exec tests run: `echo`, `fail <code> <text>`, `hang`. */
function commands({ argv, abortSignal }: ExecCall) {
  const [command, ...args] = argv;
  if (command === "echo") return { exitCode: 0, stdout: `${args.join(" ")}\n`, stderr: "" };
  if (command === "fail") return { exitCode: Number(args[0]), stdout: "", stderr: `${args.slice(1).join(" ")}\n` };
  if (command === "hang") {
    return new Promise<never>((_, reject) => abortSignal.addEventListener("abort", () => reject(new Error("killed")), { once: true }));
  }
  return { exitCode: 127, stdout: "", stderr: "command not found" };
}

function pod(namespace: string, name: string): KubeObject {
  return { apiVersion: "v1", kind: "Pod", metadata: { name, namespace }, spec: { containers: [{ name: "main", image: "example.invalid/app:1" }] } };
}

const PODS = { group: "", version: "v1", resource: "pods" };

clusterClientConformance(it, async () => {
  const cluster = new MemoryCluster();
  return {
    client: cluster,
    seed: async (objects) => cluster.load(objects),
    expireListTokens: async () => cluster.expireListTokens(),
    execTarget: async (namespace): Promise<ExecTarget> => {
      await cluster.create(PODS, pod(namespace, "shell"));
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
      await cluster.create(PODS, pod(namespace, "ready"));
      return { pod: { namespace, name: "ready" }, container: "main" };
    },
    stuckPod: async (namespace) => {
      await cluster.create(PODS, pod(namespace, "stuck"));
      cluster.setPodState({ namespace, name: "stuck" }, { phase: "Pending" });
      return { pod: { namespace, name: "stuck" }, container: "main" };
    },
  };
});
