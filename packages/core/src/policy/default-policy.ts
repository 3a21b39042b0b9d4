import type { BackupPolicy } from "./policy-schema.js";

const operationalStore = () => ({ dataStoreType: "OperationalStore" as const, objectType: "DataStoreInfoBase" as const });
const vaultStore = () => ({ dataStoreType: "VaultStore" as const, objectType: "DataStoreInfoBase" as const });

/**
 * The policy kbackup proposes for a Kubernetes cluster: Azure's default AKS policy (a backup every
 * 4 hours from 09:00 UTC, each kept 7 days in the operational store, tag `Default`), plus a `Daily` tag
 * (priority 25) for the first successful backup of each day, kept 7 days in the operational store and
 * copied at once to the vault store, where it is kept 84 days. A new object on every call.
 */
export function aksDefaultPolicy(): BackupPolicy {
  return {
    policyRules: [
      {
        backupParameters: { backupType: "Incremental", objectType: "AzureBackupParams" },
        trigger: {
          schedule: { repeatingTimeIntervals: ["R/2023-01-04T09:00:00+00:00/PT4H"] },
          taggingCriteria: [
            { tagInfo: { tagName: "Default", id: "Default_" }, taggingPriority: 99, isDefault: true },
            {
              tagInfo: { tagName: "Daily", id: "Daily_" },
              taggingPriority: 25,
              isDefault: false,
              criteria: [{ objectType: "ScheduleBasedBackupCriteria", absoluteCriteria: ["FirstOfDay"] }],
            },
          ],
          objectType: "ScheduleBasedTriggerContext",
        },
        dataStore: operationalStore(),
        name: "BackupHourly",
        objectType: "AzureBackupRule",
      },
      {
        lifecycles: [{ deleteAfter: { objectType: "AbsoluteDeleteOption", duration: "P7D" }, sourceDataStore: operationalStore() }],
        isDefault: true,
        name: "Default",
        objectType: "AzureRetentionRule",
      },
      {
        lifecycles: [
          {
            deleteAfter: { objectType: "AbsoluteDeleteOption", duration: "P7D" },
            sourceDataStore: operationalStore(),
            targetDataStoreCopySettings: [{ copyAfter: { objectType: "ImmediateCopyOption" }, dataStore: vaultStore() }],
          },
          {
            deleteAfter: { objectType: "AbsoluteDeleteOption", duration: "P84D" },
            sourceDataStore: vaultStore(),
            targetDataStoreCopySettings: [],
          },
        ],
        isDefault: false,
        name: "Daily",
        objectType: "AzureRetentionRule",
      },
    ],
    name: "AKSPolicy1",
    datasourceTypes: ["Microsoft.ContainerService/managedClusters"],
    objectType: "BackupPolicy",
  };
}
