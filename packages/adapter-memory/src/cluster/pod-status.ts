import type { KubeObject } from "@kbackup/core";
import { isPlainObject } from "./json-copy.js";

/** The phases of a pod, as `status.phase` spells them. */
export type PodPhase = "Pending" | "Running" | "Succeeded" | "Failed" | "Unknown";

/** What a test sets a pod to with `MemoryCluster.setPodState`. */
export interface PodState {
  phase: PodPhase;
  /** Whether every container is running; defaults to `phase === "Running"`. */
  running?: boolean;
  /** Whether every container passes its readiness probe; defaults to `running`. */
  ready?: boolean;
}

/** The names of a pod's containers, init containers and ephemeral containers. */
export function podContainerNames(pod: KubeObject): string[] {
  const spec = pod["spec"];
  if (!isPlainObject(spec)) return [];
  const names: string[] = [];
  for (const field of ["containers", "initContainers", "ephemeralContainers"]) {
    const list = spec[field];
    if (!Array.isArray(list)) continue;
    for (const container of list) if (isPlainObject(container) && typeof container["name"] === "string") names.push(container["name"]);
  }
  return names;
}

function condition(type: string, status: boolean, time: string): Record<string, unknown> {
  return { type, status: status ? "True" : "False", lastProbeTime: null, lastTransitionTime: time };
}

/** The `status` a kubelet would report for the pod in `state`, with every regular container alike. */
export function podStatus(pod: KubeObject, state: PodState, time: string): Record<string, unknown> {
  const running = state.running ?? state.phase === "Running";
  const ready = running && (state.ready ?? running);
  const spec = isPlainObject(pod["spec"]) ? pod["spec"] : {};
  const containers = Array.isArray(spec["containers"]) ? spec["containers"].filter(isPlainObject) : [];
  const finished = state.phase === "Succeeded" || state.phase === "Failed";
  const containerState = running
    ? { running: { startedAt: time } }
    : finished
      ? { terminated: { exitCode: state.phase === "Succeeded" ? 0 : 1, reason: state.phase === "Succeeded" ? "Completed" : "Error", finishedAt: time } }
      : { waiting: { reason: "ContainerCreating" } };
  return {
    phase: state.phase,
    conditions: [
      condition("PodScheduled", true, time),
      condition("Initialized", state.phase !== "Pending" || running, time),
      condition("ContainersReady", ready, time),
      condition("Ready", ready, time),
    ],
    ...(state.phase === "Pending" && !running ? {} : { startTime: time }),
    containerStatuses: containers.map((container) => ({
      name: container["name"],
      image: container["image"],
      ready,
      started: running,
      restartCount: 0,
      state: containerState,
    })),
  };
}

/** Whether the pod's status shows the container running (or also ready). */
export function containerMeets(pod: KubeObject, container: string, condition: "running" | "ready"): boolean {
  const status = pod["status"];
  if (!isPlainObject(status) || !Array.isArray(status["containerStatuses"])) return false;
  const found = status["containerStatuses"].find((entry) => isPlainObject(entry) && entry["name"] === container);
  if (!isPlainObject(found)) return false;
  const running = isPlainObject(found["state"]) && isPlainObject(found["state"]["running"]);
  return condition === "running" ? running : running && found["ready"] === true;
}
