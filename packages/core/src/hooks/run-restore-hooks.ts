import type { KubeObject } from "../kube/types.js";
import type { ClusterClient } from "../ports/cluster-client.js";
import { forEachConcurrently } from "../util/concurrency.js";
import type { HookExecutionRecord, RestoreHookResource } from "./hook-model.js";
import { hookParallelism } from "./hook-parallelism.js";
import { planRestoreHooks } from "./hook-plan.js";
import { runPodHooks, type RunPodHooksOptions } from "./run-pod-hooks.js";

/** Options of {@link runRestoreHooks}. */
export interface RunRestoreHooksOptions extends RunPodHooksOptions {
  /** Pods whose hooks run at the same time; `DEFAULT_HOOK_PARALLELISM` (8) by default. */
  parallelism?: number;
}

/** How the restore hooks went. */
export interface RestoreHooksOutcome {
  /** Hooks with `onError: Fail` that failed or timed out (each stopped its pod's later hooks). */
  failures: HookExecutionRecord[];
  hookResults: HookExecutionRecord[];
  warnings: string[];
}

/**
 * Runs the restore hooks in the pods this restore created (`createdPods`, as created: in their
 * target namespace, with their labels and annotations), matched as `planRestoreHooks` says; pods the
 * restore did not create must not be passed. In each pod the hooks run in order: each waits for its
 * container to be running (its `waitTimeoutInMs`, 0 = no limit; a pod that never comes up is
 * `TimedOut` with the reason), then runs its command with its exec timeout (30 s by default).
 * `parallelism` pods run at a time. A hook with `onError: Fail` that fails stops its pod's later
 * hooks and is reported in `failures`; other pods go on. Records go to `onRecord` as they are made.
 * Throws InvalidArgument for a bad `parallelism` before running anything, and `Aborted` when
 * `abortSignal` fires.
 */
export async function runRestoreHooks(
  cluster: ClusterClient,
  hooks: readonly RestoreHookResource[],
  createdPods: readonly KubeObject[],
  options: RunRestoreHooksOptions = {},
): Promise<RestoreHooksOutcome> {
  const parallelism = hookParallelism(options.parallelism);
  const plan = planRestoreHooks(hooks, createdPods);
  const outcome: RestoreHooksOutcome = { failures: [], hookResults: [], warnings: plan.flatMap((entry) => entry.warnings) };
  const keep = (record: HookExecutionRecord) => {
    outcome.hookResults.push(record);
    options.onRecord?.(record);
  };
  await forEachConcurrently(
    plan,
    parallelism,
    async (entry) => {
      const result = await runPodHooks(cluster, entry.pod, entry.hooks, "restore", { ...options, onRecord: keep });
      outcome.warnings.push(...result.warnings);
      if (result.failure) outcome.failures.push(result.failure);
    },
    options.abortSignal,
  );
  return outcome;
}
