import type { ComplianceReport, ComplianceSeverity } from "@kbackup/core";
import { COLORS, dataAttributes, escapeHtml } from "./svg-parts.js";

const SEVERITIES: readonly ComplianceSeverity[] = ["Critical", "Warning", "Info"];

/**
 * The compliance findings: a bar per severity (`rect` with `data-severity` and `data-count`), buttons
 * that filter the table by severity, and the table (`tr` with `data-check`, `data-severity`).
 */
export function complianceSection(report: ComplianceReport): string {
  const max = Math.max(1, ...SEVERITIES.map((severity) => report.counts[severity]));
  const bars = SEVERITIES.map((severity, i) => {
    const width = (report.counts[severity] / max) * 560;
    const y = 8 + i * 30;
    return `<text class="axis" x="80" y="${y + 15}" text-anchor="end">${severity}</text><rect class="bar" x="90" y="${y}" width="${Math.max(report.counts[severity] > 0 ? 2 : 0, width).toFixed(1)}" height="20" fill="${COLORS[severity]}"${dataAttributes({ severity, count: report.counts[severity] })}><title>${report.counts[severity]} ${severity}</title></rect><text class="axis" x="${(96 + width).toFixed(1)}" y="${y + 15}">${report.counts[severity]}</text>`;
  }).join("");
  const chart = `<svg id="compliance-counts" class="chart small-chart" viewBox="0 0 720 100" role="img" aria-label="Findings by severity">${bars}</svg>`;
  const filters = `<div class="legend-row"><button type="button" class="filter active" data-filter="all">All (${report.findings.length})</button>${SEVERITIES.map((severity) => `<button type="button" class="filter" data-filter="${severity}"><span class="swatch" style="background:${COLORS[severity]}"></span>${severity} (${report.counts[severity]})</button>`).join("")}</div>`;
  const rows = report.findings
    .map(
      (finding) =>
        `<tr class="finding"${dataAttributes({ check: finding.check, severity: finding.severity, vault: finding.vaultName, instance: finding.instanceName })}><td><span class="badge" style="background:${COLORS[finding.severity]}">${finding.severity}</span></td><td>${escapeHtml(finding.check)}</td><td>${escapeHtml(finding.instanceName ? `${finding.vaultName}/${finding.instanceName}` : finding.vaultName)}</td><td>${escapeHtml(finding.message)}</td></tr>`,
    )
    .join("");
  const table = report.findings.length === 0 ? `<p class="ok" id="compliance-ok">No findings: every vault and instance is compliant.</p>` : `<table id="findings"><thead><tr><th>severity</th><th>check</th><th>where</th><th>finding</th></tr></thead><tbody>${rows}</tbody></table>`;
  return `${chart}${filters}${table}`;
}
