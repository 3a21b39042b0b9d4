import { dns1123LabelProblem, dns1123SubdomainProblem } from "@kbackup/core";
import type { ServedResource } from "./served-resource.js";

const RBAC_GROUP = "rbac.authorization.k8s.io";
/** The characters the API server appends to a `generateName`: no vowels, so no words. */
const GENERATE_NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789";

/**
 * Kubernetes' rule for the names of a type, or `undefined` for a valid name: RBAC names are path
 * segments (`system:aggregate-to-view`), namespaces RFC 1123 labels, everything else RFC 1123
 * subdomains.
 */
export function namingProblem(served: ServedResource, name: string): string | undefined {
  if (served.api.group === RBAC_GROUP) {
    if (name === "." || name === ".." || /[/%]/.test(name)) return `"${name}" may not be "." or ".." nor contain "/" or "%"`;
    return undefined;
  }
  if (served.api.group === "" && served.api.kind === "Namespace") return dns1123LabelProblem(name);
  return dns1123SubdomainProblem(name);
}

/** A name made from `generateName` as the API server makes it: the prefix and five random characters. */
export function generatedName(prefix: string): string {
  let suffix = "";
  for (let index = 0; index < 5; index++) suffix += GENERATE_NAME_CHARS[Math.floor(Math.random() * GENERATE_NAME_CHARS.length)];
  return prefix + suffix;
}

/** Finalizers that Kubernetes' own controllers complete; the memory cluster completes them at once. */
function isSystemFinalizer(finalizer: string): boolean {
  return (
    finalizer === "kubernetes" ||
    finalizer === "orphan" ||
    finalizer === "foregroundDeletion" ||
    finalizer === "customresourcecleanup.apiextensions.k8s.io" ||
    finalizer.startsWith("kubernetes.io/")
  );
}

/** The finalizers that hold a deleted object: those no Kubernetes controller completes. */
export function pendingFinalizers(finalizers: unknown): string[] {
  return Array.isArray(finalizers) ? finalizers.filter((finalizer): finalizer is string => typeof finalizer === "string" && !isSystemFinalizer(finalizer)) : [];
}
