const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Parses an ISO 8601 date-time with an offset, as Azure writes it (`2026-01-01T06:00:00+00:00`,
 * `2026-01-01T06:00:00Z`, optional fraction of a second). Returns undefined when the text has another
 * form (no offset, no seconds, a space for `T`) or names a date or time that does not exist
 * (30 February, 24:00, an offset beyond ±18:00).
 */
export function tryParseIsoDateTime(text: string): Date | undefined {
  const match = DATE_TIME.exec(text);
  if (match === null) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const fraction = match[7] === undefined ? 0 : Math.floor(Number(`0.${match[7]}`) * 1000);
  const offsetText = match[8] as string;
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return undefined;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > daysInMonth) return undefined;
  let offsetMinutes = 0;
  if (offsetText !== "Z") {
    const hours = Number(offsetText.slice(1, 3));
    const minutes = Number(offsetText.slice(4, 6));
    if (hours > 18 || minutes > 59) return undefined;
    offsetMinutes = (hours * 60 + minutes) * (offsetText[0] === "-" ? -1 : 1);
  }
  const wall = new Date(0);
  wall.setUTCFullYear(year, month - 1, day);
  wall.setUTCHours(hour, minute, second, fraction);
  return new Date(wall.getTime() - offsetMinutes * 60_000);
}
