import { BackupCenter, type ComplianceFinding } from "@kbackup/core";
import { ManualClock } from "@kbackup/testing";
import { describe, expect, it } from "vitest";
import { DAY, HOUR, instance, job, point, vault } from "./fixtures.js";

const NOW = "2026-04-10T12:00:00.000Z";
const now = Date.parse(NOW);
const ago = (ms: number) => new Date(now - ms).toISOString();

function findings(center: BackupCenter, graceInMs?: number): Array<Pick<ComplianceFinding, "check" | "severity" | "vaultName" | "instanceName">> {
  return center.complianceReport(graceInMs === undefined ? {} : { graceInMs }).findings.map(({ check, severity, vaultName, instanceName }) => ({ check, severity, vaultName, ...(instanceName ? { instanceName } : {}) }));
}

function center(): BackupCenter {
  return new BackupCenter({ clock: new ManualClock(NOW) });
}

/** A vault that passes every vault check. */
const SAFE = { storageSettings: [{ datastoreType: "VaultStore" as const, type: "GeoRedundant" as const }], securitySettings: { softDeleteSettings: { state: "AlwaysOn" as const }, immutabilitySettings: { state: "Locked" as const } } };

describe("the compliance report", () => {
  it("names vaults without soft delete, immutability or geo-redundancy", () => {
    const c = center();
    c.ingestVault(vault("safe", SAFE));
    c.ingestVault(vault("open", { securitySettings: { softDeleteSettings: { state: "Off" } } }));
    c.ingestVault(vault("zonal", { ...SAFE, storageSettings: [{ datastoreType: "VaultStore", type: "ZoneRedundant" }], securitySettings: { ...SAFE.securitySettings, immutabilitySettings: { state: "Unlocked" } } }));
    expect(findings(c)).toEqual([
      { check: "SoftDeleteDisabled", severity: "Critical", vaultName: "open" },
      { check: "ImmutabilityDisabled", severity: "Warning", vaultName: "open" },
      { check: "NotGeoRedundant", severity: "Warning", vaultName: "open" },
      { check: "NotGeoRedundant", severity: "Warning", vaultName: "zonal" },
    ]);
  });

  it("names an instance whose last successful backup is older than one period of its schedule plus the grace", () => {
    const c = center();
    c.ingestVault(vault("v", SAFE));
    // The default AKS policy backs up every 4 hours; the grace is an hour by default.
    c.ingestInstance(instance("v", "fresh", [point("fresh", ago(4 * HOUR + 59 * 60_000))]));
    c.ingestInstance(instance("v", "late", [point("late", ago(5 * HOUR + 60_000))]));
    c.ingestInstance(instance("v", "late-by-point-but-job-ok", [point("late-by-point-but-job-ok", ago(2 * DAY))]));
    c.ingestJobs([job("v", "late-by-point-but-job-ok", ago(HOUR))]);
    c.ingestInstance(instance("v", "never-missed", [], { missedScheduledCount: 3 }));
    c.ingestInstance(instance("v", "never-since-first-job", []));
    c.ingestJobs([job("v", "never-since-first-job", ago(7 * HOUR), "Failed")]);
    c.ingestInstance(instance("v", "new", []));
    c.ingestInstance(instance("v", "suspended", [point("suspended", ago(10 * DAY))], { currentProtectionState: "BackupSchedulesSuspended", protectionStatus: { status: "ProtectionStopped" } }));
    c.ingestInstance(instance("v", "on-demand-only", [point("on-demand-only", ago(10 * DAY))], { policyName: undefined } as never));
    c.ingestInstance(instance("v", "deleted", [point("deleted", ago(10 * DAY))], { softDeleted: { deletionTime: ago(DAY), purgeTime: ago(-13 * DAY) } }));

    const report = c.complianceReport();
    const overdue = report.findings.filter((finding) => finding.check === "BackupOverdue");
    expect(overdue.map((finding) => finding.instanceName)).toEqual(["late", "never-missed", "never-since-first-job"]);
    expect(overdue[0]).toMatchObject({ severity: "Critical", lastSuccessfulBackupTime: ago(5 * HOUR + 60_000), overdueByInMs: 60_000 });
    expect(overdue[0]!.message).toMatch(/every 4\.0 h/);
    expect(overdue[1]!.message).toMatch(/missed 3 scheduled times/);
    expect(report.findings.find((finding) => finding.instanceName === "suspended")).toMatchObject({ check: "ProtectionSuspended", severity: "Info" });
    // A longer grace forgives the late one.
    expect(findings(c, 2 * HOUR).filter((finding) => finding.check === "BackupOverdue").map((finding) => finding.instanceName)).toEqual(["never-missed", "never-since-first-job"]);
    expect(report.instancesChecked).toBe(9);
    expect(report.compliantInstances).toBe(5);
  });

  it("names recovery points missing from the vault store where the policy asks for a copy", () => {
    const c = center();
    c.ingestVault(vault("v", SAFE));
    // The AKS policy copies the first backup of each day (tag Daily) to the vault store at once.
    const copied = point("ok", ago(26 * HOUR), { tag: "Daily", vault: true });
    const missing = point("gap", ago(26 * HOUR), { tag: "Daily" });
    const justDue = point("gap", ago(30 * 60_000), { tag: "Daily" });
    const notAsked = point("gap", ago(2 * HOUR), { tag: "Default" });
    c.ingestInstance(instance("v", "ok", [copied, point("ok", ago(HOUR))]));
    c.ingestInstance(instance("v", "gap", [missing, notAsked, justDue]));
    const report = c.complianceReport();
    expect(report.findings).toEqual([
      expect.objectContaining({ check: "VaultCopyMissing", severity: "Warning", instanceName: "gap", recoveryPointIds: [missing.recoveryPointId] }),
    ]);
    // Past the grace, the one due half an hour ago is missing too.
    expect(c.complianceReport({ graceInMs: 0 }).findings[0]?.recoveryPointIds).toEqual([missing.recoveryPointId, justDue.recoveryPointId]);
  });

  it("names failed last backups, warnings in the last jobs, protection errors and missing policies", () => {
    const c = center();
    c.ingestVault(vault("v", SAFE));
    for (const name of ["failing", "warned", "restored", "broken", "orphan"]) c.ingestInstance(instance("v", name, [point(name, ago(HOUR))]));
    c.ingestJobs([job("v", "failing", ago(3 * HOUR)), job("v", "failing", ago(HOUR), "Failed")]);
    c.ingestJobs([job("v", "warned", ago(HOUR), "CompletedWithWarnings", "Backup", { warningDetails: [{ code: "BackupWarning", message: "volume data-0 was skipped" }] })]);
    c.ingestJobs([job("v", "restored", ago(HOUR), "Completed", "Restore", { warningDetails: [{ code: "RestoreWarning", message: "service web exists" }] })]);
    c.ingestInstance(instance("v", "broken", [point("broken", ago(HOUR))], { currentProtectionState: "ProtectionError", protectionStatus: { status: "ProtectionConfigured", errorDetails: { code: "UserError", message: "the cluster's identity lost its role" } } }));
    c.ingestInstance(instance("v", "orphan", [point("orphan", ago(HOUR))], { policyName: "gone" }));
    const report = c.complianceReport();
    expect(findings(c)).toEqual([
      { check: "ProtectionError", severity: "Critical", vaultName: "v", instanceName: "broken" },
      { check: "PolicyMissing", severity: "Critical", vaultName: "v", instanceName: "orphan" },
      { check: "LastBackupFailed", severity: "Warning", vaultName: "v", instanceName: "failing" },
      { check: "JobWarnings", severity: "Warning", vaultName: "v", instanceName: "restored" },
      { check: "JobWarnings", severity: "Warning", vaultName: "v", instanceName: "warned" },
    ]);
    expect(report.findings.find((finding) => finding.instanceName === "warned")?.message).toContain("volume data-0 was skipped");
    expect(report.findings.find((finding) => finding.instanceName === "broken")?.message).toContain("lost its role");
    expect(report.counts).toEqual({ Critical: 2, Warning: 3, Info: 0 });
    expect(report.compliantInstances).toBe(0);
  });

  it("gives each instance's protection state with its latest backup and recovery points", () => {
    const c = center();
    c.ingestVault(vault("v", SAFE));
    c.ingestInstance(instance("v", "web", [point("web", ago(30 * HOUR), { vault: true, tag: "Daily" }), point("web", ago(5 * HOUR))]));
    c.ingestJobs([job("v", "web", ago(5 * HOUR)), job("v", "web", ago(HOUR), "Failed")]);
    expect(c.protectionStates()).toEqual([
      {
        vaultName: "v",
        instanceName: "web",
        clusterName: "aks-web",
        policyName: "aks",
        protectionStatus: "ProtectionConfigured",
        currentProtectionState: "ProtectionConfigured",
        softDeleted: false,
        lastBackupTime: ago(HOUR),
        lastBackupStatus: "Failed",
        lastSuccessfulBackupTime: ago(5 * HOUR),
        latestRecoveryPointTime: ago(5 * HOUR),
        recoveryPoints: { OperationalStore: 2, VaultStore: 1 },
        missedScheduledCount: 0,
      },
    ]);
  });
});
