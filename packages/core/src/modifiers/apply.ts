import { KBackupError, invalidArgument, isKBackupError, type KBackupErrorCode } from "../errors.js";
import type { KubeObject } from "../kube/types.js";
import { cloneJson, isJsonObject } from "../patch/json-value.js";
import type { ResourceModifierRule, ResourceModifiers, ResourceModifierTarget } from "./compile.js";

/** Options of {@link applyResourceModifiers}. */
export interface ApplyResourceModifiersOptions {
  /** The object's resource type as `<resource>.<group>` (`deployments.apps`), or `<resource>` for the core group (`pods`). */
  groupResource: string;
  /**
   * The object's namespace in the backup, before any namespace mapping; defaults to
   * `object.metadata.namespace`. Empty or absent for cluster-scoped objects.
   */
  namespace?: string | undefined;
}

/** A rule whose conditions matched but whose patches could not be applied. */
export interface ResourceModifierFailure {
  /** The rule's position in `resourceModifierRules`. */
  ruleIndex: number;
  /** The patch engine's code: `Conflict` (a missing path, an index out of range), `Unsupported`, ... */
  code: KBackupErrorCode;
  /** What went wrong, naming the rule's patch: `resourceModifierRules[1].patches[0] (replace "/spec/x"): ...`. */
  message: string;
  error: KBackupError;
}

/** What {@link applyResourceModifiers} returns. */
export interface ApplyResourceModifiersResult {
  /**
   * The object after every rule that applied: a new object sharing nothing with the input when at
   * least one rule applied, else the input object itself.
   */
  object: KubeObject;
  /** The rules that matched but failed, in rule order; each left the object as it was. */
  errors: ResourceModifierFailure[];
  /** The indexes of the rules that matched and changed the object, in order. */
  appliedRules: number[];
}

/**
 * Applies resource modifiers to one object about to be restored, as Velero does: every rule's
 * conditions are checked against the object as it was before any rule, and the patches of the
 * rules that match apply in rule order, each to the result of the previous one.
 *
 * A rule whose JSON Patch `test` operation fails is skipped silently (it is neither applied nor an
 * error). A rule that fails otherwise leaves the object as the previous rules made it, is
 * reported in `errors`, and the following rules still apply. The input is never modified.
 *
 * @throws KBackupError `InvalidArgument` when `object` is not an object or `groupResource` is not a
 *   non-empty string; rule failures never throw.
 */
export function applyResourceModifiers(
  modifiers: ResourceModifiers,
  object: KubeObject,
  options: ApplyResourceModifiersOptions,
): ApplyResourceModifiersResult {
  if (!isJsonObject(object)) throw invalidArgument("object", "must be a Kubernetes object");
  const groupResource = options?.groupResource;
  if (typeof groupResource !== "string" || groupResource === "") {
    throw invalidArgument("groupResource", "must name the resource type, as in deployments.apps or pods");
  }
  const metadata = isJsonObject(object.metadata) ? object.metadata : {};
  const target: ResourceModifierTarget = {
    groupResource,
    namespace: options.namespace ?? (typeof metadata.namespace === "string" ? metadata.namespace : undefined),
    name: typeof metadata.name === "string" ? metadata.name : "",
    labels: isJsonObject(metadata.labels) ? metadata.labels : undefined,
    object,
  };
  const errors: ResourceModifierFailure[] = [];
  const appliedRules: number[] = [];
  // Patched lazily from a private copy, so the result never shares structure with the input.
  let working: KubeObject | undefined;
  for (const rule of modifiers.rules) {
    if (!rule.matches(target)) continue;
    try {
      working = rule.patch(working ?? cloneJson(object));
      appliedRules.push(rule.index);
    } catch (error) {
      if (rule.patchType === "json" && isKBackupError(error, "PreconditionFailed")) continue;
      errors.push(failure(rule, error));
    }
  }
  return { object: appliedRules.length > 0 && working !== undefined ? working : object, errors, appliedRules };
}

function failure(rule: ResourceModifierRule, error: unknown): ResourceModifierFailure {
  const wrapped = isKBackupError(error)
    ? error
    : new KBackupError("Conflict", `resourceModifierRules[${rule.index}]: ${error instanceof Error ? error.message : String(error)}`, {
        field: `resourceModifierRules[${rule.index}]`,
        cause: error,
      });
  return { ruleIndex: rule.index, code: wrapped.code, message: wrapped.message, error: wrapped };
}
