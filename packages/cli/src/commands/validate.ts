import { aksDefaultPolicy, BackupVault, type PreflightFinding, type VaultSettingsInput } from "@kbackup/core";
import type { ExitCode } from "../exit-codes.js";
import { countsText, exitCodeOfFindings, findingsReport, findingsTable, type FindingsReport } from "../findings-report.js";
import { instanceNameFor } from "../instance-choice.js";
import type { Session } from "../session.js";
import { wrapText } from "../text-table.js";
import { checkPolicyOption, DEFAULT_POLICY, datasourceParameters, existingInstance, vaultSettings, type BackupCommandOptions } from "./backup.js";
import { prepareRestore, type RestoreCommandOptions } from "./restore.js";

/**
 * The vault whose `validateForProtection` judges a first backup: the store's, or, when the store has
 * no such vault yet or it lacks the `default` policy `--policy default` would make, one in this
 * process with the settings and the policy that backup would give it, so that validating makes
 * nothing in the store.
 */
async function protectingVault(session: Session, found: BackupVault | undefined, settings: VaultSettingsInput, policy: string | undefined): Promise<BackupVault> {
  checkPolicyOption(session.options.vault, found, policy);
  if (found && (policy === undefined || found.getPolicy(policy))) return found;
  if (!found && !session.options.json) session.note(`The store holds no vault named ${session.options.vault} yet: checking as \`kbackup backup\` would make it.`);
  const vault = new BackupVault({ name: session.options.vault, ...(found ? found.settings : settings) });
  if (policy === DEFAULT_POLICY) await vault.createPolicy(DEFAULT_POLICY, aksDefaultPolicy());
  return vault;
}

/** Prints a report: JSON with `--json`, else what was checked, the findings table and the counts. */
function printReport(session: Session, title: string, report: FindingsReport): ExitCode {
  if (session.options.json) {
    session.printJson(report);
  } else {
    session.print(wrapText(title, session.width).join("\n"));
    if (report.findings.length > 0) session.print(findingsTable(report.findings, session.width));
    const verdict = report.errors > 0 ? `the ${report.operation} would be refused or fail` : `ready to ${report.operation === "backup" ? "back up" : "restore"}`;
    session.print(`${countsText(report)}: ${verdict}.`);
  }
  return exitCodeOfFindings(report);
}

/**
 * `kbackup validate backup`: the preflight checks of a backup of the context's cluster, with the
 * options `kbackup backup` takes: `validateForBackup` for a protected instance, else
 * `validateForProtection`. Writes nothing but the checks' store probes. Exit 0 when no finding is an
 * Error, 1 when one is.
 */
export async function validateBackupCommand(session: Session, options: BackupCommandOptions): Promise<ExitCode> {
  const settings = vaultSettings(options);
  const parameters = datasourceParameters(options);
  const cluster = await session.cluster();
  const snapshotProvider = options.snapshotVolumes === false ? undefined : await session.snapshotProvider(cluster);
  const found = await session.findVault({ cluster, ...(snapshotProvider ? { snapshotProvider } : {}) });
  const name = options.instance ?? instanceNameFor(cluster.identity.name);
  const instance = existingInstance(found, name, cluster, options);
  let findings: PreflightFinding[];
  if (instance) {
    findings = await instance.validateForBackup();
  } else {
    const vault = await protectingVault(session, found, settings, options.policy);
    findings = await vault.validateForProtection({
      name,
      cluster,
      ...(snapshotProvider ? { snapshotProvider } : {}),
      operationalStore: await session.store(),
      datasourceParameters: parameters,
      ...(options.policy ? { policyName: options.policy } : {}),
    });
  }
  const report = findingsReport({ operation: "backup", check: instance ? "validateForBackup" : "validateForProtection", instance: name, cluster: cluster.identity.name }, findings);
  const what = instance ? `a backup of instance ${name}` : `protecting cluster ${cluster.identity.name} as backup instance ${name}`;
  return printReport(session, `Preflight checks of ${what} in vault ${session.options.vault}:`, report);
}

/**
 * `kbackup validate restore <recoveryPointId>`: the preflight checks of the restore `kbackup restore`
 * would make with the same options (`latest` for the newest recovery point), writing nothing. Exit 0
 * when no finding is an Error, 1 when one is.
 */
export async function validateRestoreCommand(session: Session, recoveryPointId: string, options: RestoreCommandOptions): Promise<ExitCode> {
  const prepared = await prepareRestore(session, { ...options, recoveryPoint: recoveryPointId });
  const findings = await prepared.instance.validateRestore(prepared.recoveryPointId, prepared.criteria, prepared.options);
  const target = prepared.options.targetCluster.identity.name;
  const report = findingsReport({ operation: "restore", check: "validateRestore", instance: prepared.instance.name, cluster: target, recoveryPointId: prepared.recoveryPointId }, findings);
  return printReport(session, `Preflight checks of restoring recovery point ${prepared.recoveryPointId} of ${prepared.instance.name} into ${target}:`, report);
}
