import { abortedError, isKBackupError, throwIfAborted } from "../errors.js";
import type { KubeObject } from "../kube/types.js";
import type { ClusterClient } from "../ports/cluster-client.js";
import { systemClock, type Clock } from "../ports/clock.js";
import type { OperationOptions } from "../ports/options.js";
import {
  DEFAULT_HOOK_TIMEOUT_IN_MS,
  DEFAULT_HOOK_WAIT_TIMEOUT_IN_MS,
  HOOK_OUTPUT_TAIL_BYTES,
  type HookExecutionRecord,
  type HookOutcome,
  type HookPhase,
  type PodHook,
} from "./hook-model.js";
import { tailOfText } from "./output-tail.js";
import { podContainerNames, podLocation, podPhase, type PodLocation } from "./pod-facts.js";

/** Options of {@link executeHook}. */
export interface ExecuteHookOptions extends OperationOptions {
  /** Measures durations and times out hooks; the system clock by default. */
  clock?: Clock;
  /** Called just before a hook's command is sent to its container: from then on it may have taken effect. */
  onExecStart?: (hook: PodHook, pod: PodLocation) => void;
}

/**
 * Runs one hook in one pod and says how it went; the caller decides what a failure means.
 * - `pre`/`post`: a pod whose `status.phase` is not `Running` is not touched: outcome `Skipped`.
 * - `restore`: first waits for the container to be running (`waitTimeoutInMs`, 0 = no limit);
 *   a container that does not start in time is `TimedOut`.
 * - The container is the hook's, or the pod's first; one the pod does not have is `Failed`.
 * - The command runs through `cluster.exec` as the argv it is, with the hook's timeout (default
 *   {@link DEFAULT_HOOK_TIMEOUT_IN_MS}); past it the exec's abort signal fires and the outcome is
 *   `TimedOut`, without waiting for a client that ignores the signal. Exit code 0 is `Succeeded`,
 *   any other `Failed`; an exec that throws is `Failed` with the error's message.
 * Throws only `Aborted`, when `options.abortSignal` fires.
 */
export async function executeHook(
  cluster: ClusterClient,
  pod: KubeObject,
  hook: PodHook,
  phase: HookPhase,
  options: ExecuteHookOptions = {},
): Promise<HookExecutionRecord> {
  const { abortSignal } = options;
  const clock = options.clock ?? systemClock;
  throwIfAborted(abortSignal);
  const location = podLocation(pod);
  const containers = podContainerNames(pod);
  const container = hook.exec.container ?? containers[0] ?? "";
  const startedAt = clock.now().getTime();
  const finish = (outcome: HookOutcome, fields: Partial<HookExecutionRecord> = {}): HookExecutionRecord => ({
    hookName: hook.hookName,
    hookSource: hook.hookSource,
    phase,
    pod: location,
    container,
    command: [...hook.exec.command],
    onError: hook.exec.onError,
    durationInMs: Math.max(0, clock.now().getTime() - startedAt),
    stdoutTail: "",
    stderrTail: "",
    outcome,
    ...fields,
  });

  if (phase !== "restore") {
    const status = podPhase(pod);
    if (status !== "Running") return finish("Skipped", { reason: `the pod is not running (phase ${status ?? "unknown"})` });
  }
  if (container === "") return finish("Failed", { reason: "the pod has no container to run the hook in" });
  if (containers.length > 0 && !containers.includes(container)) {
    return finish("Failed", { reason: `container "${container}" is not in the pod (it has ${containers.join(", ")})` });
  }

  if (phase === "restore") {
    const waitInMs = hook.exec.waitTimeoutInMs ?? DEFAULT_HOOK_WAIT_TIMEOUT_IN_MS;
    const waited = await withDeadline(
      (signal) => cluster.waitForContainer(location, container, { condition: "running", timeoutInMs: waitInMs, abortSignal: signal }),
      waitInMs,
      clock,
      abortSignal,
    );
    if (waited.kind === "aborted") throw abortedError(abortSignal);
    if (waited.kind === "timeout" || (waited.kind === "error" && isKBackupError(waited.error, "Timeout"))) {
      return finish("TimedOut", { reason: `container "${container}" was not running within the wait timeout of ${formatMs(waitInMs)}` });
    }
    if (waited.kind === "error") return finish("Failed", { reason: `waiting for container "${container}" failed: ${messageOf(waited.error)}` });
  }

  const timeoutInMs = hook.exec.timeoutInMs || DEFAULT_HOOK_TIMEOUT_IN_MS;
  options.onExecStart?.(hook, location);
  const ran = await withDeadline(
    (signal) => cluster.exec(location, container, hook.exec.command, { timeoutInMs, maxOutputBytes: HOOK_OUTPUT_TAIL_BYTES, abortSignal: signal }),
    timeoutInMs,
    clock,
    abortSignal,
  );
  switch (ran.kind) {
    case "aborted":
      throw abortedError(abortSignal);
    case "timeout":
      return finish("TimedOut", { reason: `the command did not finish within its timeout of ${formatMs(timeoutInMs)} and was stopped` });
    case "error":
      if (abortSignal?.aborted) throw abortedError(abortSignal);
      if (isKBackupError(ran.error, "Timeout")) {
        return finish("TimedOut", { reason: `the command did not finish within its timeout of ${formatMs(timeoutInMs)}: ${messageOf(ran.error)}` });
      }
      return finish("Failed", { reason: `exec failed: ${messageOf(ran.error)}` });
    case "done": {
      const { exitCode, stdout, stderr } = ran.value;
      const output = { exitCode, stdoutTail: tailOfText(stdout, HOOK_OUTPUT_TAIL_BYTES), stderrTail: tailOfText(stderr, HOOK_OUTPUT_TAIL_BYTES) };
      return exitCode === 0 ? finish("Succeeded", output) : finish("Failed", { ...output, reason: `the command exited with code ${exitCode}` });
    }
  }
}

type Settled<T> = { kind: "done"; value: T } | { kind: "error"; error: unknown } | { kind: "timeout" } | { kind: "aborted" };

/**
 * Runs `work` with a signal that fires when `timeoutInMs` (0: no limit) passes or the caller aborts,
 * and settles on whichever comes first, so a client that ignores its signal cannot hold a hook.
 */
async function withDeadline<T>(
  work: (signal: AbortSignal) => Promise<T>,
  timeoutInMs: number,
  clock: Clock,
  callerSignal: AbortSignal | undefined,
): Promise<Settled<T>> {
  const deadline = new AbortController();
  const timer = new AbortController();
  const signal = callerSignal ? AbortSignal.any([callerSignal, deadline.signal]) : deadline.signal;
  let onAbort: (() => void) | undefined;
  try {
    return await new Promise<Settled<T>>((resolve) => {
      if (timeoutInMs > 0) {
        clock.sleep(timeoutInMs, { abortSignal: timer.signal }).then(
          () => {
            resolve({ kind: "timeout" });
            deadline.abort(new Error(`timed out after ${formatMs(timeoutInMs)}`));
          },
          () => undefined,
        );
      }
      if (callerSignal) {
        onAbort = () => resolve({ kind: "aborted" });
        callerSignal.addEventListener("abort", onAbort, { once: true });
      }
      // An async wrapper, so a client that throws instead of rejecting is caught too.
      (async () => work(signal))().then(
        (value) => resolve({ kind: "done", value }),
        (error: unknown) => resolve({ kind: "error", error }),
      );
    });
  } finally {
    timer.abort();
    if (onAbort) callerSignal?.removeEventListener("abort", onAbort);
  }
}

function formatMs(ms: number): string {
  if (ms === 0) return "no limit";
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
