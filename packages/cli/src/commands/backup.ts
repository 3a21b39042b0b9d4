import {
  aksDefaultPolicy,
  invalidArgument,
  isKBackupError,
  type BackupInstance,
  type BackupJob,
  type BackupVault,
  type ClusterClient,
  type KubernetesClusterBackupDatasourceParametersInput,
  type StorageRedundancy,
  type VaultSettingsInput,
} from "@kbackup/core";
import { exitCodeOfStatus, type ExitCode } from "../exit-codes.js";
import { findingsReport, printRefusal, refusedFindings } from "../findings-report.js";
import { instanceNameFor } from "../instance-choice.js";
import { choiceOption } from "../option-values.js";
import { ProgressBar } from "../progress-bar.js";
import type { Session } from "../session.js";
import { jobSummary } from "./job-summary.js";

/** The options of `kbackup backup`. */
export interface BackupCommandOptions {
  instance?: string;
  includeNamespaces?: string[];
  excludeNamespaces?: string[];
  includeResourceTypes?: string[];
  excludeResourceTypes?: string[];
  labelSelector?: string[];
  snapshotVolumes?: boolean;
  clusterResources?: boolean;
  policy?: string;
  tag?: string[];
  redundancy?: string;
  softDelete?: string;
  immutability?: string;
  skipValidation?: boolean;
}

/** The name of the policy `--policy default` makes: Azure's default AKS policy with a daily vault copy. */
export const DEFAULT_POLICY = "default";

/**
 * The settings of a vault made on first use, from `--redundancy`, `--soft-delete` and `--immutability`.
 * @throws InvalidArgument naming the option for a value that is not one of its choices.
 */
export function vaultSettings(options: BackupCommandOptions): VaultSettingsInput {
  const redundancy = options.redundancy ? choiceOption<StorageRedundancy>("--redundancy", options.redundancy, ["LocallyRedundant", "ZoneRedundant", "GeoRedundant"]) : undefined;
  const softDelete = options.softDelete ? choiceOption("--soft-delete", options.softDelete, ["Off", "On", "AlwaysOn"] as const) : undefined;
  const immutability = options.immutability ? choiceOption("--immutability", options.immutability, ["Disabled", "Unlocked", "Locked"] as const) : undefined;
  return {
    ...(redundancy ? { storageSettings: [{ datastoreType: "VaultStore" as const, type: redundancy }] } : {}),
    ...(softDelete || immutability
      ? { securitySettings: { ...(softDelete ? { softDeleteSettings: { state: softDelete } } : {}), ...(immutability ? { immutabilitySettings: { state: immutability } } : {}) } }
      : {}),
  };
}

function tags(pairs: readonly string[] | undefined): Record<string, string> | undefined {
  if (!pairs || pairs.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf("=");
    if (at <= 0) throw invalidArgument("--tag", `"${pair}" is not a key=value pair`);
    out[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return out;
}

/**
 * Checks that `--policy` names a policy the vault has, or `default`, which backup makes.
 * @throws InvalidArgument for another policy the vault (none when `vault` is undefined) lacks.
 */
export function checkPolicyOption(vaultName: string, vault: BackupVault | undefined, name: string | undefined): void {
  if (name === undefined || name === DEFAULT_POLICY || vault?.getPolicy(name)) return;
  throw invalidArgument("--policy", `vault ${vaultName} has no policy named ${name}; \`--policy ${DEFAULT_POLICY}\` makes Azure's default AKS policy`);
}

async function ensurePolicy(vault: BackupVault, name: string | undefined): Promise<void> {
  checkPolicyOption(vault.name, vault, name);
  if (name === undefined || vault.getPolicy(name)) return;
  try {
    await vault.createPolicy(DEFAULT_POLICY, aksDefaultPolicy());
  } catch (error) {
    if (!isKBackupError(error, "AlreadyExists")) throw error;
  }
}

/** Azure's `KubernetesClusterBackupDatasourceParameters` from the selection options. */
export function datasourceParameters(options: BackupCommandOptions): KubernetesClusterBackupDatasourceParametersInput {
  return {
    ...(options.includeNamespaces?.length ? { includedNamespaces: options.includeNamespaces } : {}),
    ...(options.excludeNamespaces?.length ? { excludedNamespaces: options.excludeNamespaces } : {}),
    ...(options.includeResourceTypes?.length ? { includedResourceTypes: options.includeResourceTypes } : {}),
    ...(options.excludeResourceTypes?.length ? { excludedResourceTypes: options.excludeResourceTypes } : {}),
    ...(options.labelSelector?.length ? { labelSelectors: options.labelSelector } : {}),
    snapshotVolumes: options.snapshotVolumes !== false,
    includeClusterScopeResources: options.clusterResources !== false,
  };
}

/**
 * The backup instance `name` of the vault, when it has one that backups of `cluster` with these
 * options may use; undefined when the vault has none of that name.
 * @throws InvalidArgument when it protects another cluster (`--instance`), or other namespaces
 *   than `--include-namespaces` gives (its selection is fixed on its first backup).
 */
export function existingInstance(vault: BackupVault | undefined, name: string, cluster: ClusterClient, options: BackupCommandOptions): BackupInstance | undefined {
  const instance = vault?.getInstance(name);
  if (!instance) return undefined;
  if (instance.cluster.name !== cluster.identity.name) {
    throw invalidArgument("--instance", `backup instance ${name} protects cluster ${instance.cluster.name}, not ${cluster.identity.name} of this context; choose another --instance`);
  }
  const given = options.includeNamespaces?.length ? [...options.includeNamespaces].sort() : undefined;
  const had = instance.datasourceParameters.includedNamespaces ? [...instance.datasourceParameters.includedNamespaces].sort() : undefined;
  if (given && JSON.stringify(given) !== JSON.stringify(had)) {
    throw invalidArgument("--include-namespaces", `backup instance ${name} protects ${had ? had.join(", ") : "all namespaces"}; its selection is kept from its first backup, so name another --instance for another selection`);
  }
  return instance;
}

/**
 * `kbackup backup`: protects the cluster of the kubeconfig context as a backup instance on first use
 * (making the vault too), then takes a backup now. Exit 0 Completed, 2 CompletedWithWarnings, 1 Failed
 * or refused by the preflight checks of protection (unless `--skip-validation`).
 */
export async function backupCommand(session: Session, options: BackupCommandOptions): Promise<ExitCode> {
  const settings = vaultSettings(options);
  const parameterTags = tags(options.tag);
  const cluster = await session.cluster();
  const snapshotProvider = options.snapshotVolumes === false ? undefined : await session.snapshotProvider(cluster);
  const vault = await session.openVault({ createWith: settings, cluster, ...(snapshotProvider ? { snapshotProvider } : {}) });
  const name = options.instance ?? instanceNameFor(cluster.identity.name);
  let instance = existingInstance(vault, name, cluster, options);
  if (!instance) {
    await ensurePolicy(vault, options.policy);
    try {
      instance = await vault.protect({
        name,
        cluster,
        ...(snapshotProvider ? { snapshotProvider } : {}),
        operationalStore: await session.store(),
        datasourceParameters: datasourceParameters(options),
        ...(options.policy ? { policyName: options.policy } : {}),
        ...(options.skipValidation ? { skipValidation: true } : {}),
      });
    } catch (error) {
      const findings = refusedFindings(error);
      if (!findings) throw error;
      const report = findingsReport({ operation: "backup", check: "validateForProtection", instance: name, cluster: cluster.identity.name }, findings);
      return printRefusal(session, `Protecting cluster ${cluster.identity.name} as backup instance ${name}`, report);
    }
    if (!session.options.json) session.note(`Protecting cluster ${cluster.identity.name} as backup instance ${name} in vault ${vault.name}.`);
  }
  const bar = new ProgressBar(session.io, session.showsProgress);
  let job: BackupJob;
  try {
    job = await instance.backupNow({
      ...(parameterTags ? { tags: parameterTags } : {}),
      onProgress: (progress) => bar.update(progress.phase, progress.itemsBackedUp, undefined, progress.currentResourceType ?? ""),
    });
  } finally {
    bar.done();
  }
  if (session.options.json) session.printJson(job);
  else session.print(jobSummary(job));
  return exitCodeOfStatus(job.status);
}
