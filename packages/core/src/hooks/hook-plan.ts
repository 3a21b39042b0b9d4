import type { KubeObject } from "../kube/types.js";
import { compileLabelSelector } from "../selection/label-selector.js";
import { backupHookFromAnnotations, restoreHookFromAnnotations } from "./hook-annotations.js";
import {
  hookSourceOf,
  type BackupHookEntry,
  type BackupHookResource,
  type PodHook,
  type RestoreHookEntry,
  type RestoreHookResource,
} from "./hook-model.js";

/** The backup hooks of one pod, in the order they run. */
export interface PodBackupHooks {
  pod: KubeObject;
  pre: PodHook[];
  post: PodHook[];
  /** Annotation values that could not be used (each replaced by its default). */
  warnings: string[];
}

/** The restore hooks of one restored pod, in the order they run. */
export interface PodRestoreHooks {
  pod: KubeObject;
  hooks: PodHook[];
  warnings: string[];
}

/**
 * Which backup hooks run in which pod. A hook entry applies to a pod when the pod's namespace is
 * included (an empty `includedNamespaces` or `*` includes all), not excluded, and its labels match
 * the entry's `labelSelector` (none matches all). Hooks keep the order of `hooks`, then of the
 * entries, then of `preHooks`/`postHooks`. Per phase, a pod's Velero annotations
 * (`pre.hook.backup.velero.io/command`, `post.hook.backup.velero.io/command`) take the place of
 * every resource hook of that phase for that pod, as in Velero.
 * Returns only pods with at least one hook, in the order of `pods`. Throws InvalidArgument only for
 * an entry whose `labelSelector` `parseBackupHook` would have refused.
 */
export function planBackupHooks(hooks: readonly BackupHookResource[], pods: readonly KubeObject[]): PodBackupHooks[] {
  const entries = hooks.flatMap((resource) => resource.backupHook.map((entry) => ({ source: hookSourceOf(resource), entry, matches: podMatcher(entry) })));
  const plan: PodBackupHooks[] = [];
  for (const pod of pods) {
    const matching = entries.filter(({ matches }) => matches(pod));
    const fromResources = (phase: "preHooks" | "postHooks") =>
      matching.flatMap(({ source, entry }) => entry[phase].map((exec) => ({ hookName: entry.name, hookSource: source, exec })));
    const pre = backupHookFromAnnotations(pod, "pre");
    const post = backupHookFromAnnotations(pod, "post");
    const planned: PodBackupHooks = {
      pod,
      pre: pre.hook ? [pre.hook] : fromResources("preHooks"),
      post: post.hook ? [post.hook] : fromResources("postHooks"),
      warnings: [...pre.warnings, ...post.warnings],
    };
    if (planned.pre.length > 0 || planned.post.length > 0) plan.push(planned);
  }
  return plan;
}

/**
 * Which restore hooks run in which restored pod: as {@link planBackupHooks}, matched against the
 * pod as created (its target namespace, its labels). A pod with the annotation
 * `post.hook.restore.velero.io/command` runs that hook only. Returns only pods with a hook.
 */
export function planRestoreHooks(hooks: readonly RestoreHookResource[], pods: readonly KubeObject[]): PodRestoreHooks[] {
  const entries = hooks.flatMap((resource) => resource.restoreHook.map((entry) => ({ source: hookSourceOf(resource), entry, matches: podMatcher(entry) })));
  const plan: PodRestoreHooks[] = [];
  for (const pod of pods) {
    const annotated = restoreHookFromAnnotations(pod);
    const hooksOfPod = annotated.hook
      ? [annotated.hook]
      : entries
          .filter(({ matches }) => matches(pod))
          .flatMap(({ source, entry }) => entry.postHooks.map((exec) => ({ hookName: entry.name, hookSource: source, exec })));
    if (hooksOfPod.length > 0) plan.push({ pod, hooks: hooksOfPod, warnings: annotated.warnings });
  }
  return plan;
}

function podMatcher(entry: BackupHookEntry | RestoreHookEntry): (pod: KubeObject) => boolean {
  const included = new Set(entry.includedNamespaces);
  const allNamespaces = included.size === 0 || included.has("*");
  const excluded = new Set(entry.excludedNamespaces);
  const selector = compileLabelSelector(entry.labelSelector, "labelSelector");
  return (pod) => {
    const namespace = pod.metadata.namespace ?? "";
    if (excluded.has(namespace) || (!allNamespaces && !included.has(namespace))) return false;
    return selector.matches(pod.metadata.labels);
  };
}
