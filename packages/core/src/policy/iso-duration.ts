import { invalidArgument } from "../errors.js";

/** An ISO 8601 duration, part by part as written: `P1Y6M` → `{ years: 1, months: 6, ... }` (other parts 0). */
export interface IsoDuration {
  years: number;
  months: number;
  weeks: number;
  days: number;
  hours: number;
  minutes: number;
  seconds: number;
}

const DURATION = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/**
 * Parses an ISO 8601 duration (`P7D`, `P4W`, `P12M`, `P10Y`, `PT4H`, `P1DT12H`); returns undefined
 * for anything else, including `P`, `PT` and negative or fractional parts other than seconds.
 */
export function tryParseIsoDuration(text: string): IsoDuration | undefined {
  const match = DURATION.exec(text);
  if (match === null || text === "P" || text.endsWith("T")) return undefined;
  const part = (i: number) => (match[i] === undefined ? 0 : Number(match[i]));
  return { years: part(1), months: part(2), weeks: part(3), days: part(4), hours: part(5), minutes: part(6), seconds: part(7) };
}

/**
 * Parses an ISO 8601 duration.
 * @throws InvalidArgument naming `field` when `text` is not one.
 */
export function parseIsoDuration(text: string, field: string): IsoDuration {
  const duration = tryParseIsoDuration(text);
  if (duration === undefined) throw invalidArgument(field, `"${text}" is not an ISO 8601 duration such as P7D, P4W, P12M or PT4H`);
  return duration;
}

/** True when the duration has an hour, minute or second part. */
export function hasTimePart(duration: IsoDuration): boolean {
  return duration.hours !== 0 || duration.minutes !== 0 || duration.seconds !== 0;
}

/**
 * The duration in days, counting a year as 365 days and a month as 30: the measure Azure's limits are
 * stated in (operational retention "up to 360 days" is P360D, P12M or P51W).
 */
export function approximateDays(duration: IsoDuration): number {
  return (
    duration.years * 365 +
    duration.months * 30 +
    duration.weeks * 7 +
    duration.days +
    (duration.hours * HOUR_MS + duration.minutes * 60_000 + duration.seconds * 1000) / DAY_MS
  );
}

/**
 * The duration in years, counting a month as a twelfth of a year and a day as 1/365: the measure of
 * long retentions (P10Y, P120M and P3650D are all 10).
 */
export function approximateYears(duration: IsoDuration): number {
  return duration.years + duration.months / 12 + (approximateDays({ ...duration, years: 0, months: 0 }) / 365);
}

/**
 * `instant` plus `duration`. Years and months move the UTC calendar date (clamped to the month's last
 * day: 31 January + P1M is 28 or 29 February); weeks, days and time parts are exact multiples of 24 h,
 * 1 h, ... so that P7D is always 168 hours, whatever daylight-saving change falls in between.
 */
export function addIsoDuration(instant: Date, duration: IsoDuration): Date {
  let ms = instant.getTime();
  if (duration.years !== 0 || duration.months !== 0) {
    const date = new Date(ms);
    const monthIndex = date.getUTCFullYear() * 12 + date.getUTCMonth() + duration.years * 12 + duration.months;
    const year = Math.floor(monthIndex / 12);
    const month = monthIndex - year * 12;
    const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
    const shifted = new Date(ms);
    shifted.setUTCFullYear(year, month, Math.min(date.getUTCDate(), lastDay));
    ms = shifted.getTime();
  }
  ms += (duration.weeks * 7 + duration.days) * DAY_MS;
  ms += duration.hours * HOUR_MS + duration.minutes * 60_000 + Math.round(duration.seconds * 1000);
  return new Date(ms);
}
