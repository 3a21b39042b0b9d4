import type { Fault } from "../selection/faults.js";
import { faultsError } from "../selection/faults.js";
import { tryParseIsoDateTime } from "./iso-date-time.js";
import { hasTimePart, tryParseIsoDuration } from "./iso-duration.js";

/** The backup frequencies Azure offers for Kubernetes clusters: every 4, 6, 8 or 12 hours, or daily. */
export const BACKUP_FREQUENCIES = ["PT4H", "PT6H", "PT8H", "PT12H", "P1D"] as const;

/** One of {@link BACKUP_FREQUENCIES}. */
export type BackupFrequency = (typeof BACKUP_FREQUENCIES)[number];

/** A parsed `R/<start>/<period>` schedule entry. */
export interface RepeatingInterval {
  /** The first backup's instant; its wall-clock time in the policy's time zone is what repeats. */
  start: Date;
  period: BackupFrequency;
  /** The period in milliseconds of wall-clock time (4 hours: 14,400,000; a day: 86,400,000). */
  periodMs: number;
}

const PERIOD_MS: Record<BackupFrequency, number> = {
  PT4H: 4 * 3_600_000,
  PT6H: 6 * 3_600_000,
  PT8H: 8 * 3_600_000,
  PT12H: 12 * 3_600_000,
  P1D: 24 * 3_600_000,
};

function frequencyOf(text: string): BackupFrequency | undefined {
  const duration = tryParseIsoDuration(text);
  if (duration === undefined) return undefined;
  const { years, months, weeks, days, hours, minutes, seconds } = duration;
  if (years + months + weeks + minutes + seconds !== 0) return undefined;
  if (days === 1 && !hasTimePart(duration)) return "P1D";
  if (days === 0) return BACKUP_FREQUENCIES.find((frequency) => frequency === `PT${hours}H`);
  return undefined;
}

/**
 * Checks one entry of `repeatingTimeIntervals`: `R/<start>/<period>` (a count after `R`, as in
 * `R5/...`, is accepted and ignored, as Azure does), `start` an ISO 8601 date-time with an offset and
 * `period` one of {@link BACKUP_FREQUENCIES}. Returns the parsed interval, or every fault found (start
 * and period are checked independently), each under `field`.
 */
export function checkRepeatingInterval(text: string, field: string): { interval?: RepeatingInterval; faults: Fault[] } {
  const parts = text.split("/");
  if (parts.length !== 3 || !/^R\d*$/.test(parts[0] as string)) {
    return { faults: [{ field, message: `"${text}" is not a repeating interval R/<start>/<period>, such as R/2026-01-01T06:00:00+00:00/PT4H` }] };
  }
  const [, startText, periodText] = parts as [string, string, string];
  const faults: Fault[] = [];
  const start = tryParseIsoDateTime(startText);
  if (start === undefined) {
    faults.push({ field, message: `start "${startText}" is not an ISO 8601 date-time with an offset, such as 2026-01-01T06:00:00+00:00` });
  }
  const period = frequencyOf(periodText);
  if (period === undefined) {
    const known = tryParseIsoDuration(periodText) !== undefined;
    faults.push({
      field,
      message: known
        ? `period "${periodText}" is not a supported backup frequency: use ${BACKUP_FREQUENCIES.join(", ")} (at least 4 hours apart)`
        : `period "${periodText}" is not an ISO 8601 duration; use one of ${BACKUP_FREQUENCIES.join(", ")}`,
    });
  }
  if (start === undefined || period === undefined) return { faults };
  return { interval: { start, period, periodMs: PERIOD_MS[period] }, faults };
}

/**
 * Parses one entry of `repeatingTimeIntervals`: `R/<start>/<period>` (a count after `R` is accepted
 * and ignored), `start` an ISO 8601 date-time with an offset and `period` one of
 * {@link BACKUP_FREQUENCIES}.
 * @throws InvalidArgument naming `field` and listing every fault (start and period are checked independently).
 */
export function parseRepeatingInterval(text: string, field: string): RepeatingInterval {
  const { interval, faults } = checkRepeatingInterval(text, field);
  if (interval === undefined) throw faultsError(field, faults);
  return interval;
}
