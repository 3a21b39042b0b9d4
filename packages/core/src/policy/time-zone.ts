import { invalidArgument } from "../errors.js";

/**
 * Windows time zone names, as Azure's backup policies carry them in `schedule.timeZone`, and the IANA
 * zone each stands for (the zone the Unicode CLDR's windowsZones table gives for the territory "001").
 * "Coordinated Universal Time" is the name Azure's portal writes for UTC.
 */
export const WINDOWS_TIME_ZONES: Readonly<Record<string, string>> = {
  UTC: "Etc/UTC",
  "Coordinated Universal Time": "Etc/UTC",
  "Dateline Standard Time": "Etc/GMT+12",
  "UTC-11": "Etc/GMT+11",
  "Hawaiian Standard Time": "Pacific/Honolulu",
  "Alaskan Standard Time": "America/Anchorage",
  "Pacific Standard Time": "America/Los_Angeles",
  "US Mountain Standard Time": "America/Phoenix",
  "Mountain Standard Time": "America/Denver",
  "Central Standard Time": "America/Chicago",
  "Central America Standard Time": "America/Guatemala",
  "Canada Central Standard Time": "America/Regina",
  "Eastern Standard Time": "America/New_York",
  "US Eastern Standard Time": "America/Indiana/Indianapolis",
  "Atlantic Standard Time": "America/Halifax",
  "Newfoundland Standard Time": "America/St_Johns",
  "SA Pacific Standard Time": "America/Bogota",
  "E. South America Standard Time": "America/Sao_Paulo",
  "Argentina Standard Time": "America/Argentina/Buenos_Aires",
  "UTC-02": "Etc/GMT+2",
  "Azores Standard Time": "Atlantic/Azores",
  "GMT Standard Time": "Europe/London",
  "Greenwich Standard Time": "Atlantic/Reykjavik",
  "W. Europe Standard Time": "Europe/Berlin",
  "Central Europe Standard Time": "Europe/Budapest",
  "Romance Standard Time": "Europe/Paris",
  "Central European Standard Time": "Europe/Warsaw",
  "W. Central Africa Standard Time": "Africa/Lagos",
  "GTB Standard Time": "Europe/Bucharest",
  "E. Europe Standard Time": "Europe/Chisinau",
  "FLE Standard Time": "Europe/Kyiv",
  "Egypt Standard Time": "Africa/Cairo",
  "South Africa Standard Time": "Africa/Johannesburg",
  "Israel Standard Time": "Asia/Jerusalem",
  "Turkey Standard Time": "Europe/Istanbul",
  "Russian Standard Time": "Europe/Moscow",
  "Arab Standard Time": "Asia/Riyadh",
  "Arabian Standard Time": "Asia/Dubai",
  "Iran Standard Time": "Asia/Tehran",
  "Pakistan Standard Time": "Asia/Karachi",
  "India Standard Time": "Asia/Kolkata",
  "Nepal Standard Time": "Asia/Kathmandu",
  "Bangladesh Standard Time": "Asia/Dhaka",
  "SE Asia Standard Time": "Asia/Bangkok",
  "China Standard Time": "Asia/Shanghai",
  "Singapore Standard Time": "Asia/Singapore",
  "W. Australia Standard Time": "Australia/Perth",
  "Taipei Standard Time": "Asia/Taipei",
  "Tokyo Standard Time": "Asia/Tokyo",
  "Korea Standard Time": "Asia/Seoul",
  "Cen. Australia Standard Time": "Australia/Adelaide",
  "AUS Central Standard Time": "Australia/Darwin",
  "E. Australia Standard Time": "Australia/Brisbane",
  "AUS Eastern Standard Time": "Australia/Sydney",
  "Tasmania Standard Time": "Australia/Hobart",
  "New Zealand Standard Time": "Pacific/Auckland",
  "Tonga Standard Time": "Pacific/Tongatapu",
};

const windowsByLowerName = new Map(Object.entries(WINDOWS_TIME_ZONES).map(([name, iana]) => [name.toLowerCase(), iana]));
const resolved = new Map<string, string | null>();

/**
 * The IANA name of a policy's time zone: undefined → `"Etc/UTC"` (Azure's schedules are in UTC unless
 * they name a zone); a Windows name from {@link WINDOWS_TIME_ZONES} (any letter case) → its IANA zone;
 * an IANA name that this runtime's Intl knows (`Europe/Amsterdam`, `UTC`) → itself. Returns undefined for
 * anything else, including numeric offsets such as `+01:00`, which do not follow daylight saving.
 */
export function tryResolveTimeZone(name: string | undefined): string | undefined {
  if (name === undefined) return "Etc/UTC";
  const cached = resolved.get(name);
  if (cached !== undefined) return cached ?? undefined;
  let zone: string | null = windowsByLowerName.get(name.trim().toLowerCase()) ?? null;
  if (zone === null && /^[A-Za-z]/.test(name)) {
    try {
      zone = new Intl.DateTimeFormat("en-US", { timeZone: name }).resolvedOptions().timeZone;
    } catch {
      zone = null;
    }
  }
  resolved.set(name, zone);
  return zone ?? undefined;
}

/**
 * Like {@link tryResolveTimeZone}.
 * @throws InvalidArgument naming `field` for a zone that does not exist.
 */
export function resolveTimeZone(name: string | undefined, field = "timeZone"): string {
  const zone = tryResolveTimeZone(name);
  if (zone === undefined) {
    throw invalidArgument(field, `time zone "${name}" does not exist: use an IANA name (Europe/Amsterdam) or a Windows name (W. Europe Standard Time)`);
  }
  return zone;
}
