import type { ClusterClient } from "../ports/cluster-client.js";
import { forEachConcurrently } from "../util/concurrency.js";
import type { HookExecutionRecord } from "./hook-model.js";
import { hookParallelism } from "./hook-parallelism.js";
import type { PodBackupHooks } from "./hook-plan.js";
import { runPodHooks, type RunPodHooksOptions } from "./run-pod-hooks.js";

/** Options of {@link withBackupHooks}. */
export interface WithBackupHooksOptions extends RunPodHooksOptions {
  /** Pods whose hooks run at the same time; `DEFAULT_HOOK_PARALLELISM` (8) by default. */
  parallelism?: number;
}

/** What happened around a snapshot step. */
export interface BackupHooksOutcome<T> {
  /** True when the snapshot step ran to its end; false when a pre hook failure kept it from running. */
  snapshotTaken: boolean;
  /** What the snapshot step returned, when it ran. */
  snapshotResult?: T;
  /** Hooks with `onError: Fail` that failed or timed out. Not empty: the backup must fail. */
  failures: HookExecutionRecord[];
  /** A record of every hook run or skipped, pre and post. */
  hookResults: HookExecutionRecord[];
  /** Skipped pods, `onError: Continue` failures, and unusable hook annotations. */
  warnings: string[];
}

/**
 * Runs a snapshot step between the pre and post hooks of the given pods (as `planBackupHooks`
 * returns them): the pre hooks of every pod (`parallelism` pods at a time, each pod's hooks in
 * order), then `snapshotStep`, then the post hooks right after it, so a database stays frozen only
 * while its volume is snapshotted. The caller chooses the scope:
 * - all planned pods around all volume snapshots: one call with the whole plan;
 * - one volume at a time: one call per claim with `podHooksForClaim(plan, claim)`, the step
 *   snapshotting that claim's volume (a pod mounting several claims is then frozen once per claim).
 *
 * Failures:
 * - A pre hook with `onError: Fail` that fails or times out: no pre hook starts in any further pod,
 *   the snapshot step is not run, and the post hooks of the pods where a pre hook's command was
 *   started still run (a frozen database must be thawed). `failures` reports it; nothing is thrown.
 * - A post hook with `onError: Fail` that fails: reported in `failures`; the other pods' post hooks
 *   still run.
 * - The snapshot step throws: the post hooks of every pod run, then its error is rethrown.
 * - `abortSignal` fires: pre hooks and the snapshot step stop, the post hooks of the pods where a
 *   pre hook's command was started still run (each bounded by its own timeout, not by the signal), then `Aborted` is
 *   thrown. Post hooks are never cut short by the signal.
 * Records go to `onRecord` as they are made, so they survive a throw.
 * Throws InvalidArgument for a `parallelism` that is not a whole number of at least 1, before
 * running anything.
 */
export async function withBackupHooks<T>(
  cluster: ClusterClient,
  podHooks: readonly PodBackupHooks[],
  snapshotStep: () => Promise<T>,
  options: WithBackupHooksOptions = {},
): Promise<BackupHooksOutcome<T>> {
  const parallelism = hookParallelism(options.parallelism);
  const { abortSignal, onRecord, ...postOptions } = options;
  const outcome: BackupHooksOutcome<T> = { snapshotTaken: false, failures: [], hookResults: [], warnings: podHooks.flatMap((entry) => entry.warnings) };
  const keep = (record: HookExecutionRecord) => {
    outcome.hookResults.push(record);
    onRecord?.(record);
  };
  const preAttempted = new Set<PodBackupHooks>();
  let preFailed = false;
  let interruption: { error: unknown } | undefined;

  try {
    await forEachConcurrently(
      podHooks,
      parallelism,
      async (entry) => {
        if (preFailed || entry.pre.length === 0) return;
        const result = await runPodHooks(cluster, entry.pod, entry.pre, "pre", {
          ...options,
          onRecord: keep,
          // Known as a command starts, so a pod whose freeze an abort interrupts is thawed too.
          onExecStart: (hook, where) => {
            preAttempted.add(entry);
            options.onExecStart?.(hook, where);
          },
        });
        outcome.warnings.push(...result.warnings);
        if (result.failure) {
          outcome.failures.push(result.failure);
          preFailed = true;
        }
      },
      abortSignal,
    );
  } catch (error) {
    interruption = { error };
  }

  const preSucceeded = !preFailed && interruption === undefined;
  if (preSucceeded) {
    try {
      outcome.snapshotResult = await snapshotStep();
      outcome.snapshotTaken = true;
    } catch (error) {
      interruption = { error };
    }
  }

  const toThaw = podHooks.filter((entry) => entry.post.length > 0 && (preSucceeded || preAttempted.has(entry)));
  let postError: { error: unknown } | undefined;
  await forEachConcurrently(toThaw, parallelism, async (entry) => {
    try {
      const result = await runPodHooks(cluster, entry.pod, entry.post, "post", { ...postOptions, onRecord: keep });
      outcome.warnings.push(...result.warnings);
      if (result.failure) outcome.failures.push(result.failure);
    } catch (error) {
      // Every other pod must still be thawed: the first error is rethrown at the end.
      postError ??= { error };
    }
  });

  if (interruption) throw interruption.error;
  if (postError) throw postError.error;
  return outcome;
}
