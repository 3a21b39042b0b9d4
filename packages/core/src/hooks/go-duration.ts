import { invalidArgument } from "../errors.js";

// Nanoseconds per unit, as Go's time.ParseDuration knows them (both spellings of micro).
const UNIT_NANOSECONDS: ReadonlyMap<string, bigint> = new Map([
  ["ns", 1n],
  ["us", 1_000n],
  ["\u00b5s", 1_000n],
  ["\u03bcs", 1_000n],
  ["ms", 1_000_000n],
  ["s", 1_000_000_000n],
  ["m", 60_000_000_000n],
  ["h", 3_600_000_000_000n],
]);

// Go durations are int64 nanoseconds.
const MAX_NANOSECONDS = 2n ** 63n - 1n;

/**
 * Reads a duration in Go's `time.ParseDuration` form, such as `300ms`, `10s`, `5m`, `1h30m`, `1.5h`
 * or `-2m`: an optional sign, then one or more decimal numbers each followed by a unit (`ns`, `us`,
 * `µs`, `ms`, `s`, `m`, `h`); `0` alone needs no unit. Returns `undefined` for a valid text,
 * otherwise what is wrong with it.
 */
export function goDurationProblem(text: string): string | undefined {
  const result = parse(text);
  return typeof result === "string" ? result : undefined;
}

/**
 * The duration `text` (Go's `time.ParseDuration` form, see {@link goDurationProblem}) in
 * milliseconds, with a fraction below one millisecond (`1500us` is 1.5). Throws InvalidArgument on
 * `field` (default `duration`) for a malformed text, a missing or unknown unit, or a duration beyond
 * Go's limit of about 292 years.
 */
export function parseGoDuration(text: string, field = "duration"): number {
  const result = parse(text);
  if (typeof result === "string") throw invalidArgument(field, result);
  return result;
}

function parse(text: string): number | string {
  if (typeof text !== "string") return `a duration must be a string such as "30s", got ${typeof text}`;
  const invalid = `invalid duration "${text}": expected numbers with units, such as "30s", "5m" or "1h30m"`;
  let rest = text;
  let negative = false;
  if (rest.startsWith("-") || rest.startsWith("+")) {
    negative = rest.startsWith("-");
    rest = rest.slice(1);
  }
  if (rest === "0") return 0;
  if (rest === "") return invalid;
  let total = 0n;
  while (rest !== "") {
    const number = /^(\d*)(?:\.(\d*))?/.exec(rest)!;
    const whole = number[1] ?? "";
    const fraction = number[2] ?? "";
    if (whole === "" && fraction === "") return invalid;
    rest = rest.slice(number[0].length);
    const unitText = /^[^\d.]*/.exec(rest)![0];
    if (unitText === "") return `missing unit in duration "${text}": use ns, us, ms, s, m or h`;
    const unit = UNIT_NANOSECONDS.get(unitText);
    if (unit === undefined) return `unknown unit "${unitText}" in duration "${text}": use ns, us, ms, s, m or h`;
    rest = rest.slice(unitText.length);
    total += BigInt(whole === "" ? "0" : whole) * unit;
    // Like Go, a fraction finer than a nanosecond is dropped.
    if (fraction !== "") total += (BigInt(fraction) * unit) / 10n ** BigInt(fraction.length);
    if (total > MAX_NANOSECONDS) return `duration "${text}" is too long: Go durations stop at about 292 years`;
  }
  const milliseconds = Number(total) / 1e6;
  return negative ? -milliseconds : milliseconds;
}
