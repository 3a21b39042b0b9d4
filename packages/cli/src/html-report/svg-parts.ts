/** Text made safe for HTML and SVG, in content and in quoted attributes. */
export function escapeHtml(value: unknown): string {
  return String(value).replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;").replaceAll("'", "&#39;");
}

/** `name="value"` pairs for `data-*` attributes, escaped. */
export function dataAttributes(data: Record<string, string | number | undefined>): string {
  return Object.entries(data)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => ` data-${name}="${escapeHtml(value)}"`)
    .join("");
}

/** A linear scale from a domain to a range. */
export function linearScale(domain: [number, number], range: [number, number]): (value: number) => number {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const span = d1 - d0 || 1;
  return (value) => r0 + ((value - d0) / span) * (r1 - r0);
}

/** About `count` round ticks between `min` and `max` (a 1, 2 or 5 step). */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (max <= min) return [min];
  const raw = (max - min) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((factor) => factor * power >= raw) ?? 10) * power;
  const ticks: number[] = [];
  for (let value = Math.ceil(min / step) * step; value <= max + step * 1e-9; value += step) ticks.push(Number(value.toPrecision(12)));
  return ticks;
}

const DAY = 86_400_000;

/** Ticks on a time axis: whole days (every n days), or hours for a short span. */
export function timeTicks(minMs: number, maxMs: number, count = 6): number[] {
  const span = Math.max(1, maxMs - minMs);
  const steps = [3_600_000, 3 * 3_600_000, 6 * 3_600_000, 12 * 3_600_000, DAY, 2 * DAY, 7 * DAY, 14 * DAY, 30 * DAY, 91 * DAY, 365 * DAY];
  const step = steps.find((candidate) => span / candidate <= count) ?? 365 * DAY;
  const ticks: number[] = [];
  for (let value = Math.ceil(minMs / step) * step; value <= maxMs; value += step) ticks.push(value);
  return ticks;
}

/** A time as an axis label: `May 4` for days, `May 4 13:00` for hours (UTC). */
export function timeLabel(ms: number, withHours: boolean): string {
  const date = new Date(ms);
  const day = `${date.toLocaleString("en", { month: "short", timeZone: "UTC" })} ${date.getUTCDate()}`;
  return withHours ? `${day} ${String(date.getUTCHours()).padStart(2, "0")}:00` : day;
}

/** Bytes for a label: B, KiB, MiB, GiB, TiB. */
export function bytesLabel(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${Math.round(bytes)} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** The colours of job statuses, stores and severities. */
export const COLORS = {
  Completed: "#2e7d32",
  CompletedWithWarnings: "#f9a825",
  Failed: "#c62828",
  Cancelled: "#757575",
  InProgress: "#1565c0",
  OperationalStore: "#1e88e5",
  VaultStore: "#8e24aa",
  Snapshots: "#00897b",
  Critical: "#c62828",
  Warning: "#ef6c00",
  Info: "#1565c0",
} as const;
