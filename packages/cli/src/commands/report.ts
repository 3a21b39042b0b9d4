import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { invalidArgument } from "@kbackup/core";
import { EXIT_CODES, type ExitCode } from "../exit-codes.js";
import { reportData } from "../html-report/report-data.js";
import { renderReportPage } from "../html-report/report-page.js";
import { durationOption } from "../option-values.js";
import type { Session } from "../session.js";
import { formatBytes, textTable } from "../text-table.js";

/** The options of `kbackup report`. */
export interface ReportCommandOptions {
  html?: string;
  grace?: string;
  title?: string;
}

/**
 * `kbackup report`: the protection of each instance, the compliance findings and the usage; with
 * `--html FILE`, also a self-contained page with charts. Exit 0 when nothing Critical or Warning was
 * found, 2 otherwise.
 */
export async function reportCommand(session: Session, options: ReportCommandOptions): Promise<ExitCode> {
  const graceInMs = options.grace ? durationOption("--grace", options.grace) : undefined;
  const vault = await session.openVault();
  const center = await session.center(vault);
  const data = reportData(center, { ...(graceInMs !== undefined ? { graceInMs } : {}), title: options.title ?? `kbackup report: vault ${vault.name}` });
  if (options.html) {
    const path = resolve(session.io.cwd, options.html);
    try {
      await writeFile(path, renderReportPage(data));
    } catch (error) {
      throw invalidArgument("--html", `cannot write ${options.html}: ${(error as Error).message}`, error);
    }
    if (!session.options.json) session.note(`Wrote the HTML report to ${path}.`);
  }
  const { compliance, usage, states } = data;
  if (session.options.json) {
    session.printJson({ protection: states, compliance, usage });
  } else {
    session.print("Protection");
    session.print(
      states.length === 0
        ? "No backup instances yet.\n"
        : textTable(
            ["instance", "protection", "last backup", "status", "last success", "operational", "vault"],
            states.map((state) => [state.instanceName, state.softDeleted ? "SoftDeleted" : state.protectionStatus, state.lastBackupTime, state.lastBackupStatus, state.lastSuccessfulBackupTime, state.recoveryPoints.OperationalStore, state.recoveryPoints.VaultStore]),
          ),
    );
    session.print(`Compliance: ${compliance.compliantInstances} of ${compliance.instancesChecked} instances compliant; ${compliance.counts.Critical} critical, ${compliance.counts.Warning} warning, ${compliance.counts.Info} info findings`);
    if (compliance.findings.length > 0) session.print(textTable(["severity", "check", "where", "finding"], compliance.findings.map((finding) => [finding.severity, finding.check, finding.instanceName ?? finding.vaultName, finding.message])));
    session.print("Usage");
    session.print(
      textTable(
        ["instance", "namespaces", "operational points", "operational bytes", "vault points", "vault bytes", "snapshots", "snapshot bytes"],
        usage.instances.map((row) => [row.instanceName, row.protectedNamespaces?.length, row.operationalStore.recoveryPoints, formatBytes(row.operationalStore.bytes), row.vaultStore.recoveryPoints, formatBytes(row.vaultStore.bytes), row.snapshots.snapshots, formatBytes(row.snapshots.bytes)]),
      ),
    );
  }
  return compliance.counts.Critical + compliance.counts.Warning > 0 ? EXIT_CODES.warnings : EXIT_CODES.ok;
}
