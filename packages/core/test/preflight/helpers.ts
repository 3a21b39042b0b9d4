import { aksDefaultPolicy, type ClusterClient, type ObjectStore, type ObjectStoreCapabilities, type PreflightFinding } from "@kbackup/core";
import type { MemoryClusterPermissionRule } from "@kbackup/adapter-memory";

/** `Error Code target` of each finding, for compact assertions. */
export function summary(findings: readonly PreflightFinding[]): string[] {
  return findings.map((finding) => `${finding.severity} ${finding.code} ${finding.target}`);
}

/** The codes of the findings, each once, sorted. */
export function codes(findings: readonly PreflightFinding[]): string[] {
  return [...new Set(findings.map((finding) => finding.code))].sort();
}

/** The findings of severity Error. */
export function errors(findings: readonly PreflightFinding[]): PreflightFinding[] {
  return findings.filter((finding) => finding.severity === "Error");
}

/** What a read-only identity may do: get, list and watch everything. */
export const READ_ONLY: MemoryClusterPermissionRule[] = [{ verbs: ["get", "list", "watch"], groups: ["*"], resources: ["*"] }];

/** Read everything, and write everything but `exclude` verbs. */
export function allBut(...excluded: string[]): MemoryClusterPermissionRule[] {
  const verbs = ["get", "list", "watch", "create", "patch", "update", "delete"].filter((verb) => !excluded.includes(verb));
  return [{ verbs, groups: ["*"], resources: ["*"] }];
}

/** The same cluster, without `checkAccess`: a client that cannot tell its permissions in advance. */
export function withoutCheckAccess(cluster: ClusterClient): ClusterClient {
  return new Proxy(cluster, {
    get(target, property) {
      if (property === "checkAccess") return undefined;
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** The same store, declaring other capabilities. */
export function withCapabilities(store: ObjectStore, capabilities: Partial<ObjectStoreCapabilities>): ObjectStore {
  const declared = { ...store.capabilities, ...capabilities };
  return new Proxy(store, {
    get(target, property) {
      if (property === "capabilities") return declared;
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** The AKS default policy: 7 days in the operational store, daily copies kept in the vault store. */
export function vaultTierPolicy(): unknown {
  return aksDefaultPolicy();
}
