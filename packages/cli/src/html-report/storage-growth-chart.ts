import type { GrowthSeries } from "@kbackup/core";
import { COLORS, bytesLabel, dataAttributes, escapeHtml, linearScale, timeLabel, timeTicks } from "./svg-parts.js";

const WIDTH = 900;
const PANEL = 120;
const GAP = 18;
const LEFT = 150;
const RIGHT = 90;
const TOP = 8;
const AXIS = 24;

const NAMES: Record<GrowthSeries["name"], string> = { OperationalStore: "operational store", VaultStore: "vault store", Snapshots: "snapshots" };

/**
 * What is kept, growing over time: one panel per kind of storage, each on its own scale (snapshots
 * dwarf archives), on a shared time axis. A step line per series (`path` with `data-series` and
 * `data-final-bytes`) and a `circle` per point (`data-series`, `data-time`, `data-bytes`).
 */
export function storageGrowthChart(series: readonly GrowthSeries[], nowIso: string): string {
  const shown = series.filter((entry) => entry.points.length > 0);
  if (shown.length === 0) return `<p class="empty" id="storage-growth-empty">Nothing stored yet.</p>`;
  const now = Date.parse(nowIso);
  const times = shown.flatMap((entry) => entry.points.map((point) => Date.parse(point.time)));
  const min = Math.min(...times);
  const max = Math.max(now, ...times);
  const pad = Math.max(3_600_000, (max - min) * 0.02);
  const x = linearScale([min - pad, max + pad], [LEFT, WIDTH - RIGHT]);
  const height = TOP + shown.length * (PANEL + GAP) - GAP + AXIS;
  const parts: string[] = [];
  const withHours = max - min < 3 * 86_400_000;
  for (const tick of timeTicks(min - pad, max + pad, 10)) {
    const at = x(tick).toFixed(1);
    parts.push(`<line class="grid" x1="${at}" x2="${at}" y1="${TOP}" y2="${height - AXIS}"/>`);
    parts.push(`<text class="axis" x="${at}" y="${height - AXIS + 16}" text-anchor="middle">${escapeHtml(timeLabel(tick, withHours))}</text>`);
  }
  shown.forEach((entry, index) => {
    const color = COLORS[entry.name];
    const top = TOP + index * (PANEL + GAP);
    const bottom = top + PANEL;
    const final = entry.points[entry.points.length - 1]!.bytes;
    // Zero and half the final size: the end label gives the whole.
    const ticks = final > 0 ? [0, final / 2] : [0];
    const y = linearScale([0, Math.max(final, 1)], [bottom, top + 4]);
    parts.push(`<text class="row-label" x="8" y="${top + 16}" fill="${color}">${escapeHtml(NAMES[entry.name])}</text>`);
    for (const tick of ticks) {
      parts.push(`<line class="grid" x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${y(tick).toFixed(1)}" y2="${y(tick).toFixed(1)}"/>`);
      parts.push(`<text class="axis" x="${LEFT - 6}" y="${(y(tick) + 4).toFixed(1)}" text-anchor="end">${escapeHtml(bytesLabel(tick))}</text>`);
    }
    parts.push(`<line class="axis-line" x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${bottom}" y2="${bottom}"/>`);
    let d = `M${x(Date.parse(entry.points[0]!.time)).toFixed(1)},${y(0).toFixed(1)}`;
    for (const point of entry.points) d += ` H${x(Date.parse(point.time)).toFixed(1)} V${y(point.bytes).toFixed(1)}`;
    d += ` H${x(now).toFixed(1)}`;
    parts.push(`<path class="growth" d="${d}" stroke="${color}"${dataAttributes({ series: entry.name, "final-bytes": final })}/>`);
    for (const point of entry.points) {
      parts.push(
        `<circle class="point small" cx="${x(Date.parse(point.time)).toFixed(1)}" cy="${y(point.bytes).toFixed(1)}" r="3" fill="${color}"${dataAttributes({ series: entry.name, time: point.time, bytes: point.bytes })}><title>${escapeHtml(`${NAMES[entry.name]}: ${bytesLabel(point.bytes)} at ${point.time}`)}</title></circle>`,
      );
    }
    parts.push(`<text class="end-label" x="${(x(now) + 6).toFixed(1)}" y="${(y(final) + 4).toFixed(1)}" fill="${color}"${dataAttributes({ series: entry.name })}>${escapeHtml(bytesLabel(final))}</text>`);
  });
  const legend = shown.map((entry) => `<button type="button" class="legend" data-toggle="${entry.name}" data-chart="storage-growth"><span class="swatch" style="background:${COLORS[entry.name]}"></span>${NAMES[entry.name]}</button>`).join("");
  return `<div class="legend-row">${legend}</div><svg id="storage-growth" class="chart" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="Storage growth per kind of storage">${parts.join("")}</svg>`;
}
