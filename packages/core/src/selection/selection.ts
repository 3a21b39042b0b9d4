import type { ApiResource, KubeObject } from "../kube/types.js";
import { groupResourceOf } from "../kube/types.js";
import { parseLabelSelector, type CompiledLabelSelector } from "./label-selector.js";
import { resolveResourceTypes } from "./resource-type.js";

/** Namespaces that are never backed up nor restored: they belong to the cluster, not to its workloads. */
export const SYSTEM_NAMESPACES: readonly string[] = Object.freeze(["kube-system", "kube-public", "kube-node-lease"]);

/** Labels that, set to `"true"` on an object, keep it out of every backup and restore. */
export const EXCLUDE_FROM_BACKUP_LABELS: readonly string[] = Object.freeze(["kbackup.io/exclude-from-backup", "velero.io/exclude-from-backup"]);

/**
 * The selection fields shared by Azure's `KubernetesClusterBackupDatasourceParameters` (backup) and
 * `KubernetesClusterRestoreCriteria` (restore): either can be passed to {@link compileSelection} as it is.
 */
export interface SelectionCriteria {
  /** Select cluster-scoped objects; absent: true, as the schemas default it. */
  includeClusterScopeResources?: boolean;
  includedNamespaces?: readonly string[];
  excludedNamespaces?: readonly string[];
  includedResourceTypes?: readonly string[];
  excludedResourceTypes?: readonly string[];
  labelSelectors?: readonly string[];
}

/** What selection needs to know of a resource type: discovery's `ApiResource`, or the same facts read from a recovery point. */
export type SelectableResource = Pick<ApiResource, "group" | "resource" | "namespaced">;

/** Where {@link compileSelection}'s errors point: the field the criteria came from. */
export interface CompileSelectionOptions {
  /** Prefix of error paths, such as `datasourceParameters` or `restoreCriteria`; default `selection`. */
  field?: string;
}

/**
 * A compiled selection: the one predicate the backup engine (over a live cluster) and the restore
 * engine (over the items of a recovery point) both ask. Resource types are compared by group and
 * resource, never by version or object identity. Every method is pure and cheap.
 */
export interface Selection {
  /**
   * True when objects of this type may be selected, so a backup lists it:
   * - a type in `excludedResourceTypes` never is;
   * - `namespaces` (core group) always is otherwise, since a selected namespace's object is selected;
   * - a cluster-scoped type is only with `includeClusterScopeResources`;
   * - with a non-empty `includedResourceTypes`, only the types it names are.
   */
  selectsResourceType(resource: SelectableResource): boolean;
  /**
   * True when objects in this namespace may be selected: never a {@link SYSTEM_NAMESPACES} one,
   * never an excluded one, and, with a non-empty `includedNamespaces`, only an included one.
   */
  selectsNamespace(namespace: string): boolean;
  /**
   * True when the object is selected. In order:
   * - an object with `metadata.deletionTimestamp` (being deleted) never is;
   * - an object labelled `kbackup.io/exclude-from-backup=true` or `velero.io/exclude-from-backup=true` never is;
   * - a Namespace object is when its type is not excluded and {@link selectsNamespace} accepts its
   *   name, whatever `includeClusterScopeResources`, `includedResourceTypes` and `labelSelectors`
   *   say (a restore needs the namespaces of what it restores);
   * - otherwise its type must pass {@link selectsResourceType}; a namespaced object's namespace must
   *   pass {@link selectsNamespace} (one without a namespace is not selected);
   * - and with `labelSelectors`, its labels must match at least one of them.
   */
  selectsObject(resource: SelectableResource, object: KubeObject): boolean;
  /**
   * The label selector string a backup can pass to the cluster's `list` for this type, so the
   * server filters: the one selector when there is exactly one and the type is not `namespaces`;
   * `undefined` otherwise (no filter, or several that only {@link selectsObject} can OR).
   */
  listLabelSelector(resource: SelectableResource): string | undefined;
  /** The label selectors, compiled; an object must match one of them (none: no label filter). */
  readonly labelSelectors: readonly CompiledLabelSelector[];
}

/**
 * Compiles selection criteria against the resource types at hand: for a backup, the cluster's
 * discovery; for a restore, the target cluster's discovery together with the types the recovery
 * point holds. Empty lists do not restrict, like absent ones.
 * Throws InvalidArgument (paths under `options.field`) for a label selector that does not parse, or
 * for included or excluded resource types that are malformed, unknown or ambiguous (one error for
 * all of them, from `resolveResourceTypes`).
 */
export function compileSelection(
  criteria: SelectionCriteria,
  discovered: readonly ApiResource[],
  options: CompileSelectionOptions = {},
): Selection {
  const field = options.field ?? "selection";
  const includeClusterScope = criteria.includeClusterScopeResources ?? true;
  const includedNamespaces = nonEmptySet(criteria.includedNamespaces);
  const excludedNamespaces = new Set([...SYSTEM_NAMESPACES, ...(criteria.excludedNamespaces ?? [])]);
  const includedTypes = nonEmptySet(
    criteria.includedResourceTypes && resolveResourceTypes(criteria.includedResourceTypes, discovered, `${field}.includedResourceTypes`).map(groupResourceOf),
  );
  const excludedTypes = new Set(
    criteria.excludedResourceTypes && resolveResourceTypes(criteria.excludedResourceTypes, discovered, `${field}.excludedResourceTypes`).map(groupResourceOf),
  );
  const labelSelectors = Object.freeze(
    (criteria.labelSelectors ?? []).map((text, index) => parseLabelSelector(text, `${field}.labelSelectors[${index}]`)),
  );
  const [onlySelector, secondSelector] = labelSelectors;
  const matchesLabels =
    onlySelector === undefined
      ? () => true
      : secondSelector === undefined
        ? onlySelector.matches
        : (labels: Record<string, string> | undefined) => labelSelectors.some((selector) => selector.matches(labels));

  // Keyed by the resource object: callers pass the same ApiResource for every object of a type.
  const typeDecisions = new WeakMap<SelectableResource, boolean>();

  function decideType(resource: SelectableResource): boolean {
    const name = groupResourceOf(resource);
    if (excludedTypes.has(name)) return false;
    if (isNamespaceType(resource)) return true;
    if (!resource.namespaced && !includeClusterScope) return false;
    return includedTypes === undefined || includedTypes.has(name);
  }

  function selectsResourceType(resource: SelectableResource): boolean {
    let decision = typeDecisions.get(resource);
    if (decision === undefined) {
      decision = decideType(resource);
      typeDecisions.set(resource, decision);
    }
    return decision;
  }

  function selectsNamespace(namespace: string): boolean {
    return !excludedNamespaces.has(namespace) && (includedNamespaces === undefined || includedNamespaces.has(namespace));
  }

  function selectsObject(resource: SelectableResource, object: KubeObject): boolean {
    const metadata = object.metadata;
    if (metadata.deletionTimestamp !== undefined && metadata.deletionTimestamp !== null) return false;
    const labels = metadata.labels;
    if (labels !== undefined && isExcludedByLabel(labels)) return false;
    if (!selectsResourceType(resource)) return false;
    if (isNamespaceType(resource)) return typeof metadata.name === "string" && selectsNamespace(metadata.name);
    if (resource.namespaced) {
      const namespace = metadata.namespace;
      if (typeof namespace !== "string" || !selectsNamespace(namespace)) return false;
    }
    return matchesLabels(labels);
  }

  function listLabelSelector(resource: SelectableResource): string | undefined {
    return onlySelector !== undefined && secondSelector === undefined && !isNamespaceType(resource) ? onlySelector.toString() : undefined;
  }

  return Object.freeze({ selectsResourceType, selectsNamespace, selectsObject, listLabelSelector, labelSelectors });
}

function isNamespaceType(resource: SelectableResource): boolean {
  return resource.group === "" && resource.resource === "namespaces";
}

function isExcludedByLabel(labels: Readonly<Record<string, string>>): boolean {
  for (const key of EXCLUDE_FROM_BACKUP_LABELS) if (labels[key] === "true") return true;
  return false;
}

function nonEmptySet(values: readonly string[] | undefined): Set<string> | undefined {
  return values === undefined || values.length === 0 ? undefined : new Set(values);
}
