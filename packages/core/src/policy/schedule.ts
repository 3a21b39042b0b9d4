import { invalidArgument } from "../errors.js";
import type { RepeatingInterval } from "./repeating-interval.js";
import { parseRepeatingInterval } from "./repeating-interval.js";
import { resolveTimeZone } from "./time-zone.js";
import { DAY_MS, fromWallMs, toWallMs } from "./zoned-time.js";

/** What {@link scheduledTimes} reads from a policy's `trigger.schedule`. */
export interface ScheduleInput {
  repeatingTimeIntervals: readonly string[];
  timeZone?: string | undefined;
}

interface CompiledSchedule {
  zone: string;
  intervals: RepeatingInterval[];
}

function compile(schedule: ScheduleInput): CompiledSchedule {
  if (schedule.repeatingTimeIntervals.length === 0) throw invalidArgument("schedule.repeatingTimeIntervals", "must name at least one interval");
  return {
    zone: resolveTimeZone(schedule.timeZone, "schedule.timeZone"),
    intervals: schedule.repeatingTimeIntervals.map((text, i) => parseRepeatingInterval(text, `schedule.repeatingTimeIntervals[${i}]`)),
  };
}

function checkDate(value: Date, field: string): number {
  const ms = value instanceof Date ? value.getTime() : Number.NaN;
  if (Number.isNaN(ms)) throw invalidArgument(field, "must be a valid Date");
  return ms;
}

function collect(compiled: CompiledSchedule, fromMs: number, toMs: number, into: Set<number>): void {
  const { zone } = compiled;
  for (const { start, periodMs } of compiled.intervals) {
    const startMs = start.getTime();
    const startWall = toWallMs(startMs, zone);
    const startDay = Math.floor(startWall / DAY_MS);
    // Every allowed period divides a day, so the same wall-clock times recur every day.
    const slots: number[] = [];
    for (let slot = (startWall - startDay * DAY_MS) % periodMs; slot < DAY_MS; slot += periodMs) slots.push(slot);
    // One day of margin either side covers zones up to ±24 h from UTC.
    const firstDay = Math.max(startDay, Math.floor(toWallMs(fromMs, zone) / DAY_MS) - 1);
    const lastDay = Math.floor(toWallMs(toMs, zone) / DAY_MS) + 1;
    for (let day = firstDay; day <= lastDay; day++) {
      for (const slot of slots) {
        const instant = fromWallMs(day * DAY_MS + slot, zone);
        if (instant >= startMs && instant >= fromMs && instant < toMs) into.add(instant);
      }
    }
  }
}

/**
 * The instants in `[from, to)` at which a schedule runs, in order. The start time of each
 * `R/<start>/<period>` entry, read on the clocks of the schedule's time zone (UTC when it names none),
 * sets the wall-clock times that repeat: every day at that time for P1D; every 4 hours of wall-clock
 * time from it for PT4H (a start at 09:00 gives 01:00, 05:00, 09:00, 13:00, 17:00 and 21:00 every day),
 * and so on; nothing runs before the start. Across daylight-saving changes the wall-clock times hold: a
 * time in the hour skipped when clocks go forward runs once, shifted by the gap (02:30 runs at 03:30),
 * and a time in the hour repeated when clocks go back runs once, at its first occurrence. Several
 * entries give the union of their times.
 * @throws InvalidArgument for an invalid `from` or `to`, `to` before `from`, a malformed interval, an
 *   unsupported period or an unknown time zone.
 */
export function scheduledTimes(schedule: ScheduleInput, from: Date, to: Date): Date[] {
  const fromMs = checkDate(from, "from");
  const toMs = checkDate(to, "to");
  if (toMs < fromMs) throw invalidArgument("to", "must not be before from");
  const found = new Set<number>();
  collect(compile(schedule), fromMs, toMs, found);
  return [...found].sort((a, b) => a - b).map((ms) => new Date(ms));
}

/**
 * The first instant strictly after `after` at which the schedule runs (see {@link scheduledTimes}).
 * @throws InvalidArgument as {@link scheduledTimes} does.
 */
export function nextScheduledTime(schedule: ScheduleInput, after: Date): Date {
  const compiled = compile(schedule);
  const earliestStart = Math.min(...compiled.intervals.map((interval) => interval.start.getTime()));
  const fromMs = Math.max(checkDate(after, "after") + 1, earliestStart);
  // Every entry runs at least once a wall-clock day from its start, so three days always hold a run.
  const found = new Set<number>();
  collect(compiled, fromMs, fromMs + 3 * DAY_MS, found);
  if (found.size === 0) throw invalidArgument("schedule", "never runs");
  return new Date(Math.min(...found));
}
