import type { BackupJob } from "../jobs/job.js";
import { backupRuleOf, evaluateRetention, parseRepeatingInterval, type BackupPolicy, type RetentionPoint } from "../policy/index.js";
import { appliesRetention, takesScheduledBackups } from "../vault/protection-state.js";
import type { RecoveryPointInfo } from "../vault/retention-points.js";
import type { CenterInstanceRecord, CenterVaultRecord } from "./center-records.js";
import type { InstanceJobFacts } from "./job-index.js";

/** How much a finding matters: `Critical` and `Warning` findings make an instance or vault non-compliant. */
export type ComplianceSeverity = "Critical" | "Warning" | "Info";

/** The checks of a compliance report. */
export type ComplianceCheck =
  | "BackupOverdue"
  | "LastBackupFailed"
  | "VaultCopyMissing"
  | "JobWarnings"
  | "ProtectionError"
  | "ProtectionSuspended"
  | "PolicyMissing"
  | "SoftDeleteDisabled"
  | "ImmutabilityDisabled"
  | "NotGeoRedundant";

/** One thing a compliance report found. */
export interface ComplianceFinding {
  check: ComplianceCheck;
  severity: ComplianceSeverity;
  vaultName: string;
  /** Absent for a finding about the vault itself. */
  instanceName?: string;
  /** What is wrong, in a sentence that names the facts. */
  message: string;
  /** The recovery points or jobs the finding is about. */
  recoveryPointIds?: string[];
  jobId?: string;
  /** For `BackupOverdue`: the last successful backup (absent when there was none) and how late it is. */
  lastSuccessfulBackupTime?: string;
  overdueByInMs?: number;
}

/** A compliance report: every finding, most severe first, and counts. */
export interface ComplianceReport {
  generatedAt: string;
  graceInMs: number;
  vaultsChecked: number;
  instancesChecked: number;
  /** Instances (not soft-deleted) without a Critical or Warning finding. */
  compliantInstances: number;
  counts: Record<ComplianceSeverity, number>;
  findings: ComplianceFinding[];
}

/** What a compliance report is computed from. */
export interface ComplianceInput {
  vaults: readonly CenterVaultRecord[];
  instances: readonly CenterInstanceRecord[];
  /** The job facts of one instance (its last backups and restore); `{}` for an instance with no jobs. */
  facts: (vaultName: string, instanceName: string) => InstanceJobFacts;
  now: Date;
  graceInMs: number;
}

const SEVERITY_ORDER: Record<ComplianceSeverity, number> = { Critical: 0, Warning: 1, Info: 2 };

/** Facts of a policy that the checks need, worked out once per report. */
interface PolicyFacts {
  periodMs: number;
  copiesToVault: boolean;
}

function policyFacts(policy: BackupPolicy): PolicyFacts {
  const intervals = backupRuleOf(policy).trigger.schedule.repeatingTimeIntervals;
  const periodMs = Math.min(...intervals.map((text, i) => parseRepeatingInterval(text, `repeatingTimeIntervals[${i}]`).periodMs));
  const copiesToVault = policy.policyRules.some(
    (rule) => rule.objectType === "AzureRetentionRule" && rule.lifecycles.some((lifecycle) => (lifecycle.targetDataStoreCopySettings ?? []).some((setting) => setting.dataStore.dataStoreType === "VaultStore")),
  );
  return { periodMs, copiesToVault };
}

/** A message without its closing full stop, to be set inside a sentence. */
function clause(message: string): string {
  return message.replace(/[.\s]+$/, "");
}

function hours(ms: number): string {
  const h = ms / 3_600_000;
  return h >= 48 ? `${(h / 24).toFixed(1)} days` : `${h.toFixed(1)} h`;
}

function retentionPoint(point: RecoveryPointInfo): RetentionPoint {
  const copy = (store: "OperationalStore" | "VaultStore") => {
    const details = point.dataStores[store];
    return details ? { present: true, ...(details.expiryTime ? { expiresAt: new Date(details.expiryTime) } : {}) } : undefined;
  };
  const operational = copy("OperationalStore");
  const vault = copy("VaultStore");
  return {
    id: point.recoveryPointId,
    time: new Date(point.recoveryPointTime),
    tag: point.retentionTag,
    dataStores: { ...(operational ? { OperationalStore: operational } : {}), ...(vault ? { VaultStore: vault } : {}) },
    onDemand: point.onDemand,
    ...(point.retentionTagOverride ? { retentionTagOverride: point.retentionTagOverride } : {}),
    // Listings give the volumes' total only: exact for one volume; with several the vault's size limit is not judged.
    ...(point.volumeSnapshotCount <= 1 ? { volumeBytes: [point.volumeBytes] } : {}),
  };
}

/**
 * The points that decide which vault copies are due: those with an operational copy (only they can be
 * copied) and the vault copies near them in time (they take up their day's one scheduled copy).
 * Empty when no point awaits a copy, so that most instances skip retention altogether.
 */
function copyCandidates(points: readonly RecoveryPointInfo[]): RecoveryPointInfo[] {
  let earliest = Number.POSITIVE_INFINITY;
  for (const point of points) {
    if (point.recoveryPointState === "Completed" && point.dataStores.OperationalStore && !point.dataStores.VaultStore) {
      earliest = Math.min(earliest, Date.parse(point.recoveryPointTime));
    }
  }
  if (earliest === Number.POSITIVE_INFINITY) return [];
  // Two days either side covers any day of any time zone.
  const from = earliest - 2 * 86_400_000;
  return points.filter((point) => point.recoveryPointState === "Completed" && (point.dataStores.OperationalStore !== undefined || Date.parse(point.recoveryPointTime) >= from));
}

function latest(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Date.parse(a) >= Date.parse(b) ? a : b;
}

function jobWarnings(job: BackupJob | undefined): string | undefined {
  if (!job) return undefined;
  const first = job.warningDetails?.[0];
  if (job.status !== "CompletedWithWarnings" && first === undefined) return undefined;
  const count = job.warningDetails?.length ?? 0;
  return `its last ${job.operation.toLowerCase()} (${job.startTime}) ended ${job.status} with ${count} warning${count === 1 ? "" : "s"}${first ? `, the first: ${clause(first.message)}` : ""}`;
}

function vaultFindings(vault: CenterVaultRecord): ComplianceFinding[] {
  const findings: ComplianceFinding[] = [];
  const { securitySettings, storageSettings } = vault.settings;
  if (securitySettings.softDeleteSettings.state === "Off") {
    findings.push({ check: "SoftDeleteDisabled", severity: "Critical", vaultName: vault.name, message: `Vault ${vault.name} has soft delete off: a deleted recovery point is gone at once.` });
  }
  if (securitySettings.immutabilitySettings.state === "Disabled") {
    findings.push({ check: "ImmutabilityDisabled", severity: "Warning", vaultName: vault.name, message: `Vault ${vault.name} is not immutable: vault-store recovery points can be deleted before they expire.` });
  }
  const redundancy = storageSettings.find((setting) => setting.datastoreType === "VaultStore")?.type ?? "LocallyRedundant";
  if (redundancy !== "GeoRedundant") {
    findings.push({ check: "NotGeoRedundant", severity: "Warning", vaultName: vault.name, message: `Vault ${vault.name} keeps its vault store ${redundancy}: a regional outage takes its copies with it.` });
  }
  return findings;
}

/**
 * Checks every vault and instance:
 * - vaults without soft delete (Critical), without immutability, or whose vault store is not
 *   geo-redundant (Warning);
 * - instances that take scheduled backups whose last successful backup (job or recovery point) is
 *   older than their schedule's period plus `graceInMs` (Critical); one never backed up is judged
 *   from its first job, or overdue at once when it has missed scheduled times;
 * - instances whose policy copies recovery points to the vault store and whose due copies (due
 *   more than `graceInMs` ago, by `evaluateRetention`) are not there (Warning);
 * - instances whose last backup failed, whose last backup or restore ended with warnings, whose
 *   protection is in error (Critical) or whose policy is missing (Critical);
 * - instances whose scheduled backups are suspended or stopped (Info).
 * Soft-deleted instances are counted but not checked.
 */
export function complianceReport(input: ComplianceInput): ComplianceReport {
  const nowMs = input.now.getTime();
  const { graceInMs } = input;
  const findings: ComplianceFinding[] = [];
  const vaults = new Map(input.vaults.map((vault) => [vault.name, vault]));
  for (const vault of input.vaults) findings.push(...vaultFindings(vault));
  const policyCache = new Map<string, PolicyFacts | undefined>();
  const factsOf = (vaultName: string, policyName: string): { policy: BackupPolicy; facts: PolicyFacts } | undefined => {
    const policy = vaults.get(vaultName)?.policies[policyName];
    if (!policy) return undefined;
    const key = `${vaultName}/${policyName}`;
    if (!policyCache.has(key)) policyCache.set(key, policyFacts(policy));
    const facts = policyCache.get(key);
    return facts && { policy, facts };
  };

  let checked = 0;
  let compliant = 0;
  for (const instance of input.instances) {
    checked++;
    if (instance.softDeleted) continue;
    const own: ComplianceFinding[] = [];
    const base = { vaultName: instance.vaultName, instanceName: instance.name };
    const state = instance.currentProtectionState;
    const jobs = input.facts(instance.vaultName, instance.name);

    if (state === "ProtectionError" || instance.protectionStatus.errorDetails) {
      const detail = instance.protectionStatus.errorDetails;
      own.push({ ...base, check: "ProtectionError", severity: "Critical", message: `Protection of ${instance.name} is in error${detail ? `: ${clause(detail.message)}` : ""}.` });
    }
    if (instance.policyName !== undefined && !takesScheduledBackups(state) && state !== "ProtectionError") {
      own.push({ ...base, check: "ProtectionSuspended", severity: "Info", message: `${instance.name} takes no scheduled backups: its protection is ${state}.` });
    }
    const policy = instance.policyName === undefined ? undefined : factsOf(instance.vaultName, instance.policyName);
    if (instance.policyName !== undefined && !policy) {
      own.push({ ...base, check: "PolicyMissing", severity: "Critical", message: `${instance.name} follows policy ${instance.policyName}, which vault ${instance.vaultName} does not have.` });
    }

    if (policy && takesScheduledBackups(state)) {
      const lastPoint = instance.recoveryPoints.at(-1)?.recoveryPointTime;
      const lastSuccess = latest(jobs.lastSuccessfulBackup?.startTime, lastPoint);
      const allowed = policy.facts.periodMs + graceInMs;
      const since = lastSuccess ?? jobs.firstJobTime;
      const age = since === undefined ? undefined : nowMs - Date.parse(since);
      if ((age !== undefined && age > allowed) || (lastSuccess === undefined && instance.missedScheduledCount > 0)) {
        const late = age === undefined ? undefined : age - allowed;
        own.push({
          ...base,
          check: "BackupOverdue",
          severity: "Critical",
          message:
            lastSuccess === undefined
              ? `${instance.name} has no successful backup${instance.missedScheduledCount > 0 ? ` and missed ${instance.missedScheduledCount} scheduled time${instance.missedScheduledCount === 1 ? "" : "s"}` : ` since its first job at ${since}`}; its policy backs up every ${hours(policy.facts.periodMs)}.`
              : `${instance.name} was last backed up at ${lastSuccess}, ${hours(age ?? 0)} ago; its policy backs up every ${hours(policy.facts.periodMs)} (grace ${hours(graceInMs)}).`,
          ...(lastSuccess ? { lastSuccessfulBackupTime: lastSuccess } : {}),
          ...(late !== undefined ? { overdueByInMs: late } : {}),
        });
      }
    }

    if (policy?.facts.copiesToVault && appliesRetention(state)) {
      const points = copyCandidates(instance.recoveryPoints);
      const plan = points.length === 0 ? undefined : evaluateRetention(policy.policy, points.map(retentionPoint), input.now);
      const missing = (plan?.copies ?? []).filter((copy) => copy.at.getTime() <= nowMs - graceInMs).map((copy) => copy.pointId);
      if (missing.length > 0) {
        own.push({
          ...base,
          check: "VaultCopyMissing",
          severity: "Warning",
          message: `${instance.name} lacks ${missing.length} vault-store cop${missing.length === 1 ? "y" : "ies"} that policy ${instance.policyName} asks for, the oldest of recovery point ${missing[0]}.`,
          recoveryPointIds: missing,
        });
      }
    }

    const lastBackup = jobs.lastBackup;
    if (lastBackup?.status === "Failed") {
      const error = lastBackup.errorDetails?.[0];
      own.push({ ...base, check: "LastBackupFailed", severity: "Warning", jobId: lastBackup.jobId, message: `The last backup of ${instance.name} (${lastBackup.startTime}) failed${error ? `: ${clause(error.message)}` : ""}.` });
    }
    for (const job of [lastBackup, jobs.lastRestore]) {
      const warning = jobWarnings(job);
      if (warning && job) own.push({ ...base, check: "JobWarnings", severity: "Warning", jobId: job.jobId, message: `${instance.name}: ${warning}.` });
    }

    if (!own.some((finding) => finding.severity !== "Info")) compliant++;
    findings.push(...own);
  }

  findings.sort(
    (a, b) =>
      SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
      a.vaultName.localeCompare(b.vaultName) ||
      (a.instanceName ?? "").localeCompare(b.instanceName ?? "") ||
      a.check.localeCompare(b.check),
  );
  const counts: Record<ComplianceSeverity, number> = { Critical: 0, Warning: 0, Info: 0 };
  for (const finding of findings) counts[finding.severity]++;
  return { generatedAt: input.now.toISOString(), graceInMs, vaultsChecked: input.vaults.length, instancesChecked: checked, compliantInstances: compliant, counts, findings };
}
