import { z } from "zod";
import type { KBackupError } from "../errors.js";
import { faultsError, type Fault } from "./faults.js";
import { dns1123LabelProblem, dns1123SubdomainProblem } from "./kube-names.js";
import { labelSelectorProblem } from "./label-selector.js";
import { resourceTypeSpecProblem } from "./resource-type.js";
import { SYSTEM_NAMESPACES } from "./selection.js";

/** A reference to a namespaced custom resource, such as a `BackupHook`: Azure's `NamespacedNameResource`. */
export interface NamespacedName {
  name: string;
  namespace: string;
}

/** A string schema whose values `problem` accepts (it returns `undefined` for a good value). */
function checkedString(problem: (value: string) => string | undefined): z.ZodString {
  return z.string().superRefine((value, ctx) => {
    const message = problem(value);
    if (message !== undefined) ctx.addIssue({ code: "custom", message });
  });
}

/** A namespace name: an RFC 1123 label of at most 63 characters. */
export const namespaceNameSchema = checkedString((value) => {
  const problem = dns1123LabelProblem(value);
  return problem === undefined ? undefined : `invalid namespace name: ${problem}`;
});

/** An object name: an RFC 1123 subdomain of at most 253 characters. */
export const objectNameSchema = checkedString((value) => {
  const problem = dns1123SubdomainProblem(value);
  return problem === undefined ? undefined : `invalid object name: ${problem}`;
});

/** A Kubernetes label selector string; the empty string is refused, since in a list of alternatives it would select everything. */
export const labelSelectorStringSchema = checkedString((value) =>
  value.trim() === "" ? "an empty label selector would select every object: leave labelSelectors out instead" : labelSelectorProblem(value),
);

/** A resource type in one of the forms `resolveResourceTypes` accepts (whether the cluster serves it is checked there). */
export const resourceTypeStringSchema = checkedString(resourceTypeSpecProblem);

/** Azure's `NamespacedNameResource`: `{ name, namespace }`, no other field. */
export const namespacedNameSchema = z.strictObject({ name: objectNameSchema, namespace: namespaceNameSchema });

/** The fields that both Azure's backup datasource parameters and its restore criteria use to select objects. */
export const selectionShape = {
  includeClusterScopeResources: z.boolean().default(true),
  includedNamespaces: z.array(namespaceNameSchema).optional(),
  excludedNamespaces: z.array(namespaceNameSchema).optional(),
  includedResourceTypes: z.array(resourceTypeStringSchema).optional(),
  excludedResourceTypes: z.array(resourceTypeStringSchema).optional(),
  labelSelectors: z.array(labelSelectorStringSchema).optional(),
};

type IssueSink = Pick<z.RefinementCtx, "addIssue">;

/**
 * Checks across the selection fields of a parsed-so-far value (which may be malformed, as this runs
 * after other faults): a namespace or resource type both included and excluded, and a system
 * namespace named as included (it is never backed up or restored).
 */
export function addSelectionIssues(value: unknown, ctx: IssueSink): void {
  if (!isRecord(value)) return;
  const included = strings(value.includedNamespaces);
  strings(value.excludedNamespaces).forEach((namespace, index) => {
    if (namespace !== undefined && included.includes(namespace)) {
      ctx.addIssue({ code: "custom", path: ["excludedNamespaces", index], message: `namespace "${namespace}" is both included and excluded` });
    }
  });
  included.forEach((namespace, index) => {
    if (namespace !== undefined && SYSTEM_NAMESPACES.includes(namespace)) {
      ctx.addIssue({
        code: "custom",
        path: ["includedNamespaces", index],
        message: `"${namespace}" is a system namespace, which is never backed up or restored`,
      });
    }
  });
  const includedTypes = strings(value.includedResourceTypes);
  strings(value.excludedResourceTypes).forEach((type, index) => {
    if (type !== undefined && includedTypes.includes(type)) {
      ctx.addIssue({ code: "custom", path: ["excludedResourceTypes", index], message: `resource type "${type}" is both included and excluded` });
    }
  });
}

/**
 * Parses `input` with `schema`, returning the typed, defaulted value, or throwing ONE InvalidArgument
 * that lists every fault as `field.path[i]: message`.
 */
export function parseOrThrow<T extends z.ZodType>(schema: T, input: unknown, field: string): z.output<T> {
  const result = schema.safeParse(input, {
    error: (issue) => (issue.code === "invalid_type" && issue.input === undefined ? "is required" : undefined),
  });
  if (result.success) return result.data;
  throw issuesError(result.error.issues, field);
}

function issuesError(issues: readonly z.core.$ZodIssue[], field: string): KBackupError {
  const faults: Fault[] = [];
  for (const issue of issues) {
    const path = pathOf(field, issue.path);
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) faults.push({ field: pathOf(path, [key]), message: "unknown field" });
    } else if (issue.code === "invalid_key") {
      faults.push({ field: path, message: issue.issues.map((inner) => inner.message).join("; ") || issue.message });
    } else {
      faults.push({ field: path, message: issue.message });
    }
  }
  return faultsError(field, faults);
}

/** `field.a.b[2]` from a zod path. */
function pathOf(field: string, path: readonly PropertyKey[]): string {
  let out = field;
  for (const part of path) out += typeof part === "number" ? `[${part}]` : `.${String(part)}`;
  return out;
}

/** True for a plain JSON object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The list's items, with `undefined` in place of anything that is not a string (so indexes still match). */
function strings(value: unknown): Array<string | undefined> {
  return Array.isArray(value) ? value.map((item: unknown) => (typeof item === "string" ? item : undefined)) : [];
}
