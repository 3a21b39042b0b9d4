import { invalidArgument } from "../errors.js";
import type { ApiResource } from "../kube/types.js";
import { groupResourceOf } from "../kube/types.js";
import { faultsError, type Fault } from "./faults.js";

/**
 * A resource type as a user writes it, parsed. `name` is a bare word: a plural resource
 * (`secrets`), a kind (`Secret`, `deployment`) or a short name from discovery (`cm`, `deploy`).
 * Names, groups and kinds are kept lower case: they are matched case-insensitively.
 */
export type ResourceTypeSpec =
  | { form: "name"; name: string }
  | { form: "resource.group"; resource: string; group: string }
  | { form: "version/kind"; version: string; kind: string }
  | { form: "group/version/kind"; group: string; version: string; kind: string };

/** The forms a resource type may take, with examples: the hint every resource type error ends with. */
export const RESOURCE_TYPE_FORMS =
  "write a resource type as a plural resource (secrets), <resource>.<group> (deployments.apps, storageclasses.storage.k8s.io), " +
  "<version>/<Kind> for the core group (v1/Secret), <group>/<version>/<Kind> (apps/v1/Deployment), " +
  "a kind (Secret, deployment) or a short name (cm, deploy)";

const NAME = "[a-z0-9](?:[-a-z0-9]*[a-z0-9])?";
const GROUP = `${NAME}(?:\\.${NAME})*`;
const VERSION = "v[0-9]+(?:(?:alpha|beta)[0-9]+)?";
const KIND = "[a-z][a-z0-9]*";
const NAME_FORM = new RegExp(`^(${NAME})$`);
const RESOURCE_GROUP_FORM = new RegExp(`^(${NAME})\\.(${GROUP})$`);
const VERSION_KIND_FORM = new RegExp(`^(${VERSION})/(${KIND})$`);
const GROUP_VERSION_KIND_FORM = new RegExp(`^(${GROUP})/(${VERSION})/(${KIND})$`);

/** Parses a resource type written in one of the {@link RESOURCE_TYPE_FORMS}; `undefined` for any other text. */
export function tryParseResourceTypeSpec(spec: string): ResourceTypeSpec | undefined {
  if (typeof spec !== "string" || spec.length > 512) return undefined;
  const text = spec.toLowerCase();
  let match = NAME_FORM.exec(text);
  if (match) return { form: "name", name: match[1]! };
  match = RESOURCE_GROUP_FORM.exec(text);
  if (match) return { form: "resource.group", resource: match[1]!, group: match[2]! };
  match = VERSION_KIND_FORM.exec(text);
  if (match) return { form: "version/kind", version: match[1]!, kind: match[2]! };
  match = GROUP_VERSION_KIND_FORM.exec(text);
  if (match) return { form: "group/version/kind", group: match[1]!, version: match[2]!, kind: match[3]! };
  return undefined;
}

/** Checks a resource type's form (not whether the cluster serves it): `undefined` when well formed, else the problem. */
export function resourceTypeSpecProblem(spec: string): string | undefined {
  return tryParseResourceTypeSpec(spec) === undefined ? `"${spec}" is not a resource type: ${RESOURCE_TYPE_FORMS}` : undefined;
}

/**
 * Parses a resource type written in one of the {@link RESOURCE_TYPE_FORMS}.
 * Throws InvalidArgument on `field` for any other text.
 */
export function parseResourceTypeSpec(spec: string, field: string = "resourceType"): ResourceTypeSpec {
  const parsed = tryParseResourceTypeSpec(spec);
  if (parsed === undefined) throw invalidArgument(field, `"${spec}" is not a resource type: ${RESOURCE_TYPE_FORMS}`);
  return parsed;
}

/**
 * The discovered resource types that `specs` name, each once, in the order first named.
 *
 * - `<resource>.<group>` and `<group>/<version>/<Kind>` match that group only; `<version>/<Kind>`
 *   matches the core group only. The version only needs to be well formed: discovery lists each
 *   group at its preferred version, and an object is the same at every version of its group.
 * - A bare name is tried as a plural resource, then as a kind, then as a short name; the first
 *   that matches anything wins. When it matches in several groups, the core group's wins (as
 *   kubectl's `events` means the core events); otherwise it is ambiguous.
 *
 * Throws one InvalidArgument listing every spec (as `field[i]`) that is malformed, unknown or
 * ambiguous, with the valid forms and examples.
 */
export function resolveResourceTypes(specs: readonly string[], discovered: readonly ApiResource[], field: string): ApiResource[] {
  const resolved = new Set<ApiResource>();
  const faults: Fault[] = [];
  specs.forEach((spec, index) => {
    const path = `${field}[${index}]`;
    const parsed = tryParseResourceTypeSpec(spec);
    if (parsed === undefined) {
      faults.push({ field: path, message: `"${spec}" is not a resource type: ${RESOURCE_TYPE_FORMS}` });
      return;
    }
    const matches = matchSpec(parsed, discovered);
    if (matches.length === 0) {
      faults.push({ field: path, message: `unknown resource type "${spec}": the cluster serves no such type; ${RESOURCE_TYPE_FORMS}` });
    } else if (matches.length > 1) {
      const names = matches.map((resource) => groupResourceOf(resource)).join(", ");
      faults.push({ field: path, message: `resource type "${spec}" is ambiguous: it names ${names}; write it as <resource>.<group>` });
    } else {
      resolved.add(matches[0]!);
    }
  });
  if (faults.length > 0) throw faultsError(field, faults);
  return [...resolved];
}

function matchSpec(spec: ResourceTypeSpec, discovered: readonly ApiResource[]): ApiResource[] {
  switch (spec.form) {
    case "resource.group":
      return discovered.filter((resource) => resource.group === spec.group && resource.resource.toLowerCase() === spec.resource);
    case "version/kind":
      return discovered.filter((resource) => resource.group === "" && resource.kind.toLowerCase() === spec.kind);
    case "group/version/kind":
      return discovered.filter((resource) => resource.group === spec.group && resource.kind.toLowerCase() === spec.kind);
    case "name": {
      const name = spec.name;
      const rules: Array<(resource: ApiResource) => boolean> = [
        (resource) => resource.resource.toLowerCase() === name,
        (resource) => resource.kind.toLowerCase() === name,
        (resource) => (resource.shortNames ?? []).some((short) => short.toLowerCase() === name),
      ];
      for (const rule of rules) {
        const matches = discovered.filter(rule);
        if (matches.length === 0) continue;
        const core = matches.filter((resource) => resource.group === "");
        return core.length > 0 ? core : matches;
      }
      return [];
    }
  }
}
