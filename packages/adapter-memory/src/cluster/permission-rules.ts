import { KBackupError, invalidArgument, type ResourceAccessCheck } from "@kbackup/core";
import { isPlainObject } from "./json-copy.js";

/**
 * One rule of a {@link MemoryCluster}'s permission model, shaped like a Kubernetes RBAC
 * `PolicyRule` with its binding's scope folded in. `"*"` matches anything in each list.
 */
export interface MemoryClusterPermissionRule {
  /** Verbs allowed: get, list, watch, create, patch, update, delete, ... */
  verbs: readonly string[];
  /** API groups; "" is the core group. */
  groups: readonly string[];
  /** Plural resource names; `pods/exec` names a subresource, `*\/status` one of every resource. */
  resources: readonly string[];
  /**
   * Where the rule applies: omitted, everywhere (as a ClusterRoleBinding); given, only to requests
   * in these namespaces (as RoleBindings), never to the cluster scope or to all namespaces at once.
   */
  namespaces?: readonly string[];
}

/** Checks rules given by a caller and returns a copy. InvalidArgument names the field. */
export function checkedPermissionRules(rules: unknown, field: string): MemoryClusterPermissionRule[] {
  if (!Array.isArray(rules)) throw invalidArgument(field, "must be an array of { verbs, groups, resources, namespaces? }");
  return rules.map((rule: unknown, index) => {
    const at = `${field}[${index}]`;
    if (!isPlainObject(rule)) throw invalidArgument(at, "must be an object");
    const list = (name: string, optional = false): string[] | undefined => {
      const value = rule[name];
      if (value === undefined && optional) return undefined;
      if (!Array.isArray(value) || value.some((entry) => typeof entry !== "string")) throw invalidArgument(`${at}.${name}`, "must be an array of strings");
      return [...(value as string[])];
    };
    const namespaces = list("namespaces", true);
    return { verbs: list("verbs")!, groups: list("groups")!, resources: list("resources")!, ...(namespaces ? { namespaces } : {}) };
  });
}

/** Whether any rule allows the request `check` describes. */
export function permits(rules: readonly MemoryClusterPermissionRule[], check: ResourceAccessCheck): boolean {
  return rules.some((rule) => ruleAllows(rule, check));
}

function ruleAllows(rule: MemoryClusterPermissionRule, check: ResourceAccessCheck): boolean {
  if (!matches(rule.verbs, check.verb) || !matches(rule.groups, check.group)) return false;
  if (!rule.resources.some((resource) => resourceMatches(resource, check))) return false;
  if (rule.namespaces === undefined) return true;
  return check.namespace !== undefined && check.namespace !== "" && matches(rule.namespaces, check.namespace);
}

function matches(allowed: readonly string[], value: string): boolean {
  return allowed.includes("*") || allowed.includes(value);
}

function resourceMatches(ruleResource: string, check: ResourceAccessCheck): boolean {
  if (ruleResource === "*") return true;
  const full = check.subresource ? `${check.resource}/${check.subresource}` : check.resource;
  if (ruleResource === full) return true;
  return check.subresource !== undefined && ruleResource === `*/${check.subresource}`;
}

/** The error a request the rules refuse fails with, worded as Kubernetes' RBAC words it. */
export function permissionDenied(identity: string, check: ResourceAccessCheck): KBackupError {
  const resource = check.subresource ? `${check.resource}/${check.subresource}` : check.resource;
  const where = check.namespace ? `in the namespace "${check.namespace}"` : "at the cluster scope";
  return new KBackupError("PermissionDenied", `Cluster ${identity}: cannot ${check.verb} resource "${resource}" in API group "${check.group}" ${where}.`, {
    details: { ...check },
  });
}

/** Checks one access question from a caller. InvalidArgument names the field. */
export function checkedAccessCheck(check: unknown, field: string): ResourceAccessCheck {
  if (!isPlainObject(check)) throw invalidArgument(field, "must be { group, resource, verb, subresource?, namespace? }");
  for (const name of ["group", "resource", "verb"]) {
    if (typeof check[name] !== "string") throw invalidArgument(`${field}.${name}`, "must be a string");
  }
  if (check["resource"] === "" || check["verb"] === "") throw invalidArgument(field, "resource and verb must not be empty");
  for (const name of ["subresource", "namespace"]) {
    if (check[name] !== undefined && typeof check[name] !== "string") throw invalidArgument(`${field}.${name}`, "must be a string");
  }
  return check as unknown as ResourceAccessCheck;
}
