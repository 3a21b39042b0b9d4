import type { PodBackupHooks } from "./hook-plan.js";
import { podClaimNames } from "./pod-facts.js";

/**
 * The entries of a backup hook plan whose pod mounts the PersistentVolumeClaim `claim`
 * (`spec.volumes[].persistentVolumeClaim.claimName` in the claim's namespace): the pods to freeze
 * around a snapshot of that claim's volume. Empty when no planned pod mounts it.
 */
export function podHooksForClaim(plan: readonly PodBackupHooks[], claim: { namespace: string; name: string }): PodBackupHooks[] {
  return plan.filter((entry) => entry.pod.metadata.namespace === claim.namespace && podClaimNames(entry.pod).includes(claim.name));
}
