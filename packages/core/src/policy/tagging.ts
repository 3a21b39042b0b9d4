import { invalidArgument } from "../errors.js";
import { tryParseIsoDateTime } from "./iso-date-time.js";
import { backupRuleOf, policyTimeZone } from "./policy-rules.js";
import type { BackupPolicy, RetentionTag, ScheduleBasedBackupCriteria, TaggingCriteria } from "./policy-schema.js";
import { DAYS_OF_WEEK, MONTHS_OF_YEAR } from "./policy-schema.js";
import type { WallDate } from "./zoned-time.js";
import { DAY_MS, toWallMs, wallDate } from "./zoned-time.js";

/**
 * The day a week starts on for `FirstOfWeek`. Azure's documentation does not say which day it uses;
 * kbackup starts weeks on Sunday, the first day of Azure's `DayOfWeek` list.
 */
export const WEEK_STARTS_ON = "Sunday" as const;

/** A recovery point as tagging sees it: when its backup was taken. */
export interface TaggablePoint {
  time: Date;
}

/** A recovery point of a history to tag in one pass: failed backups get no tag and are not anyone's first. */
export interface TaggingHistoryPoint extends TaggablePoint {
  /** False for a failed backup; absent means it succeeded. */
  succeeded?: boolean;
}

interface PeriodKeys {
  day: number;
  week: number;
  month: number;
  year: number;
}

interface Firsts {
  day: boolean;
  week: boolean;
  month: boolean;
  year: boolean;
}

interface Tagger {
  zone: string;
  ordered: TaggingCriteria[];
  fallback: TaggingCriteria | undefined;
}

function compileTagger(policy: BackupPolicy): Tagger {
  const criteria = backupRuleOf(policy).trigger.taggingCriteria;
  return {
    zone: policyTimeZone(policy),
    ordered: criteria.filter((tag) => !tag.isDefault).sort((a, b) => a.taggingPriority - b.taggingPriority),
    fallback: criteria.find((tag) => tag.isDefault),
  };
}

function keysOf(date: WallDate): PeriodKeys {
  // Day 0 (1 January 1970) was a Thursday, so day numbers shifted by 4 count whole weeks from a Sunday.
  return { day: date.dayNumber, week: Math.floor((date.dayNumber + 4) / 7), month: date.year * 12 + date.month, year: date.year };
}

function inWeekOfMonth(week: string, date: WallDate): boolean {
  if (week === "Last") return date.day > date.daysInMonth - 7;
  const index = ["First", "Second", "Third", "Fourth"].indexOf(week);
  return index >= 0 && Math.floor((date.day - 1) / 7) === index;
}

function minuteOfDay(wallMs: number): number {
  return Math.floor((wallMs - Math.floor(wallMs / DAY_MS) * DAY_MS) / 60_000);
}

function criterionMatches(criterion: ScheduleBasedBackupCriteria, date: WallDate, wallMs: number, firsts: Firsts, zone: string): boolean {
  const { absoluteCriteria, daysOfTheWeek, weeksOfTheMonth, monthsOfYear, daysOfMonth, scheduleTimes } = criterion;
  const absoluteHolds = (marker: string) =>
    marker === "AllBackup" ||
    (marker === "FirstOfDay" && firsts.day) ||
    (marker === "FirstOfWeek" && firsts.week) ||
    (marker === "FirstOfMonth" && firsts.month) ||
    (marker === "FirstOfYear" && firsts.year);
  if (absoluteCriteria?.length && !absoluteCriteria.some(absoluteHolds)) return false;
  if (daysOfTheWeek?.length && !daysOfTheWeek.includes(DAYS_OF_WEEK[date.weekday] as (typeof DAYS_OF_WEEK)[number])) return false;
  if (weeksOfTheMonth?.length && !weeksOfTheMonth.some((week) => inWeekOfMonth(week, date))) return false;
  if (monthsOfYear?.length && !monthsOfYear.includes(MONTHS_OF_YEAR[date.month - 1] as (typeof MONTHS_OF_YEAR)[number])) return false;
  if (daysOfMonth?.length && !daysOfMonth.some((day) => (day.isLast === true ? date.day === date.daysInMonth : day.date === date.day))) return false;
  if (scheduleTimes?.length) {
    const minute = minuteOfDay(wallMs);
    const timeMatches = (text: string) => {
      const time = tryParseIsoDateTime(text);
      return time !== undefined && minuteOfDay(toWallMs(time.getTime(), zone)) === minute;
    };
    if (!scheduleTimes.some(timeMatches)) return false;
  }
  return true;
}

function tagFor(tagger: Tagger, wallMs: number, date: WallDate, firsts: Firsts): RetentionTag {
  for (const tag of tagger.ordered) {
    if (tag.criteria?.some((criterion) => criterionMatches(criterion, date, wallMs, firsts, tagger.zone))) return { ...tag.tagInfo };
  }
  if (tagger.fallback === undefined) throw invalidArgument("policyRules.trigger.taggingCriteria", "the policy has no default tag");
  return { ...tagger.fallback.tagInfo };
}

function checkTime(point: TaggablePoint, field: string): number {
  const ms = point.time instanceof Date ? point.time.getTime() : Number.NaN;
  if (Number.isNaN(ms)) throw invalidArgument(field, "must be a valid Date");
  return ms;
}

/**
 * The tag a new recovery point gets: that of the tagging criterion with the lowest `taggingPriority`
 * number that matches it, else the default tag. A criterion matches when any of its `criteria` does;
 * one of those matches when every condition it names holds, all read on the clocks of the policy's time
 * zone:
 * - `absoluteCriteria`: any of the markers holds. `AllBackup` always; `FirstOfDay`, `FirstOfWeek`,
 *   `FirstOfMonth`, `FirstOfYear` when no earlier successful backup fell in the same day, week (from
 *   {@link WEEK_STARTS_ON}), month or year, so a failed 00:00 backup makes the 04:00 one the first of
 *   its day;
 * - `daysOfTheWeek`: the point's weekday is listed;
 * - `weeksOfTheMonth`: the point's day falls in a listed week, `First` being days 1–7, `Second` 8–14,
 *   `Third` 15–21, `Fourth` 22–28 and `Last` the month's last seven days (so `Sunday` with `First` is
 *   the first Sunday of the month, and with `Last` the last one);
 * - `monthsOfYear`: the point's month is listed;
 * - `daysOfMonth`: the point's day of the month is a listed `date`, or the last day for `isLast`;
 * - `scheduleTimes`: the point's wall-clock time matches the time of day of one of them, to the minute.
 *
 * @param priorSuccessfulPoints the backups that succeeded before this one (later ones are ignored).
 * @returns a copy of the winning criterion's `tagInfo`.
 * @throws InvalidArgument for an invalid `time`, or a policy without a backup rule or default tag.
 */
export function tagRecoveryPoint(policy: BackupPolicy, point: TaggablePoint, priorSuccessfulPoints: readonly TaggablePoint[]): RetentionTag {
  const tagger = compileTagger(policy);
  const ms = checkTime(point, "point.time");
  const seen: Record<keyof PeriodKeys, Set<number>> = { day: new Set(), week: new Set(), month: new Set(), year: new Set() };
  priorSuccessfulPoints.forEach((prior, i) => {
    const priorMs = checkTime(prior, `priorSuccessfulPoints[${i}].time`);
    if (priorMs >= ms) return;
    const keys = keysOf(wallDate(toWallMs(priorMs, tagger.zone)));
    for (const period of ["day", "week", "month", "year"] as const) seen[period].add(keys[period]);
  });
  const wallMs = toWallMs(ms, tagger.zone);
  const date = wallDate(wallMs);
  const keys = keysOf(date);
  return tagFor(tagger, wallMs, date, {
    day: !seen.day.has(keys.day),
    week: !seen.week.has(keys.week),
    month: !seen.month.has(keys.month),
    year: !seen.year.has(keys.year),
  });
}

/**
 * Tags a whole history at once, in time order, as {@link tagRecoveryPoint} would tag each point given
 * the successful ones before it: linear in the number of points.
 * @returns one entry per input point, in input order: its tag, or undefined for a failed backup.
 * @throws InvalidArgument as {@link tagRecoveryPoint} does.
 */
export function tagRecoveryPoints(policy: BackupPolicy, points: readonly TaggingHistoryPoint[]): (RetentionTag | undefined)[] {
  const tagger = compileTagger(policy);
  const times = points.map((point, i) => checkTime(point, `points[${i}].time`));
  const order = times.map((_, i) => i).sort((a, b) => (times[a] as number) - (times[b] as number));
  const last: PeriodKeys = { day: Number.NaN, week: Number.NaN, month: Number.NaN, year: Number.NaN };
  const tags: (RetentionTag | undefined)[] = new Array(points.length).fill(undefined);
  for (const i of order) {
    if ((points[i] as TaggingHistoryPoint).succeeded === false) continue;
    const wallMs = toWallMs(times[i] as number, tagger.zone);
    const date = wallDate(wallMs);
    const keys = keysOf(date);
    // In time order, a point is the first of its period exactly when the previous success was in another one.
    tags[i] = tagFor(tagger, wallMs, date, { day: keys.day !== last.day, week: keys.week !== last.week, month: keys.month !== last.month, year: keys.year !== last.year });
    Object.assign(last, keys);
  }
  return tags;
}
