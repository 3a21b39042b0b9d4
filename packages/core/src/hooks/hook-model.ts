import type { LabelSelector } from "../selection/label-selector.js";

/** What a failed hook does to the rest: `Fail` stops the pod's remaining hooks and fails the job; `Continue` records a warning. */
export type HookErrorMode = "Continue" | "Fail";

/** When a hook runs: before the volume snapshots, right after them, or in a pod a restore created. */
export type HookPhase = "pre" | "post" | "restore";

/** How one hook execution ended. */
export type HookOutcome = "Succeeded" | "Failed" | "TimedOut" | "Skipped";

/** How long a hook's command may run when it sets no timeout: 30 seconds (Velero's default). */
export const DEFAULT_HOOK_TIMEOUT_IN_MS = 30_000;

/** How long a restore hook waits for its container when it sets no wait timeout: 0, without limit. */
export const DEFAULT_HOOK_WAIT_TIMEOUT_IN_MS = 0;

/** Pods whose hooks run at the same time, by default, in a backup or a restore. */
export const DEFAULT_HOOK_PARALLELISM = 8;

/** Bytes kept of a hook's stdout and of its stderr each: the last 4 KiB. */
export const HOOK_OUTPUT_TAIL_BYTES = 4096;

/** `onError` of a backup hook that sets none: `Fail`, so a failed freeze fails the backup. */
export const DEFAULT_BACKUP_HOOK_ON_ERROR: HookErrorMode = "Fail";

/** `onError` of a restore hook that sets none: `Continue`. */
export const DEFAULT_RESTORE_HOOK_ON_ERROR: HookErrorMode = "Continue";

/** One command to run in a container, with its error mode and timeouts resolved from its source. */
export interface HookExec {
  /** The container; absent: the pod's first container. */
  container?: string;
  /** The argv, run as it is, never through a shell. Never empty. */
  command: readonly string[];
  onError: HookErrorMode;
  /** Longest run of the command; absent or 0: {@link DEFAULT_HOOK_TIMEOUT_IN_MS}. */
  timeoutInMs?: number;
  /** Restore hooks only: longest wait for the container to run; absent or 0: without limit. */
  waitTimeoutInMs?: number;
}

/** A hook that applies to one pod: its command and where it came from. */
export interface PodHook {
  /** The hook's `name` in its resource, or the annotation prefix (`pre.hook.backup.velero.io`). */
  hookName: string;
  /** `BackupHook ns/name`, `RestoreHook ns/name`, or `annotation`. */
  hookSource: string;
  exec: HookExec;
}

/** One entry of a `BackupHook`'s `spec.backupHook`: which pods, and the commands before and after the snapshot. */
export interface BackupHookEntry {
  name: string;
  /** Namespaces whose pods the hook applies to; empty: all (`*` also means all). */
  includedNamespaces: readonly string[];
  excludedNamespaces: readonly string[];
  /** Absent: every pod of the selected namespaces. */
  labelSelector?: LabelSelector;
  preHooks: readonly HookExec[];
  postHooks: readonly HookExec[];
}

/** One entry of a `RestoreHook`'s `spec.restoreHook`: which restored pods, and the commands to run in them. */
export interface RestoreHookEntry {
  name: string;
  /** Target (restored) namespaces whose pods the hook applies to; empty: all (`*` also means all). */
  includedNamespaces: readonly string[];
  excludedNamespaces: readonly string[];
  labelSelector?: LabelSelector;
  postHooks: readonly HookExec[];
}

/** A parsed `BackupHook` custom resource. */
export interface BackupHookResource {
  kind: "BackupHook";
  namespace: string;
  name: string;
  backupHook: readonly BackupHookEntry[];
}

/** A parsed `RestoreHook` custom resource. */
export interface RestoreHookResource {
  kind: "RestoreHook";
  namespace: string;
  name: string;
  restoreHook: readonly RestoreHookEntry[];
}

/** What every hook execution leaves on the job: what ran where, how it ended and the tail of its output. */
export interface HookExecutionRecord {
  hookName: string;
  /** `BackupHook ns/name`, `RestoreHook ns/name`, or `annotation`. */
  hookSource: string;
  phase: HookPhase;
  pod: { namespace: string; name: string };
  /** The container it ran in ("" when the pod has none to default to). */
  container: string;
  command: readonly string[];
  onError: HookErrorMode;
  /** Present when the command ran to its end. */
  exitCode?: number;
  /** Time spent on the hook, waiting for its container included. */
  durationInMs: number;
  /** The last {@link HOOK_OUTPUT_TAIL_BYTES} bytes of stdout. */
  stdoutTail: string;
  /** The last {@link HOOK_OUTPUT_TAIL_BYTES} bytes of stderr. */
  stderrTail: string;
  outcome: HookOutcome;
  /** Why it did not succeed. */
  reason?: string;
}

/** `BackupHook ns/name` or `RestoreHook ns/name`: how records name a resource. */
export function hookSourceOf(resource: Pick<BackupHookResource | RestoreHookResource, "kind" | "namespace" | "name">): string {
  return `${resource.kind} ${resource.namespace}/${resource.name}`;
}
