import { z } from "zod";
import { KBackupError, isKBackupError } from "../errors.js";
import type { ResourceRef } from "../kube/types.js";
import { dns1123LabelProblem } from "../selection/kube-names.js";
import { compileLabelSelector, type LabelSelector } from "../selection/label-selector.js";
import { goDurationProblem, parseGoDuration } from "./go-duration.js";
import {
  DEFAULT_BACKUP_HOOK_ON_ERROR,
  DEFAULT_RESTORE_HOOK_ON_ERROR,
  type BackupHookResource,
  type HookErrorMode,
  type HookExec,
  type RestoreHookResource,
} from "./hook-model.js";

/** The API group of Azure Backup for AKS's hook custom resources. */
export const HOOKS_API_GROUP = "clusterbackup.dataprotection.microsoft.com";
/** The version of the hook custom resources. */
export const HOOKS_API_VERSION = "v1alpha1";
/** `apiVersion` of `BackupHook` and `RestoreHook` objects. */
export const HOOKS_API_VERSION_STRING = `${HOOKS_API_GROUP}/${HOOKS_API_VERSION}`;
/** Where a cluster serves `BackupHook` objects. */
export const BACKUP_HOOKS_RESOURCE: ResourceRef = Object.freeze({ group: HOOKS_API_GROUP, version: HOOKS_API_VERSION, resource: "backuphooks" });
/** Where a cluster serves `RestoreHook` objects. */
export const RESTORE_HOOKS_RESOURCE: ResourceRef = Object.freeze({ group: HOOKS_API_GROUP, version: HOOKS_API_VERSION, resource: "restorehooks" });

/** The kinds of hook resources. */
export type HookResourceKind = "BackupHook" | "RestoreHook";

const duration = z.string({ error: 'must be a Go duration string such as "30s", "5m" or "1h30m"' }).transform((text, ctx) => {
  const problem = goDurationProblem(text);
  if (problem !== undefined) {
    ctx.addIssue({ code: "custom", message: problem });
    return z.NEVER;
  }
  const ms = parseGoDuration(text);
  if (ms < 0) {
    ctx.addIssue({ code: "custom", message: `duration "${text}" must not be negative` });
    return z.NEVER;
  }
  return ms;
});

const container = z
  .string({ error: "must be a container name" })
  .nullish()
  .transform((name) => (name === null || name === undefined || name === "" ? undefined : name));

const command = z
  .array(z.string({ error: "must be a string" }), { error: "must be an array of strings: the program and its arguments" })
  .min(1, { error: "must name at least the program to run" })
  .refine((argv) => argv[0] !== "", { error: "the program (first element) must not be empty" });

const onError = z.enum(["Continue", "Fail"], { error: 'must be "Continue" or "Fail"' }).nullish();

const namespaceName = z.string({ error: "must be a namespace name" }).superRefine((name, ctx) => {
  const problem = name === "*" ? undefined : dns1123LabelProblem(name);
  if (problem !== undefined) ctx.addIssue({ code: "custom", message: `invalid namespace name: ${problem}` });
});

const namespaces = z
  .array(namespaceName, { error: "must be an array of namespace names" })
  .nullish()
  .transform((list) => list ?? []);

// Validated by the selection engine's own rules; its error names the term, kept as a field suffix.
const labelSelector = z.unknown().transform((value, ctx): LabelSelector | undefined => {
  if (value === null || value === undefined) return undefined;
  try {
    compileLabelSelector(value as LabelSelector, "");
    return value as LabelSelector;
  } catch (error) {
    if (!isKBackupError(error, "InvalidArgument")) throw error;
    const suffix = error.field ?? "";
    const message = error.message.startsWith(`${suffix}: `) ? error.message.slice(suffix.length + 2) : error.message;
    ctx.addIssue({ code: "custom", message, params: { fieldSuffix: suffix } });
    return z.NEVER;
  }
}).optional();

const hookName = z.string({ error: "is required: a non-empty string" }).min(1, { error: "must not be empty" });

const backupExec = z.strictObject(
  { container, command, onError, timeout: duration.nullish() },
  { error: "is required: an object { container, command, onError, timeout }" },
);
const restoreExec = z.strictObject(
  { container, command, onError, execTimeout: duration.nullish(), waitTimeout: duration.nullish() },
  { error: "is required: an object { container, command, onError, execTimeout, waitTimeout }" },
);

const hookList = <T extends z.ZodType>(exec: T) =>
  z
    .array(z.strictObject({ exec }), { error: "must be an array of hooks, each { exec: ... }" })
    .nullish()
    .transform((list) => list ?? []);

const backupEntry = z.strictObject({
  name: hookName,
  includedNamespaces: namespaces,
  excludedNamespaces: namespaces,
  labelSelector,
  preHooks: hookList(backupExec),
  postHooks: hookList(backupExec),
});

const restoreEntry = z.strictObject({
  name: hookName,
  includedNamespaces: namespaces,
  excludedNamespaces: namespaces,
  labelSelector,
  postHooks: hookList(restoreExec),
});

const metadata = z.object(
  {
    name: z.string({ error: "is required" }).min(1, { error: "must not be empty" }),
    namespace: z.string({ error: "is required: hook resources are namespaced" }).min(1, { error: "must not be empty" }),
  },
  { error: "is required" },
);

const entries = <T extends z.ZodType>(entry: T, what: string) =>
  z
    .array(entry, { error: `must be an array of ${what}` })
    .nullish()
    .transform((list) => list ?? []);

const resourceOf = <K extends HookResourceKind, S extends z.ZodRawShape>(kind: K, spec: S) =>
  z.object({
    apiVersion: z.literal(HOOKS_API_VERSION_STRING, { error: `must be "${HOOKS_API_VERSION_STRING}"` }),
    kind: z.literal(kind, { error: `must be "${kind}"` }),
    metadata,
    spec: z.strictObject(spec, { error: "is required" }),
  });

const backupHookSchema = resourceOf("BackupHook", { backupHook: entries(backupEntry, "hooks, each with a name") });
const restoreHookSchema = resourceOf("RestoreHook", { restoreHook: entries(restoreEntry, "hooks, each with a name") });

type ParsedExec = { container?: string | undefined; command: string[]; onError?: HookErrorMode | null | undefined };

function execOf(parsed: ParsedExec, defaultOnError: HookErrorMode, timeoutInMs: number | null | undefined, waitTimeoutInMs?: number | null): HookExec {
  const exec: HookExec = { command: parsed.command, onError: parsed.onError ?? defaultOnError };
  if (parsed.container !== undefined) exec.container = parsed.container;
  if (timeoutInMs !== null && timeoutInMs !== undefined) exec.timeoutInMs = timeoutInMs;
  if (waitTimeoutInMs !== null && waitTimeoutInMs !== undefined) exec.waitTimeoutInMs = waitTimeoutInMs;
  return exec;
}

/**
 * Reads a `BackupHook` custom resource (`clusterbackup.dataprotection.microsoft.com/v1alpha1`) as
 * Azure Backup for AKS documents it: `spec.backupHook[]` of `{ name, includedNamespaces,
 * excludedNamespaces, labelSelector, preHooks[], postHooks[] }`, each hook `{ exec: { container,
 * command[], onError, timeout } }`. Empty (null) lists count as absent; `onError` defaults to
 * `Fail`; `timeout` is a Go duration. Unknown fields are refused, so a misspelt `timeout` is not
 * silently ignored.
 * Throws one InvalidArgument for every fault found, naming the resource, the hook and the field:
 * `BackupHook shop/db-hooks: spec.backupHook[0].preHooks[1].exec.timeout: in hook "freeze": ...`.
 */
export function parseBackupHook(object: unknown): BackupHookResource {
  const parsed = parseWith(backupHookSchema, object, "BackupHook", "backupHook");
  return {
    kind: "BackupHook",
    namespace: parsed.metadata.namespace,
    name: parsed.metadata.name,
    backupHook: parsed.spec.backupHook.map((entry) => ({
      name: entry.name,
      includedNamespaces: entry.includedNamespaces,
      excludedNamespaces: entry.excludedNamespaces,
      ...(entry.labelSelector === undefined ? {} : { labelSelector: entry.labelSelector }),
      preHooks: entry.preHooks.map(({ exec }) => execOf(exec, DEFAULT_BACKUP_HOOK_ON_ERROR, exec.timeout)),
      postHooks: entry.postHooks.map(({ exec }) => execOf(exec, DEFAULT_BACKUP_HOOK_ON_ERROR, exec.timeout)),
    })),
  };
}

/**
 * Reads a `RestoreHook` custom resource (`clusterbackup.dataprotection.microsoft.com/v1alpha1`):
 * `spec.restoreHook[]` of `{ name, includedNamespaces, excludedNamespaces, labelSelector,
 * postHooks[] }`, each hook `{ exec: { container, command[], onError, execTimeout, waitTimeout } }`.
 * The namespaces are those of the restored (target) pods. `onError` defaults to `Continue`;
 * `waitTimeout` absent or `0` waits without limit. Throws InvalidArgument as {@link parseBackupHook}.
 */
export function parseRestoreHook(object: unknown): RestoreHookResource {
  const parsed = parseWith(restoreHookSchema, object, "RestoreHook", "restoreHook");
  return {
    kind: "RestoreHook",
    namespace: parsed.metadata.namespace,
    name: parsed.metadata.name,
    restoreHook: parsed.spec.restoreHook.map((entry) => ({
      name: entry.name,
      includedNamespaces: entry.includedNamespaces,
      excludedNamespaces: entry.excludedNamespaces,
      ...(entry.labelSelector === undefined ? {} : { labelSelector: entry.labelSelector }),
      postHooks: entry.postHooks.map(({ exec }) => execOf(exec, DEFAULT_RESTORE_HOOK_ON_ERROR, exec.execTimeout, exec.waitTimeout)),
    })),
  };
}

interface HookFault {
  field: string;
  message: string;
}

function parseWith<T>(schema: z.ZodType<T>, object: unknown, kind: HookResourceKind, listKey: string): T {
  const result = schema.safeParse(object);
  if (result.success) return result.data;
  const resource = `${kind} ${resourceName(object)}`;
  const faults = result.error.issues.flatMap((issue) => faultsOf(issue, object, listKey));
  const [first] = faults;
  const details = { resource, faults };
  if (faults.length === 1 && first !== undefined) {
    throw new KBackupError("InvalidArgument", `${resource}: ${first.field}: ${first.message}`, { field: first.field, details });
  }
  const list = faults.map((fault) => `${fault.field}: ${fault.message}`).join("; ");
  throw new KBackupError("InvalidArgument", `${resource} has ${faults.length} problems: ${list}`, { field: first?.field ?? "spec", details });
}

function faultsOf(issue: z.core.$ZodIssue, object: unknown, listKey: string): HookFault[] {
  const hook = hookNameAt(object, issue.path, listKey);
  const prefix = hook === undefined ? "" : `in hook "${hook}": `;
  const field = pathText(issue.path);
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => ({ field: pathText([...issue.path, key]), message: `${prefix}unknown field` }));
  }
  const suffix = issue.code === "custom" && typeof issue.params?.fieldSuffix === "string" ? issue.params.fieldSuffix : "";
  return [{ field: `${field}${suffix}`, message: `${prefix}${issue.message}` }];
}

function pathText(path: readonly PropertyKey[]): string {
  let text = "";
  for (const segment of path) {
    if (typeof segment === "number") text += `[${segment}]`;
    else text += text === "" ? String(segment) : `.${String(segment)}`;
  }
  return text === "" ? "(the resource)" : text;
}

// The hook an issue is about: `spec.<listKey>[i].name` of the raw object, when it is a string.
function hookNameAt(object: unknown, path: readonly PropertyKey[], listKey: string): string | undefined {
  const [spec, list, index] = path;
  if (spec !== "spec" || list !== listKey || typeof index !== "number") return undefined;
  const entry = at(at(at(object, "spec"), listKey), index);
  const value = at(entry, "name");
  return typeof value === "string" && value !== "" ? value : undefined;
}

function resourceName(object: unknown): string {
  const metadata = at(object, "metadata");
  const namespace = at(metadata, "namespace");
  const name = at(metadata, "name");
  const text = (value: unknown) => (typeof value === "string" && value !== "" ? value : "?");
  return `${text(namespace)}/${text(name)}`;
}

function at(value: unknown, key: string | number): unknown {
  if (typeof value !== "object" || value === null) return undefined;
  return (value as Record<string | number, unknown>)[key];
}
