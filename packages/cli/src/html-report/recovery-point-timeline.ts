import type { InstanceTimeline } from "./report-data.js";
import { COLORS, dataAttributes, escapeHtml, linearScale, timeLabel, timeTicks } from "./svg-parts.js";

const WIDTH = 900;
const LABEL = 210;
const RIGHT = 16;
const ROW = 22;
const TOP = 8;
const AXIS = 28;
const STORES = ["OperationalStore", "VaultStore"] as const;

/**
 * Each instance's recovery points on a time axis, one row per store: a `circle` per copy with
 * `data-instance`, `data-store`, `data-recovery-point-id` and `data-time`, and a faint line to its
 * expiry. Soft-deleted copies are hollow.
 */
export function recoveryPointTimeline(timelines: readonly InstanceTimeline[], nowIso: string): string {
  const times = timelines.flatMap((timeline) => STORES.flatMap((store) => timeline.stores[store].map((point) => Date.parse(point.time))));
  if (times.length === 0) return `<p class="empty" id="recovery-points-empty">No recovery points yet.</p>`;
  const now = Date.parse(nowIso);
  const min = Math.min(...times);
  const max = Math.max(now, ...times);
  const pad = Math.max(3_600_000, (max - min) * 0.03);
  const x = linearScale([min - pad, max + pad], [LABEL, WIDTH - RIGHT]);
  const rows = timelines.length * STORES.length;
  const height = TOP + rows * ROW + AXIS;
  const parts: string[] = [];
  const withHours = max - min < 3 * 86_400_000;
  for (const tick of timeTicks(min - pad, max + pad, 10)) {
    const at = x(tick).toFixed(1);
    parts.push(`<line class="grid" x1="${at}" x2="${at}" y1="${TOP}" y2="${height - AXIS}"/>`);
    parts.push(`<text class="axis" x="${at}" y="${height - AXIS + 16}" text-anchor="middle">${escapeHtml(timeLabel(tick, withHours))}</text>`);
  }
  parts.push(`<line class="now" x1="${x(now).toFixed(1)}" x2="${x(now).toFixed(1)}" y1="${TOP}" y2="${height - AXIS}"><title>now</title></line>`);
  let row = 0;
  for (const timeline of timelines) {
    for (const store of STORES) {
      const cy = TOP + row * ROW + ROW / 2;
      if (row % 2 === 0) parts.push(`<rect class="band" x="0" y="${cy - ROW / 2}" width="${WIDTH}" height="${ROW * 2}"/>`);
      const full = `${timeline.vaultName}/${timeline.instanceName}`;
      const label = store === "OperationalStore" ? (full.length > 20 ? `${full.slice(0, 19)}…` : full) : "";
      parts.push(`<text class="row-label" x="8" y="${cy + 4}"><title>${escapeHtml(full)}</title>${escapeHtml(label)}</text>`);
      parts.push(`<text class="store-label" x="${LABEL - 8}" y="${cy + 4}" text-anchor="end" fill="${COLORS[store]}">${store === "OperationalStore" ? "operational" : "vault"}</text>`);
      for (const point of timeline.stores[store]) {
        const cx = x(Date.parse(point.time));
        if (point.expiryTime) {
          const end = Math.min(x(Date.parse(point.expiryTime)), WIDTH - RIGHT);
          parts.push(`<line class="expiry" x1="${cx.toFixed(1)}" x2="${end.toFixed(1)}" y1="${cy}" y2="${cy}" stroke="${COLORS[store]}"/>`);
        }
        const hollow = point.state === "SoftDeleted";
        parts.push(
          `<circle class="point" cx="${cx.toFixed(1)}" cy="${cy}" r="4.5" fill="${hollow ? "white" : COLORS[store]}" stroke="${COLORS[store]}"${dataAttributes({ series: store, instance: timeline.instanceName, vault: timeline.vaultName, store, "recovery-point-id": point.recoveryPointId, time: point.time, state: point.state })}><title>${escapeHtml(`${timeline.instanceName} ${store}\n${point.recoveryPointId}\n${point.time}${point.expiryTime ? `\nexpires ${point.expiryTime}` : ""}${hollow ? "\nsoft-deleted" : ""}`)}</title></circle>`,
        );
      }
      row++;
    }
  }
  return `<svg id="recovery-points" class="chart" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="Recovery points by instance and store"${dataAttributes({ points: times.length })}>${parts.join("")}</svg>`;
}
