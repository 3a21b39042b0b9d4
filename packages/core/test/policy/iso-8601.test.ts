import { describe, expect, it } from "vitest";
import { addIsoDuration, isKBackupError, parseIsoDuration, parseRepeatingInterval, tryParseIsoDateTime, tryParseIsoDuration } from "@kbackup/core";

describe("ISO 8601 durations", () => {
  it.each([
    ["P7D", { days: 7 }],
    ["P4W", { weeks: 4 }],
    ["P12M", { months: 12 }],
    ["P10Y", { years: 10 }],
    ["PT4H", { hours: 4 }],
    ["P1Y2M3DT4H5M6.5S", { years: 1, months: 2, days: 3, hours: 4, minutes: 5, seconds: 6.5 }],
  ])("reads %s", (text, parts) => {
    expect(tryParseIsoDuration(text)).toEqual({ years: 0, months: 0, weeks: 0, days: 0, hours: 0, minutes: 0, seconds: 0, ...parts });
  });

  it.each(["", "P", "PT", "P1DT", "7D", "P-1D", "P1.5D", "PT4h", "P1H"])("refuses %j", (text) => {
    expect(tryParseIsoDuration(text)).toBeUndefined();
    let error: unknown;
    try {
      parseIsoDuration(text, "deleteAfter.duration");
    } catch (caught) {
      error = caught;
    }
    expect(isKBackupError(error, "InvalidArgument") && error.field).toBe("deleteAfter.duration");
  });

  it("adds days as whole 24-hour days and months on the calendar, clamped to the month's end", () => {
    const add = (start: string, duration: string) => addIsoDuration(new Date(start), parseIsoDuration(duration, "d")).toISOString();
    // 29 March 2026 is 23 hours long in Amsterdam; P7D is still 168 hours.
    expect(add("2026-03-25T01:00:00Z", "P7D")).toBe("2026-04-01T01:00:00.000Z");
    expect(add("2026-01-31T09:00:00Z", "P1M")).toBe("2026-02-28T09:00:00.000Z");
    expect(add("2028-01-31T09:00:00Z", "P1M")).toBe("2028-02-29T09:00:00.000Z");
    expect(add("2028-02-29T09:00:00Z", "P1Y")).toBe("2029-02-28T09:00:00.000Z");
    expect(add("2026-11-15T00:00:00Z", "P12M")).toBe("2027-11-15T00:00:00.000Z");
    expect(add("2026-01-01T00:00:00Z", "P4W")).toBe("2026-01-29T00:00:00.000Z");
  });
});

describe("ISO 8601 date-times", () => {
  it("reads Azure's forms", () => {
    expect(tryParseIsoDateTime("2026-01-01T06:00:00+00:00")?.toISOString()).toBe("2026-01-01T06:00:00.000Z");
    expect(tryParseIsoDateTime("2026-01-01T06:00:00Z")?.toISOString()).toBe("2026-01-01T06:00:00.000Z");
    expect(tryParseIsoDateTime("2026-01-01T06:00:00.25+05:30")?.toISOString()).toBe("2026-01-01T00:30:00.250Z");
    expect(tryParseIsoDateTime("2026-01-01T06:00:00-08:00")?.toISOString()).toBe("2026-01-01T14:00:00.000Z");
  });

  it.each(["2026-01-01T06:00:00", "2026-01-01 06:00:00Z", "2026-01-01T06:00Z", "2026-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-01-01T24:00:00Z", "2026-01-01T06:00:00+19:00"])(
    "refuses %s",
    (text) => {
      expect(tryParseIsoDateTime(text)).toBeUndefined();
    },
  );
});

describe("parseRepeatingInterval", () => {
  it("reads the start and period, ignoring a repeat count", () => {
    expect(parseRepeatingInterval("R10/2026-01-01T06:00:00+01:00/PT8H", "interval")).toEqual({ start: new Date("2026-01-01T05:00:00Z"), period: "PT8H", periodMs: 8 * 3_600_000 });
  });

  it("lists a bad start and a bad period together", () => {
    let error: any;
    try {
      parseRepeatingInterval("R/2026-01-01/PT30M", "interval");
    } catch (caught) {
      error = caught;
    }
    expect(isKBackupError(error, "InvalidArgument")).toBe(true);
    expect(error.details.faults.map((fault: { message: string }) => fault.message)).toEqual([
      expect.stringContaining('start "2026-01-01"'),
      expect.stringContaining('period "PT30M" is not a supported backup frequency'),
    ]);
  });
});
