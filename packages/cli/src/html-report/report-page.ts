import type { ReportData } from "./report-data.js";
import { complianceSection } from "./compliance-section.js";
import { jobOutcomesChart } from "./job-outcomes-chart.js";
import { recoveryPointTimeline } from "./recovery-point-timeline.js";
import { storageGrowthChart } from "./storage-growth-chart.js";
import { bytesLabel, dataAttributes, escapeHtml } from "./svg-parts.js";

const STYLE = `
:root { color-scheme: light; --ink: #1d2330; --muted: #5f6b7a; --line: #d9dee5; --panel: #ffffff; --page: #f3f5f8; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--page); }
header { padding: 20px 32px 12px; background: #14213d; color: #fff; }
header h1 { margin: 0 0 4px; font-size: 22px; }
header p { margin: 0; color: #c9d3e6; }
main { padding: 20px 32px 40px; display: grid; gap: 20px; max-width: 1280px; }
section { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 16px 20px; }
section h2 { margin: 0 0 10px; font-size: 16px; }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 12px; }
.tile { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; }
.tile .value { font-size: 26px; font-weight: 600; }
.tile .label { color: var(--muted); }
.tile.bad .value { color: #c62828; }
.tile.good .value { color: #2e7d32; }
.chart { width: 100%; height: auto; display: block; }
.small-chart { max-width: 720px; }
.chart .grid { stroke: #e6e9ee; }
.chart .axis { font-size: 11px; fill: var(--muted); }
.chart .axis-line { stroke: #9aa4b1; }
.chart .row-label { font-size: 12px; fill: var(--ink); }
.chart .store-label { font-size: 11px; }
.chart .band { fill: #f7f9fb; }
.chart .now { stroke: #c62828; stroke-dasharray: 4 3; }
.chart .expiry { stroke-width: 2; opacity: 0.25; }
.chart .growth { fill: none; stroke-width: 2.5; }
.chart .end-label { font-size: 12px; font-weight: 600; }
.chart .hidden { display: none; }
.legend-row { display: flex; flex-wrap: wrap; gap: 8px; margin: 4px 0 8px; }
button.legend, button.filter { font: inherit; font-size: 12px; border: 1px solid var(--line); background: #fff; border-radius: 14px; padding: 2px 10px; cursor: pointer; }
button.legend.off { opacity: 0.4; }
button.filter.active { background: #14213d; color: #fff; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; vertical-align: -1px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; }
tr.hidden { display: none; }
.badge { color: #fff; border-radius: 10px; padding: 1px 8px; font-size: 12px; }
.empty, .ok { color: var(--muted); }
footer { color: var(--muted); padding: 0 32px 24px; font-size: 12px; }
`;

// Legends toggle their series; severity buttons filter the findings. No network, no libraries.
const SCRIPT = `
document.querySelectorAll("button.legend").forEach(function (button) {
  button.addEventListener("click", function () {
    var chart = document.getElementById(button.dataset.chart);
    if (!chart) return;
    var off = button.classList.toggle("off");
    chart.querySelectorAll('[data-series="' + button.dataset.toggle + '"]').forEach(function (element) {
      element.classList.toggle("hidden", off);
    });
  });
});
document.querySelectorAll("button.filter").forEach(function (button) {
  button.addEventListener("click", function () {
    document.querySelectorAll("button.filter").forEach(function (other) { other.classList.toggle("active", other === button); });
    var wanted = button.dataset.filter;
    document.querySelectorAll("tr.finding").forEach(function (row) {
      row.classList.toggle("hidden", wanted !== "all" && row.dataset.severity !== wanted);
    });
  });
});
document.body.dataset.ready = "true";
`;

function tile(id: string, label: string, value: string, tone?: "good" | "bad"): string {
  return `<div class="tile${tone ? ` ${tone}` : ""}" id="${id}"><div class="value">${escapeHtml(value)}</div><div class="label">${escapeHtml(label)}</div></div>`;
}

function protectionTable(data: ReportData): string {
  if (data.states.length === 0) return `<p class="empty">No backup instances yet.</p>`;
  const rows = data.states
    .map(
      (state) =>
        `<tr class="instance"${dataAttributes({ instance: state.instanceName, vault: state.vaultName, status: state.lastBackupStatus })}><td>${escapeHtml(`${state.vaultName}/${state.instanceName}`)}</td><td>${escapeHtml(state.clusterName)}</td><td>${escapeHtml(state.policyName ?? "on demand")}</td><td>${escapeHtml(state.softDeleted ? "SoftDeleted" : state.currentProtectionState)}</td><td>${escapeHtml(state.lastBackupTime ?? "-")}</td><td>${escapeHtml(state.lastBackupStatus ?? "-")}</td><td>${state.recoveryPoints.OperationalStore}</td><td>${state.recoveryPoints.VaultStore}</td></tr>`,
    )
    .join("");
  return `<table id="protection"><thead><tr><th>instance</th><th>cluster</th><th>policy</th><th>protection</th><th>last backup</th><th>status</th><th>operational</th><th>vault</th></tr></thead><tbody>${rows}</tbody></table>`;
}

/**
 * The report as one self-contained HTML page (inline CSS, SVG and script; nothing fetched): summary
 * tiles, job outcomes per day, recovery points per instance and store on a timeline, storage growth,
 * compliance findings and the protection of each instance.
 */
export function renderReportPage(data: ReportData): string {
  const jobs = data.outcomes.reduce((sum, bucket) => sum + Object.values(bucket.counts).reduce((a, b) => a + b, 0), 0);
  const failed = data.outcomes.reduce((sum, bucket) => sum + bucket.counts.Failed, 0);
  const { totals } = data.usage;
  const compliance = data.compliance;
  const serious = compliance.counts.Critical + compliance.counts.Warning;
  const tiles = [
    tile("tile-instances", "protected instances", String(totals.instances)),
    tile("tile-compliant", "instances compliant", `${compliance.compliantInstances} / ${compliance.instancesChecked - data.states.filter((state) => state.softDeleted).length}`, serious === 0 ? "good" : "bad"),
    tile("tile-jobs", "jobs", String(jobs)),
    tile("tile-failed", "failed jobs", String(failed), failed > 0 ? "bad" : "good"),
    tile("tile-operational", "operational store", bytesLabel(totals.operationalStore.bytes)),
    tile("tile-vault", "vault store", bytesLabel(totals.vaultStore.bytes)),
    tile("tile-snapshots", "snapshots", bytesLabel(totals.snapshots.bytes)),
    tile("tile-namespaces", "namespaces protected", String(totals.namespacesProtected)),
  ].join("");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(data.title)}</title>
<style>${STYLE}</style>
</head>
<body${dataAttributes({ generated: data.generatedAt })}>
<header><h1>${escapeHtml(data.title)}</h1><p>Vault${data.vaultNames.length === 1 ? "" : "s"} ${escapeHtml(data.vaultNames.join(", ") || "none")} · generated ${escapeHtml(data.generatedAt)}</p></header>
<main>
<div class="tiles">${tiles}</div>
<section id="section-jobs"><h2>Job outcomes per day</h2>${jobOutcomesChart(data.outcomes)}</section>
<section id="section-recovery-points"><h2>Recovery points by instance and store</h2>${recoveryPointTimeline(data.timelines, data.generatedAt)}</section>
<section id="section-growth"><h2>Storage kept, growing over time</h2>${storageGrowthChart(data.growth, data.generatedAt)}</section>
<section id="section-compliance"><h2>Compliance findings</h2>${complianceSection(data.compliance)}</section>
<section id="section-protection"><h2>Protection of each instance</h2>${protectionTable(data)}</section>
</main>
<footer>kbackup · times in UTC · grace ${Math.round(data.compliance.graceInMs / 60_000)} min</footer>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
