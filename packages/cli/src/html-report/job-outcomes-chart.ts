import { JOB_STATUSES, type JobOutcomeBucket, type JobStatus } from "@kbackup/core";
import { COLORS, dataAttributes, escapeHtml, linearScale, niceTicks, timeLabel } from "./svg-parts.js";

const WIDTH = 900;
const HEIGHT = 260;
const LEFT = 48;
const RIGHT = 12;
const TOP = 12;
const BOTTOM = 36;
const DAY = 86_400_000;

/** The statuses stacked from the bottom up. */
const STACK: readonly JobStatus[] = ["Completed", "CompletedWithWarnings", "Failed", "Cancelled", "InProgress"];

/**
 * Job outcomes per day as stacked bars: one `rect` per day and status with `data-day`,
 * `data-status` and `data-count`; the `svg` carries `data-total`.
 */
export function jobOutcomesChart(buckets: readonly JobOutcomeBucket[]): string {
  const total = buckets.reduce((sum, bucket) => sum + JOB_STATUSES.reduce((acc, status) => acc + bucket.counts[status], 0), 0);
  if (buckets.length === 0) return `<p class="empty" id="job-outcomes-empty">No jobs yet.</p>`;
  const first = Date.parse((buckets[0] as JobOutcomeBucket).start);
  const last = Date.parse((buckets[buckets.length - 1] as JobOutcomeBucket).start);
  const days = Math.round((last - first) / DAY) + 1;
  const maxStack = Math.max(1, ...buckets.map((bucket) => STACK.reduce((acc, status) => acc + bucket.counts[status], 0)));
  const ticks = niceTicks(0, maxStack, 4).filter((tick) => Number.isInteger(tick));
  const top = Math.max(maxStack, ticks[ticks.length - 1] ?? maxStack);
  const y = linearScale([0, top], [HEIGHT - BOTTOM, TOP]);
  const slot = (WIDTH - LEFT - RIGHT) / days;
  const barWidth = Math.max(1, slot * 0.8);
  const parts: string[] = [];
  for (const tick of ticks) {
    parts.push(`<line class="grid" x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${y(tick).toFixed(1)}" y2="${y(tick).toFixed(1)}"/>`);
    parts.push(`<text class="axis" x="${LEFT - 6}" y="${(y(tick) + 4).toFixed(1)}" text-anchor="end">${tick}</text>`);
  }
  const labelEvery = Math.max(1, Math.ceil(days / 10));
  for (const bucket of buckets) {
    const start = Date.parse(bucket.start);
    const index = Math.round((start - first) / DAY);
    const x = LEFT + index * slot + (slot - barWidth) / 2;
    let base = 0;
    for (const status of STACK) {
      const count = bucket.counts[status];
      if (count === 0) continue;
      const y0 = y(base);
      const y1 = y(base + count);
      parts.push(
        `<rect class="bar" x="${x.toFixed(1)}" y="${y1.toFixed(1)}" width="${barWidth.toFixed(1)}" height="${Math.max(0.5, y0 - y1).toFixed(1)}" fill="${COLORS[status]}"${dataAttributes({ series: status, day: bucket.start.slice(0, 10), status, count })}><title>${escapeHtml(`${bucket.start.slice(0, 10)}: ${count} ${status}`)}</title></rect>`,
      );
      base += count;
    }
    if (index % labelEvery === 0) parts.push(`<text class="axis" x="${(x + barWidth / 2).toFixed(1)}" y="${HEIGHT - BOTTOM + 16}" text-anchor="middle">${escapeHtml(timeLabel(start, false))}</text>`);
  }
  parts.push(`<line class="axis-line" x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${HEIGHT - BOTTOM}" y2="${HEIGHT - BOTTOM}"/>`);
  const legend = STACK.filter((status) => buckets.some((bucket) => bucket.counts[status] > 0))
    .map((status) => `<button type="button" class="legend" data-toggle="${status}" data-chart="job-outcomes"><span class="swatch" style="background:${COLORS[status]}"></span>${status}</button>`)
    .join("");
  return `<div class="legend-row">${legend}</div><svg id="job-outcomes" class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="Job outcomes per day"${dataAttributes({ total, days })}>${parts.join("")}</svg>`;
}
