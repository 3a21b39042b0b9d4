import type { KubeObject } from "../kube/types.js";
import type { ClusterClient } from "../ports/cluster-client.js";
import { silentLogger, type Logger } from "../ports/logger.js";
import { executeHook, type ExecuteHookOptions } from "./execute-hook.js";
import type { HookExecutionRecord, HookPhase, PodHook } from "./hook-model.js";
import { podLocation, type PodLocation } from "./pod-facts.js";

/** Options of {@link runPodHooks}. */
export interface RunPodHooksOptions extends ExecuteHookOptions {
  /** Where warnings and hook outcomes are logged; silent by default. */
  logger?: Logger;
  /** Called with each record as soon as its hook ends, so nothing is lost if a later step throws. */
  onRecord?: (record: HookExecutionRecord) => void;
}

/** How the hooks of one pod went. */
export interface PodHooksResult {
  pod: PodLocation;
  /** One record per hook that was run or skipped, in order. */
  records: HookExecutionRecord[];
  /** Hooks skipped, and failures of `onError: Continue` hooks. */
  warnings: string[];
  /** The hook with `onError: Fail` that failed or timed out; the pod's later hooks did not run. */
  failure?: HookExecutionRecord;
  /** True when a hook's command was sent to its container (so a freeze may be in effect). */
  attempted: boolean;
}

/**
 * Runs the hooks of one pod one after the other (see `executeHook` for how each runs: the pod's
 * first container and a 30 s timeout by default, never a shell). A pod that is not `Running` has
 * every `pre`/`post` hook `Skipped` and one warning saying why. A hook that fails or times out with
 * `onError: Continue` adds a warning and the next hook runs; with `onError: Fail` the run stops
 * there and `failure` reports it, so the caller can fail the job.
 * Throws only `Aborted` when `options.abortSignal` fires (records so far went to `onRecord`).
 */
export async function runPodHooks(
  cluster: ClusterClient,
  pod: KubeObject,
  hooks: readonly PodHook[],
  phase: HookPhase,
  options: RunPodHooksOptions = {},
): Promise<PodHooksResult> {
  const logger = options.logger ?? silentLogger;
  const location = podLocation(pod);
  const result: PodHooksResult = { pod: location, records: [], warnings: [], attempted: false };
  const warn = (message: string) => {
    result.warnings.push(message);
    logger.warn(message, { pod: location, phase });
  };
  let skipped: HookExecutionRecord | undefined;
  let skippedCount = 0;
  const execOptions = {
    ...options,
    onExecStart: (hook: PodHook, where: PodLocation) => {
      result.attempted = true;
      options.onExecStart?.(hook, where);
    },
  };
  for (const hook of hooks) {
    const record = await executeHook(cluster, pod, hook, phase, execOptions);
    result.records.push(record);
    options.onRecord?.(record);
    if (record.outcome === "Skipped") {
      skipped ??= record;
      skippedCount++;
      continue;
    }
    const where = `${record.hookSource} hook "${record.hookName}" (${phase}) in pod ${location.namespace}/${location.name}, container "${record.container}"`;
    if (record.outcome === "Succeeded") {
      logger.debug(`${where} succeeded`, { durationInMs: record.durationInMs });
      continue;
    }
    if (record.onError === "Fail") {
      result.failure = record;
      logger.error(`${where} ${record.outcome}: ${record.reason ?? ""}`, { onError: "Fail" });
      break;
    }
    warn(`${where} ${record.outcome}: ${record.reason ?? ""} (onError Continue: going on)`);
  }
  if (skipped) warn(`pod ${location.namespace}/${location.name}: ${skippedCount} ${phase} hook(s) skipped: ${skipped.reason ?? ""}`);
  return result;
}
