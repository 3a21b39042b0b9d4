import { collect, invalidArgument, type BackupInstance, type ClusterClient, type RestoreItemResult, type RestoreOptions, type SnapshotProvider } from "@kbackup/core";
import { EXIT_CODES, exitCodeOfStatus, type ExitCode } from "../exit-codes.js";
import { findingsReport, printRefusal, refusedFindings } from "../findings-report.js";
import { chooseInstance } from "../instance-choice.js";
import { choiceOption, mappingOption } from "../option-values.js";
import { ProgressBar } from "../progress-bar.js";
import type { Session } from "../session.js";
import { textTable } from "../text-table.js";
import { jobSummary } from "./job-summary.js";

/** The options of `kbackup restore` and `kbackup plan-restore`. */
export interface RestoreCommandOptions {
  instance?: string;
  recoveryPoint?: string;
  targetKubeconfig?: string;
  targetContext?: string;
  namespaceMapping?: string[];
  includeNamespaces?: string[];
  excludeNamespaces?: string[];
  includeResourceTypes?: string[];
  excludeResourceTypes?: string[];
  labelSelector?: string[];
  conflictPolicy?: string;
  volumeData?: boolean;
  clusterResources?: boolean;
  dataStore?: string;
  snapshotNamespace?: string;
  skipValidation?: boolean;
}

/** Azure's `KubernetesClusterRestoreCriteria` from the options. */
export function restoreCriteria(options: RestoreCommandOptions): Record<string, unknown> {
  const namespaceMappings = mappingOption("--namespace-mapping", options.namespaceMapping);
  return {
    ...(options.includeNamespaces?.length ? { includedNamespaces: options.includeNamespaces } : {}),
    ...(options.excludeNamespaces?.length ? { excludedNamespaces: options.excludeNamespaces } : {}),
    ...(options.includeResourceTypes?.length ? { includedResourceTypes: options.includeResourceTypes } : {}),
    ...(options.excludeResourceTypes?.length ? { excludedResourceTypes: options.excludeResourceTypes } : {}),
    ...(options.labelSelector?.length ? { labelSelectors: options.labelSelector } : {}),
    ...(namespaceMappings ? { namespaceMappings } : {}),
    conflictPolicy: options.conflictPolicy ? choiceOption("--conflict-policy", options.conflictPolicy, ["Skip", "Patch"] as const) : "Skip",
    persistentVolumeRestoreMode: options.volumeData === false ? "RestoreWithoutVolumeData" : "RestoreWithVolumeData",
    includeClusterScopeResources: options.clusterResources !== false,
  };
}

/** The recovery point `--recovery-point` names (`latest`, the default: the newest restorable one). */
async function recoveryPointOf(instance: BackupInstance, requested: string | undefined): Promise<string> {
  if (requested !== undefined && requested !== "latest") return requested;
  const points = (await collect(instance.listRecoveryPoints())).filter((point) => point.recoveryPointState === "Completed");
  const latest = points.at(-1);
  if (!latest) throw invalidArgument("--recovery-point", `backup instance ${instance.name} has no recovery point to restore`);
  return latest.recoveryPointId;
}

/** A restore as the options ask for it: the instance, the recovery point, the criteria and where to. */
export interface PreparedRestore {
  instance: BackupInstance;
  recoveryPointId: string;
  criteria: Record<string, unknown>;
  /** The target cluster (and its snapshot provider, and the data store) as `restore` takes them. */
  options: RestoreOptions & { targetCluster: ClusterClient };
}

/**
 * Reads the restore options, opens the target cluster and the vault, and picks the instance and the
 * recovery point (`latest`: the newest completed one).
 * @throws InvalidArgument for a bad option, no instance to choose, or no recovery point to restore;
 *   NotFound when the store holds no such vault.
 */
export async function prepareRestore(session: Session, options: RestoreCommandOptions): Promise<PreparedRestore> {
  const criteria = restoreCriteria(options);
  const dataStore = options.dataStore ? choiceOption("--data-store", options.dataStore, ["OperationalStore", "VaultStore"] as const) : undefined;
  const target: ClusterClient = await session.cluster(options.targetKubeconfig ?? session.options.kubeconfig, options.targetContext ?? session.options.context);
  const provider: SnapshotProvider | undefined = options.volumeData === false ? undefined : await session.snapshotProvider(target, options.snapshotNamespace);
  const vault = await session.openVault({ cluster: target, ...(provider ? { snapshotProvider: provider } : {}) });
  const instance = chooseInstance(vault, options.instance);
  const recoveryPointId = await recoveryPointOf(instance, options.recoveryPoint);
  return { instance, recoveryPointId, criteria, options: { targetCluster: target, ...(provider ? { targetSnapshotProvider: provider } : {}), ...(dataStore ? { dataStore } : {}) } };
}

function itemName(item: RestoreItemResult): string {
  return `${item.namespace ? `${item.namespace}/` : ""}${item.name}${item.sourceNamespace ? ` (from ${item.sourceNamespace})` : ""}`;
}

/**
 * `kbackup restore`: restores a recovery point (the latest by default) of an instance into the
 * cluster of `--target-kubeconfig`/`--target-context` (the global kubeconfig and context by default).
 * Exit 0 Completed, 2 CompletedWithWarnings, 1 Failed or refused by the preflight checks (unless
 * `--skip-validation`).
 */
export async function restoreCommand(session: Session, options: RestoreCommandOptions): Promise<ExitCode> {
  const prepared = await prepareRestore(session, options);
  const bar = new ProgressBar(session.io, session.showsProgress);
  let job;
  try {
    job = await prepared.instance.restore(prepared.recoveryPointId, prepared.criteria, {
      ...prepared.options,
      ...(options.skipValidation ? { skipValidation: true } : {}),
      onProgress: (progress) => bar.update("restoring", progress.itemsProcessed, progress.itemsConsidered, progress.currentResourceType ?? ""),
    });
  } catch (error) {
    const findings = refusedFindings(error);
    if (!findings) throw error;
    const target = prepared.options.targetCluster.identity.name;
    const report = findingsReport({ operation: "restore", check: "validateRestore", instance: prepared.instance.name, cluster: target, recoveryPointId: prepared.recoveryPointId }, findings);
    return printRefusal(session, `Restoring recovery point ${prepared.recoveryPointId} of ${prepared.instance.name} into ${target}`, report);
  } finally {
    bar.done();
  }
  if (session.options.json) session.printJson(job);
  else {
    session.print(jobSummary(job));
    const failed = ((job.extendedInfo.itemResults ?? []) as RestoreItemResult[]).filter((item) => item.outcome === "Failed");
    if (failed.length > 0) session.print(textTable(["failed", "kind", "reason"], failed.map((item) => [itemName(item), item.kind, item.reason])));
  }
  return exitCodeOfStatus(job.status);
}

/** `kbackup plan-restore`: what a restore would do with each item, writing nothing. Exit 0, or 2 with warnings. */
export async function planRestoreCommand(session: Session, options: RestoreCommandOptions): Promise<ExitCode> {
  const prepared = await prepareRestore(session, options);
  const plan = await prepared.instance.planRestore(prepared.recoveryPointId, prepared.criteria, prepared.options);
  if (session.options.json) {
    session.printJson(plan);
  } else {
    session.print(`Plan to restore ${prepared.instance.name} from recovery point ${plan.recoveryPointId} (nothing is written):`);
    session.print(textTable(["action", "kind", "name", "reason"], plan.items.map((item) => [item.outcome, item.kind, itemName(item), item.reason])));
    session.print(`${plan.counts.created} to create, ${plan.counts.patched} to patch, ${plan.counts.skipped} to skip, ${plan.counts.failed} to fail.`);
    for (const warning of plan.warnings) session.print(`warning: ${warning}`);
  }
  return plan.warnings.length > 0 || plan.counts.failed > 0 ? EXIT_CODES.warnings : EXIT_CODES.ok;
}
