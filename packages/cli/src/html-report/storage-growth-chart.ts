import type { GrowthSeries } from "@kbackup/core";
import { COLORS, bytesLabel, dataAttributes, escapeHtml, linearScale, niceTicks, timeLabel, timeTicks } from "./svg-parts.js";

const WIDTH = 900;
const HEIGHT = 260;
const LEFT = 70;
const RIGHT = 110;
const TOP = 12;
const BOTTOM = 32;

const NAMES: Record<GrowthSeries["name"], string> = { OperationalStore: "operational store", VaultStore: "vault store", Snapshots: "snapshots" };

/**
 * What is kept, growing over time, per kind of storage: a step line per series (`path` with
 * `data-series` and `data-final-bytes`) and a `circle` per point (`data-series`, `data-time`, `data-bytes`).
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
  const top = Math.max(1, ...shown.map((entry) => entry.points[entry.points.length - 1]?.bytes ?? 0));
  const ticks = niceTicks(0, top, 4);
  const y = linearScale([0, Math.max(top, ticks[ticks.length - 1] ?? top)], [HEIGHT - BOTTOM, TOP]);
  const parts: string[] = [];
  for (const tick of ticks) {
    parts.push(`<line class="grid" x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${y(tick).toFixed(1)}" y2="${y(tick).toFixed(1)}"/>`);
    parts.push(`<text class="axis" x="${LEFT - 6}" y="${(y(tick) + 4).toFixed(1)}" text-anchor="end">${escapeHtml(bytesLabel(tick))}</text>`);
  }
  const withHours = max - min < 3 * 86_400_000;
  for (const tick of timeTicks(min - pad, max + pad)) parts.push(`<text class="axis" x="${x(tick).toFixed(1)}" y="${HEIGHT - BOTTOM + 16}" text-anchor="middle">${escapeHtml(timeLabel(tick, withHours))}</text>`);
  parts.push(`<line class="axis-line" x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${HEIGHT - BOTTOM}" y2="${HEIGHT - BOTTOM}"/>`);
  for (const entry of shown) {
    const color = COLORS[entry.name];
    let d = `M${x(Date.parse(entry.points[0]!.time)).toFixed(1)},${y(0).toFixed(1)}`;
    for (const point of entry.points) {
      const px = x(Date.parse(point.time)).toFixed(1);
      d += ` H${px} V${y(point.bytes).toFixed(1)}`;
    }
    const final = entry.points[entry.points.length - 1]!.bytes;
    d += ` H${x(now).toFixed(1)}`;
    parts.push(`<path class="growth" d="${d}" stroke="${color}"${dataAttributes({ series: entry.name, "final-bytes": final })}/>`);
    for (const point of entry.points) {
      parts.push(
        `<circle class="point small" cx="${x(Date.parse(point.time)).toFixed(1)}" cy="${y(point.bytes).toFixed(1)}" r="3" fill="${color}"${dataAttributes({ series: entry.name, time: point.time, bytes: point.bytes })}><title>${escapeHtml(`${NAMES[entry.name]}: ${bytesLabel(point.bytes)} at ${point.time}`)}</title></circle>`,
      );
    }
    parts.push(`<text class="end-label" x="${(x(now) + 6).toFixed(1)}" y="${(y(final) + 4).toFixed(1)}" fill="${color}"${dataAttributes({ series: entry.name })}>${escapeHtml(bytesLabel(final))}</text>`);
  }
  const legend = shown.map((entry) => `<button type="button" class="legend" data-toggle="${entry.name}" data-chart="storage-growth"><span class="swatch" style="background:${COLORS[entry.name]}"></span>${NAMES[entry.name]}</button>`).join("");
  return `<div class="legend-row">${legend}</div><svg id="storage-growth" class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="Storage growth">${parts.join("")}</svg>`;
}
