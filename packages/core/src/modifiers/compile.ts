import { KBackupError, isKBackupError } from "../errors.js";
import type { KubeObject } from "../kube/types.js";
import { applyJsonPatch, applyMergePatch, strategicMergePatch, type JsonPatchOperation } from "../patch/index.js";
import { cloneJson, isJsonObject, jsonEqual } from "../patch/json-value.js";
import { faultsError } from "../selection/faults.js";
import type { Labels } from "../selection/index.js";
import { Checker, NO_VALUE } from "./document-checker.js";
import type { ResourceModifierOperation, ResourceModifierRuleDocument } from "./document.js";
import type { GlobMatcher } from "./glob.js";
import { readYamlText } from "./yaml-text.js";

/** Which of the three patch lists a rule carries. */
export type ResourceModifierPatchType = "json" | "merge" | "strategic";

/** The facts about one object that a rule's conditions look at. */
export interface ResourceModifierTarget {
  /** `<resource>.<group>`, or `<resource>` for the core group: `deployments.apps`, `pods`. */
  groupResource: string;
  /** The object's namespace in the backup (before any namespace mapping); empty or absent when cluster-scoped. */
  namespace: string | undefined;
  name: string;
  labels: Labels | undefined;
  /** The object as it was before any rule changed it. */
  object: KubeObject;
}

/** One validated rule, compiled: globs, regular expression, selector and patches are ready to use. */
export interface ResourceModifierRule {
  /** The rule's position in `resourceModifierRules`. */
  readonly index: number;
  /** The rule as written (a copy). */
  readonly source: ResourceModifierRuleDocument;
  readonly patchType: ResourceModifierPatchType;
  /** True when every condition of the rule holds for `target`. Never throws. */
  matches(target: ResourceModifierTarget): boolean;
  /**
   * Applies the rule's patches in order and returns the result; `object` is not modified (the
   * result may share parts with it).
   * @throws KBackupError `PreconditionFailed` when a JSON Patch `test` operation fails; for other
   *   failures the code of the patch engine (`Conflict`, `Unsupported`, ...), the message naming
   *   the rule's patch (`resourceModifierRules[1].patches[0] ...`).
   */
  patch(object: KubeObject): KubeObject;
}

/** A validated, compiled resource modifiers document: what `parseResourceModifiers` returns. */
export interface ResourceModifiers {
  readonly version: "v1";
  readonly rules: readonly ResourceModifierRule[];
}

const ROOT_FIELDS = ["version", "resourceModifierRules"];
const RULE_FIELDS = ["conditions", "patches", "mergePatches", "strategicPatches"];
const CONDITION_FIELDS = ["groupResource", "namespaces", "resourceNameRegex", "labelSelector", "matches"];
const JSON_PATCH_FIELDS = ["operation", "path", "from", "value"];
const PATCH_DATA_FIELDS = ["patchData"];
const MATCH_FIELDS = ["path", "value"];
const OPERATIONS: readonly ResourceModifierOperation[] = ["add", "remove", "replace", "copy", "move", "test"];
const PATCH_LISTS = { patches: "json", mergePatches: "merge", strategicPatches: "strategic" } as const;

type PatchList = keyof typeof PATCH_LISTS;
type Patcher = (object: KubeObject) => KubeObject;
type Predicate = (target: ResourceModifierTarget) => boolean;

/**
 * Validates a resource modifiers document already read into data (from YAML, JSON or code) and
 * compiles it. Every fault is collected before throwing, so a user fixes them all at once.
 *
 * @throws KBackupError `InvalidArgument` listing each fault as `path: problem`
 *   (`resourceModifierRules[2].conditions.resourceNameRegex: ...`), with `details.faults`:
 *   a `version` other than `v1`, an unknown field, an empty `resourceModifierRules`, a rule without
 *   `conditions.groupResource`, a rule with none or more than one of `patches`, `mergePatches` and
 *   `strategicPatches`, an unsupported operation, an empty or malformed `path`, an invalid glob,
 *   regular expression, label selector, JSON value or patch text.
 */
export function compileResourceModifiers(document: unknown): ResourceModifiers {
  const checker = new Checker();
  const root = checker.object(document, "", ROOT_FIELDS);
  const rules: ResourceModifierRule[] = [];
  if (root !== undefined) {
    if (root["version"] === undefined || root["version"] === null) checker.fault("version", "is required; use v1");
    else if (root["version"] !== "v1") checker.fault("version", `unsupported version ${JSON.stringify(root["version"])}; only v1 is supported`);
    const list = root["resourceModifierRules"];
    if (list === undefined || list === null) checker.fault("resourceModifierRules", "is required");
    else if (!Array.isArray(list)) checker.fault("resourceModifierRules", "must be a list of rules");
    else if (list.length === 0) checker.fault("resourceModifierRules", "must hold at least one rule");
    else {
      list.forEach((rule: unknown, index: number) => {
        const compiled = compileRule(rule, index, checker);
        if (compiled !== undefined) rules.push(compiled);
      });
    }
  }
  if (checker.faults.length > 0) throw faultsError("resourceModifiers", checker.faults);
  return Object.freeze({ version: "v1", rules: Object.freeze(rules) });
}

function compileRule(value: unknown, index: number, checker: Checker): ResourceModifierRule | undefined {
  const field = `resourceModifierRules[${index}]`;
  const faultsBefore = checker.faults.length;
  const rule = checker.object(value, field, RULE_FIELDS);
  if (rule === undefined) return undefined;
  const matches = compileConditions(rule["conditions"], `${field}.conditions`, checker);
  const given = (Object.keys(PATCH_LISTS) as PatchList[]).filter((name) => rule[name] !== undefined && rule[name] !== null);
  let patchType: ResourceModifierPatchType | undefined;
  let patch: Patcher | undefined;
  if (given.length === 0) {
    checker.fault(field, "needs one of patches, mergePatches or strategicPatches");
  } else if (given.length > 1) {
    checker.fault(field, `has ${given.join(" and ")}; a rule takes exactly one of patches, mergePatches or strategicPatches`);
  } else {
    const list = given[0]!;
    patchType = PATCH_LISTS[list];
    const listField = `${field}.${list}`;
    const items = checker.nonEmptyList(rule[list], listField);
    if (items !== undefined) {
      patch = list === "patches" ? compileJsonPatches(items, listField, checker) : compilePatchData(items, listField, list, checker);
    }
  }
  if (checker.faults.length > faultsBefore || matches === undefined || patch === undefined || patchType === undefined) return undefined;
  return Object.freeze({
    index,
    source: cloneJson(rule) as unknown as ResourceModifierRuleDocument,
    patchType,
    matches,
    patch,
  });
}

function compileConditions(value: unknown, field: string, checker: Checker): Predicate | undefined {
  const conditions = value === undefined || value === null ? checker.missing(field) : checker.object(value, field, CONDITION_FIELDS);
  if (conditions === undefined) return undefined;
  const predicates: Predicate[] = [];

  const groupResource = checker.requiredString(conditions["groupResource"], `${field}.groupResource`);
  if (groupResource !== undefined) {
    const matcher = checker.glob(groupResource, `${field}.groupResource`, ".");
    if (matcher !== undefined) predicates.push((target) => matcher(target.groupResource));
  }

  const namespaces = checker.optionalList(conditions["namespaces"], `${field}.namespaces`);
  if (namespaces !== undefined && namespaces.length > 0) {
    const matchers: GlobMatcher[] = [];
    namespaces.forEach((namespace, i) => {
      const pattern = checker.requiredString(namespace, `${field}.namespaces[${i}]`);
      const matcher = pattern === undefined ? undefined : checker.glob(pattern, `${field}.namespaces[${i}]`);
      if (matcher !== undefined) matchers.push(matcher);
    });
    // Velero skips the namespace condition for cluster-scoped objects.
    predicates.push(({ namespace }) => namespace === undefined || namespace === "" || matchers.some((matches) => matches(namespace)));
  }

  const labelSelector = conditions["labelSelector"];
  if (labelSelector !== undefined && labelSelector !== null) {
    const selector = checker.labelSelector(labelSelector, `${field}.labelSelector`);
    if (selector !== undefined && !selector.matchesEverything) predicates.push((target) => selector.matches(target.labels));
  }

  const nameRegex = checker.optionalString(conditions["resourceNameRegex"], `${field}.resourceNameRegex`);
  if (nameRegex !== undefined) {
    const regexp = checker.regexp(nameRegex, `${field}.resourceNameRegex`);
    if (regexp !== undefined) predicates.push((target) => regexp.test(target.name));
  }

  const matches = checker.optionalList(conditions["matches"], `${field}.matches`);
  matches?.forEach((match, i) => {
    const predicate = compileMatch(match, `${field}.matches[${i}]`, checker);
    if (predicate !== undefined) predicates.push(predicate);
  });

  return (target) => {
    for (let i = 0; i < predicates.length; i++) if (!predicates[i]!(target)) return false;
    return true;
  };
}

function compileMatch(value: unknown, field: string, checker: Checker): Predicate | undefined {
  const match = checker.object(value, field, MATCH_FIELDS);
  if (match === undefined) return undefined;
  const tokens = checker.pointer(match["path"], `${field}.path`);
  const expected = checker.patchValue(match["value"], `${field}.value`);
  if (tokens === undefined || expected === NO_VALUE) return undefined;
  return ({ object }) => {
    const found = lookUp(object, tokens);
    return found !== NO_VALUE && jsonEqual(found, expected);
  };
}

function compileJsonPatches(items: unknown[], field: string, checker: Checker): Patcher {
  const operations: JsonPatchOperation[] = [];
  items.forEach((item, i) => {
    const itemField = `${field}[${i}]`;
    const patch = checker.object(item, itemField, JSON_PATCH_FIELDS);
    if (patch === undefined) return;
    const operation = checker.requiredString(patch["operation"], `${itemField}.operation`);
    const known = operation !== undefined && (OPERATIONS as readonly string[]).includes(operation);
    if (operation !== undefined && !known) {
      checker.fault(`${itemField}.operation`, `unsupported operation ${JSON.stringify(operation)}; use one of ${OPERATIONS.join(", ")}`);
    }
    const path = checker.pointer(patch["path"], `${itemField}.path`) && (patch["path"] as string);
    const value = checker.patchValue(patch["value"], `${itemField}.value`);
    if (!known) return;
    if (operation === "copy" || operation === "move") {
      const from = checker.pointer(patch["from"], `${itemField}.from`, true) && (patch["from"] as string);
      if (path !== undefined && from !== undefined) operations.push({ op: operation, from, path });
      return;
    }
    if (path === undefined || value === NO_VALUE) return;
    if (operation === "remove") operations.push({ op: "remove", path });
    else operations.push({ op: operation as "add" | "replace" | "test", path, value });
  });
  return (object) => {
    try {
      return applyJsonPatch(object, operations) as KubeObject;
    } catch (error) {
      throw renamed(error, field);
    }
  };
}

function compilePatchData(items: unknown[], field: string, list: "mergePatches" | "strategicPatches", checker: Checker): Patcher {
  const patches: Record<string, unknown>[] = [];
  items.forEach((item, i) => {
    const itemField = `${field}[${i}]`;
    const entry = checker.object(item, itemField, PATCH_DATA_FIELDS);
    if (entry === undefined) return;
    const text = checker.requiredString(entry["patchData"], `${itemField}.patchData`);
    if (text === undefined) return;
    let data: unknown;
    try {
      data = readYamlText(text);
    } catch (error) {
      checker.fault(`${itemField}.patchData`, (error as Error).message);
      return;
    }
    if (!isJsonObject(data)) checker.fault(`${itemField}.patchData`, "must be a YAML or JSON object (a map of fields to change)");
    else patches.push(data);
  });
  if (list === "mergePatches") {
    return (object) => patches.reduce<KubeObject>((current, patch) => applyMergePatch(current, patch) as KubeObject, object);
  }
  return (object) =>
    patches.reduce<KubeObject>((current, patch, i) => {
      try {
        return strategicMergePatch(current, patch, { apiVersion: current.apiVersion, kind: current.kind }) as KubeObject;
      } catch (error) {
        throw renamed(error, `${field}[${i}]`);
      }
    }, object);
}

/**
 * The patch engine's error, named after the rule's patch and keeping its code: JSON Patch errors
 * name `operations[i]`, which becomes `<field>[i]`.
 */
function renamed(error: unknown, field: string): unknown {
  if (!isKBackupError(error)) return error;
  let where = field;
  let message = error.message;
  const operation = /^operations\[(\d+)\]\s*/.exec(message);
  if (operation) {
    where = `${field}[${operation[1]}]`;
    message = message.slice(operation[0].length);
  }
  const text = message.startsWith("(") ? `${where} ${message}` : `${where}: ${message}`;
  return new KBackupError(error.code, text, { field: where, cause: error, details: error.details });
}

/** The value at a parsed JSON Pointer, or NO_VALUE when any step of it is missing. */
function lookUp(document: unknown, tokens: readonly string[]): unknown {
  let current: unknown = document;
  for (const token of tokens) {
    if (Array.isArray(current)) {
      if (!/^(?:0|[1-9][0-9]*)$/.test(token)) return NO_VALUE;
      const index = Number(token);
      if (index >= current.length) return NO_VALUE;
      current = current[index];
    } else if (isJsonObject(current)) {
      if (!Object.hasOwn(current, token)) return NO_VALUE;
      current = current[token];
    } else {
      return NO_VALUE;
    }
  }
  return current;
}
