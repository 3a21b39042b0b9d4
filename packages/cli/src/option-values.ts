import { invalidArgument } from "@kbackup/core";

/** `a,b , c` as `["a", "b", "c"]`; repeated options add up. */
export function listOption(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(",").map((part) => part.trim()).filter((part) => part !== "")];
}

/** Repeated `--option value` collected in order. */
export function repeatedOption(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/**
 * `from=to` pairs (repeated or comma-separated) as a record.
 * @throws InvalidArgument naming `field` for a pair without `=` or a name given twice.
 */
export function mappingOption(field: string, pairs: readonly string[] | undefined): Record<string, string> | undefined {
  if (!pairs || pairs.length === 0) return undefined;
  const mapping: Record<string, string> = {};
  for (const pair of pairs.flatMap((entry) => entry.split(","))) {
    const [from, to, ...rest] = pair.split("=").map((part) => part.trim());
    if (!from || !to || rest.length > 0) throw invalidArgument(field, `"${pair}" is not a name=name pair (for example blog=blog-restored)`);
    if (from in mapping) throw invalidArgument(field, `"${from}" is mapped twice`);
    mapping[from] = to;
  }
  return mapping;
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/**
 * A duration such as `90m`, `36h` or `7d`, in milliseconds.
 * @throws InvalidArgument naming `field` for anything else.
 */
export function durationOption(field: string, text: string): number {
  const match = /^(\d+(?:\.\d+)?)([smhdw])$/.exec(text.trim());
  if (!match) throw invalidArgument(field, `"${text}" is not a duration such as 30m, 12h or 7d`);
  return Number(match[1]) * (UNITS[match[2] as string] as number);
}

/**
 * A point in time: an ISO 8601 date-time, or a duration meaning that long before `now` (`7d`: a week ago).
 * @throws InvalidArgument naming `field` for anything else.
 */
export function timeOption(field: string, text: string, now: Date): Date {
  if (/^\d+(?:\.\d+)?[smhdw]$/.test(text.trim())) return new Date(now.getTime() - durationOption(field, text));
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw invalidArgument(field, `"${text}" is neither an ISO 8601 date-time nor a duration such as 7d`);
  return new Date(ms);
}

/**
 * One of `choices`, matched without regard to case.
 * @throws InvalidArgument naming `field` otherwise.
 */
export function choiceOption<T extends string>(field: string, text: string, choices: readonly T[]): T {
  const found = choices.find((choice) => choice.toLowerCase() === text.toLowerCase());
  if (!found) throw invalidArgument(field, `"${text}" is not one of ${choices.join(", ")}`);
  return found;
}

/**
 * A whole number within bounds.
 * @throws InvalidArgument naming `field` otherwise.
 */
export function integerOption(field: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min || value > max) throw invalidArgument(field, `"${text}" is not a whole number from ${min} to ${max}`);
  return value;
}
