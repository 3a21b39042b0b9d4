import type { KubeObject } from "../kube/types.js";
import { objectPath } from "../kube/types.js";
import { goDurationProblem, parseGoDuration } from "./go-duration.js";
import { DEFAULT_BACKUP_HOOK_ON_ERROR, DEFAULT_RESTORE_HOOK_ON_ERROR, type HookErrorMode, type HookExec, type PodHook } from "./hook-model.js";

/** Prefixes of the pod annotations that carry Velero backup hooks, by phase. */
export const BACKUP_HOOK_ANNOTATION_PREFIXES = Object.freeze({ pre: "pre.hook.backup.velero.io", post: "post.hook.backup.velero.io" });

/** Velero's first spelling of pre hook annotations, still honoured when the `pre.` form is absent. */
export const LEGACY_PRE_HOOK_ANNOTATION_PREFIX = "hook.backup.velero.io";

/** Prefix of the pod annotations that carry a Velero exec restore hook. */
export const RESTORE_HOOK_ANNOTATION_PREFIX = "post.hook.restore.velero.io";

/** The `hookSource` of hooks read from annotations. */
export const ANNOTATION_HOOK_SOURCE = "annotation";

/** A hook read from a pod's annotations (absent when the pod has no command annotation), and what was wrong with them. */
export interface AnnotationHook {
  hook?: PodHook;
  /** Values that could not be used, each replaced by its default. */
  warnings: string[];
}

/**
 * The backup hook of `phase` that the pod's Velero annotations define: `<prefix>/command` (a JSON
 * array of strings, or a single command string), `/container` (default: the pod's first
 * container), `/on-error` (`Fail` or `Continue`, default `Fail`) and `/timeout` (a Go duration,
 * default 30 s). Pre hooks also accept the legacy prefix `hook.backup.velero.io` when no
 * `pre.hook.backup.velero.io/command` is set. Without a command annotation there is no hook.
 * Never throws: an unusable value is replaced by its default, with a warning.
 */
export function backupHookFromAnnotations(pod: KubeObject, phase: "pre" | "post"): AnnotationHook {
  const annotations = pod.metadata.annotations ?? {};
  let prefix: string = BACKUP_HOOK_ANNOTATION_PREFIXES[phase];
  if (phase === "pre" && !hasCommand(annotations, prefix) && hasCommand(annotations, LEGACY_PRE_HOOK_ANNOTATION_PREFIX)) {
    prefix = LEGACY_PRE_HOOK_ANNOTATION_PREFIX;
  }
  return readHook(pod, prefix, DEFAULT_BACKUP_HOOK_ON_ERROR, { timeout: "timeoutInMs" });
}

/**
 * The exec restore hook that the pod's Velero annotations define: `post.hook.restore.velero.io/command`
 * (a JSON array or a single command string), `/container` (default: the first container),
 * `/on-error` (default `Continue`), `/exec-timeout` (default 30 s) and `/wait-timeout` (default:
 * no limit). Never throws: an unusable value is replaced by its default, with a warning.
 */
export function restoreHookFromAnnotations(pod: KubeObject): AnnotationHook {
  return readHook(pod, RESTORE_HOOK_ANNOTATION_PREFIX, DEFAULT_RESTORE_HOOK_ON_ERROR, { "exec-timeout": "timeoutInMs", "wait-timeout": "waitTimeoutInMs" });
}

function hasCommand(annotations: Record<string, string>, prefix: string): boolean {
  const command = annotations[`${prefix}/command`];
  return typeof command === "string" && command.trim() !== "";
}

function readHook(
  pod: KubeObject,
  prefix: string,
  defaultOnError: HookErrorMode,
  timeouts: Record<string, "timeoutInMs" | "waitTimeoutInMs">,
): AnnotationHook {
  const annotations = pod.metadata.annotations ?? {};
  const warnings: string[] = [];
  if (!hasCommand(annotations, prefix)) return { warnings };
  const where = `pod ${objectPath({ namespace: pod.metadata.namespace, name: pod.metadata.name ?? "" })}`;
  const warn = (key: string, problem: string) => warnings.push(`${where}: annotation ${prefix}/${key}: ${problem}`);

  const exec: HookExec = { command: commandOf(annotations[`${prefix}/command`]!, (problem) => warn("command", problem)), onError: defaultOnError };
  const container = annotations[`${prefix}/container`];
  if (container !== undefined && container !== "") exec.container = container;
  const onError = annotations[`${prefix}/on-error`];
  if (onError === "Fail" || onError === "Continue") exec.onError = onError;
  else if (onError !== undefined && onError !== "") warn("on-error", `"${onError}" is neither Fail nor Continue; using ${defaultOnError}`);
  for (const [key, target] of Object.entries(timeouts)) {
    const text = annotations[`${prefix}/${key}`];
    if (text === undefined || text === "") continue;
    const problem = goDurationProblem(text) ?? (parseGoDuration(text) < 0 ? `duration "${text}" must not be negative` : undefined);
    if (problem === undefined) exec[target] = parseGoDuration(text);
    else warn(key, `${problem}; using the default`);
  }
  return { hook: { hookName: prefix, hookSource: ANNOTATION_HOOK_SOURCE, exec }, warnings };
}

// Velero's rule: a value starting with `[` is a JSON array of arguments, anything else one program.
function commandOf(text: string, warn: (problem: string) => void): string[] {
  const trimmed = text.trim();
  if (!trimmed.startsWith("[")) return [trimmed];
  try {
    const parsed: unknown = JSON.parse(trimmed);
    if (Array.isArray(parsed) && parsed.length > 0 && parsed.every((part) => typeof part === "string") && parsed[0] !== "") return parsed as string[];
  } catch {
    // Falls through to the single-command reading, as Velero does.
  }
  warn(`"${text}" is not a JSON array of strings; running it as a single command`);
  return [trimmed];
}
