import type { BackupPolicy } from "../policy/index.js";

/** True when a policy puts recovery points in the vault store: a lifecycle copies to it or keeps them there. */
export function policyUsesVaultStore(policy: BackupPolicy): boolean {
  return policy.policyRules.some(
    (rule) =>
      rule.objectType === "AzureRetentionRule" &&
      rule.lifecycles.some(
        (lifecycle) =>
          lifecycle.sourceDataStore.dataStoreType === "VaultStore" ||
          (lifecycle.targetDataStoreCopySettings ?? []).some((setting) => setting.dataStore.dataStoreType === "VaultStore"),
      ),
  );
}
