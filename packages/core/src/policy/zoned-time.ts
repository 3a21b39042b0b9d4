/**
 * Wall-clock arithmetic in an IANA time zone on top of Intl. A wall-clock time is carried as "wall
 * milliseconds": the epoch milliseconds it would have if the zone were UTC, so that days, weekdays and
 * times of day come from the UTC getters, and one calendar day is always 86,400,000 of them.
 */

/** Milliseconds in one calendar day of wall-clock time. */
export const DAY_MS = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();
// Offsets by UTC day: a number when the offset is the same for the whole day (every day but the ones
// with a transition), NaN otherwise. Intl is slow; this keeps a year of 4-hourly points to ~365 calls.
const dayOffsets = new Map<string, Map<number, number>>();
const MAX_CACHED_DAYS = 200_000;

function isUtc(zone: string): boolean {
  return zone === "Etc/UTC" || zone === "UTC" || zone === "Etc/GMT" || zone === "GMT";
}

function formatter(zone: string): Intl.DateTimeFormat {
  let format = formatters.get(zone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      era: "short",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(zone, format);
  }
  return format;
}

function intlOffsetMs(instantMs: number, zone: string): number {
  const second = Math.floor(instantMs / 1000) * 1000;
  const fields: Record<string, string> = {};
  for (const part of formatter(zone).formatToParts(second)) fields[part.type] = part.value;
  let year = Number(fields.year);
  if (fields.era === "BC" || fields.era === "B") year = 1 - year;
  const wall = new Date(0);
  wall.setUTCFullYear(year, Number(fields.month) - 1, Number(fields.day));
  wall.setUTCHours(Number(fields.hour), Number(fields.minute), Number(fields.second), 0);
  return wall.getTime() - second;
}

/** The zone's offset from UTC at `instantMs`, in milliseconds (Amsterdam in summer: 7,200,000). */
export function zoneOffsetMs(instantMs: number, zone: string): number {
  if (isUtc(zone)) return 0;
  let cache = dayOffsets.get(zone);
  if (cache === undefined || cache.size > MAX_CACHED_DAYS) {
    cache = new Map();
    dayOffsets.set(zone, cache);
  }
  const day = Math.floor(instantMs / DAY_MS);
  let offset = cache.get(day);
  if (offset === undefined) {
    const start = intlOffsetMs(day * DAY_MS, zone);
    offset = intlOffsetMs(day * DAY_MS + DAY_MS - 1000, zone) === start ? start : Number.NaN;
    cache.set(day, offset);
  }
  return Number.isNaN(offset) ? intlOffsetMs(instantMs, zone) : offset;
}

/** The wall-clock time at `instantMs` in `zone`, as wall milliseconds. */
export function toWallMs(instantMs: number, zone: string): number {
  return instantMs + zoneOffsetMs(instantMs, zone);
}

/**
 * The instant at which the clocks of `zone` show `wallMs`. A wall-clock time that occurs twice (the
 * hour repeated when clocks go back) gives the earlier instant; one that does not occur (the hour
 * skipped when clocks go forward) gives the instant as far past the gap's start as the wall-clock time
 * is, read with the offset in force before the gap: 02:30 on a day when 02:00 jumps to 03:00 is 03:30.
 */
export function fromWallMs(wallMs: number, zone: string): number {
  if (isUtc(zone)) return wallMs;
  // Offsets a day either side bracket any transition near this wall-clock time.
  const before = zoneOffsetMs(wallMs - DAY_MS, zone);
  const after = zoneOffsetMs(wallMs + DAY_MS, zone);
  const early = wallMs - before;
  const late = wallMs - after;
  const earlyFits = toWallMs(early, zone) === wallMs;
  const lateFits = toWallMs(late, zone) === wallMs;
  if (earlyFits && lateFits) return Math.min(early, late);
  if (earlyFits) return early;
  if (lateFits) return late;
  return early;
}

/** Calendar fields of a wall-clock time. `weekday` is 0 for Sunday to 6 for Saturday; `month` is 1–12. */
export interface WallDate {
  /** Days since 1970-01-01 in wall-clock time. */
  dayNumber: number;
  year: number;
  month: number;
  day: number;
  weekday: number;
  daysInMonth: number;
  /** Milliseconds since the wall-clock midnight. */
  timeOfDayMs: number;
}

/** The calendar fields of wall milliseconds. */
export function wallDate(wallMs: number): WallDate {
  const dayNumber = Math.floor(wallMs / DAY_MS);
  const date = new Date(dayNumber * DAY_MS);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth() + 1;
  return {
    dayNumber,
    year,
    month,
    day: date.getUTCDate(),
    weekday: date.getUTCDay(),
    daysInMonth: new Date(Date.UTC(year, month, 0)).getUTCDate(),
    timeOfDayMs: wallMs - dayNumber * DAY_MS,
  };
}
