import { describe, expect, it } from "vitest";
import { isKBackupError, nextScheduledTime, scheduledTimes } from "@kbackup/core";

const iso = (dates: Date[]) => dates.map((date) => date.toISOString());
const at = (text: string) => new Date(text);

describe("scheduledTimes", () => {
  it("runs Azure's default schedule every 4 hours of UTC from 09:00", () => {
    const schedule = { repeatingTimeIntervals: ["R/2023-01-04T09:00:00+00:00/PT4H"] };
    expect(iso(scheduledTimes(schedule, at("2026-05-01T00:00:00Z"), at("2026-05-02T00:00:00Z")))).toEqual([
      "2026-05-01T01:00:00.000Z",
      "2026-05-01T05:00:00.000Z",
      "2026-05-01T09:00:00.000Z",
      "2026-05-01T13:00:00.000Z",
      "2026-05-01T17:00:00.000Z",
      "2026-05-01T21:00:00.000Z",
    ]);
  });

  it("includes from, excludes to, and runs nothing before the start", () => {
    const schedule = { repeatingTimeIntervals: ["R/2026-01-01T12:00:00+00:00/PT12H"] };
    expect(iso(scheduledTimes(schedule, at("2025-12-31T00:00:00Z"), at("2026-01-02T12:00:00Z")))).toEqual([
      "2026-01-01T12:00:00.000Z",
      "2026-01-02T00:00:00.000Z",
    ]);
  });

  it("ignores the repeat count after R", () => {
    const schedule = { repeatingTimeIntervals: ["R2/2026-01-01T00:00:00Z/PT6H"] };
    expect(scheduledTimes(schedule, at("2026-01-01T00:00:00Z"), at("2026-01-03T00:00:00Z"))).toHaveLength(8);
  });

  it("repeats the start's wall-clock time in the policy's time zone, not its offset", () => {
    // 06:00 UTC on 1 January is 07:00 in Amsterdam, so the backup runs at 07:00 Amsterdam time all year.
    const schedule = { repeatingTimeIntervals: ["R/2026-01-01T06:00:00+00:00/P1D"], timeZone: "Europe/Amsterdam" };
    expect(iso(scheduledTimes(schedule, at("2026-07-01T00:00:00Z"), at("2026-07-02T00:00:00Z")))).toEqual(["2026-07-01T05:00:00.000Z"]);
  });

  describe("in Europe/Amsterdam", () => {
    const daily0230 = { repeatingTimeIntervals: ["R/2026-01-01T02:30:00+01:00/P1D"], timeZone: "Europe/Amsterdam" };

    it("runs a daily 02:30 once, at 03:30, on the day clocks skip 02:00–03:00 (29 March 2026)", () => {
      expect(iso(scheduledTimes(daily0230, at("2026-03-27T00:00:00Z"), at("2026-03-31T00:00:00Z")))).toEqual([
        "2026-03-27T01:30:00.000Z",
        "2026-03-28T01:30:00.000Z",
        "2026-03-29T01:30:00.000Z",
        "2026-03-30T00:30:00.000Z",
      ]);
    });

    it("runs a daily 02:30 once, at its first occurrence, on the day clocks repeat 02:00–03:00 (25 October 2026)", () => {
      expect(iso(scheduledTimes(daily0230, at("2026-10-24T00:00:00Z"), at("2026-10-27T00:00:00Z")))).toEqual([
        "2026-10-24T00:30:00.000Z",
        "2026-10-25T00:30:00.000Z",
        "2026-10-26T01:30:00.000Z",
      ]);
    });

    const every4hFrom0200 = { repeatingTimeIntervals: ["R/2027-01-01T02:00:00+01:00/PT4H"], timeZone: "W. Europe Standard Time" };

    it("keeps the 4-hourly wall-clock times on 28 March 2027, the skipped 02:00 running at 03:00", () => {
      expect(iso(scheduledTimes(every4hFrom0200, at("2027-03-27T23:00:00Z"), at("2027-03-28T22:00:00Z")))).toEqual([
        "2027-03-28T01:00:00.000Z", // 02:00 does not exist: 03:00 CEST
        "2027-03-28T04:00:00.000Z", // 06:00 CEST
        "2027-03-28T08:00:00.000Z",
        "2027-03-28T12:00:00.000Z",
        "2027-03-28T16:00:00.000Z",
        "2027-03-28T20:00:00.000Z", // 22:00 CEST
      ]);
    });

    it("keeps the 4-hourly wall-clock times on 31 October 2027, the repeated 02:00 running once", () => {
      expect(iso(scheduledTimes(every4hFrom0200, at("2027-10-30T22:00:00Z"), at("2027-10-31T23:00:00Z")))).toEqual([
        "2027-10-31T00:00:00.000Z", // 02:00 CEST, the first 02:00
        "2027-10-31T05:00:00.000Z", // 06:00 CET
        "2027-10-31T09:00:00.000Z",
        "2027-10-31T13:00:00.000Z",
        "2027-10-31T17:00:00.000Z",
        "2027-10-31T21:00:00.000Z", // 22:00 CET
      ]);
    });
  });

  describe("in America/New_York", () => {
    const every4hFrom0100 = { repeatingTimeIntervals: ["R/2026-01-01T01:00:00-05:00/PT4H"], timeZone: "America/New_York" };

    it("runs 01:00 and 05:00 three hours apart on 8 March 2026", () => {
      expect(iso(scheduledTimes(every4hFrom0100, at("2026-03-08T05:00:00Z"), at("2026-03-09T04:00:00Z")))).toEqual([
        "2026-03-08T06:00:00.000Z", // 01:00 EST
        "2026-03-08T09:00:00.000Z", // 05:00 EDT
        "2026-03-08T13:00:00.000Z",
        "2026-03-08T17:00:00.000Z",
        "2026-03-08T21:00:00.000Z",
        "2026-03-09T01:00:00.000Z", // 21:00 EDT
      ]);
    });

    it("runs the repeated 01:00 once on 1 November 2026, and 05:00 five hours later", () => {
      expect(iso(scheduledTimes(every4hFrom0100, at("2026-11-01T04:00:00Z"), at("2026-11-02T05:00:00Z")))).toEqual([
        "2026-11-01T05:00:00.000Z", // 01:00 EDT, the first 01:00
        "2026-11-01T10:00:00.000Z", // 05:00 EST
        "2026-11-01T14:00:00.000Z",
        "2026-11-01T18:00:00.000Z",
        "2026-11-01T22:00:00.000Z",
        "2026-11-02T02:00:00.000Z", // 21:00 EST
      ]);
    });

    it("runs a daily 02:15 at 03:15 on 14 March 2027 and a daily 01:30 once on 7 November 2027", () => {
      const daily0215 = { repeatingTimeIntervals: ["R/2027-01-01T02:15:00-05:00/P1D"], timeZone: "Eastern Standard Time" };
      expect(iso(scheduledTimes(daily0215, at("2027-03-13T00:00:00Z"), at("2027-03-16T00:00:00Z")))).toEqual([
        "2027-03-13T07:15:00.000Z",
        "2027-03-14T07:15:00.000Z", // 03:15 EDT
        "2027-03-15T06:15:00.000Z",
      ]);
      const daily0130 = { repeatingTimeIntervals: ["R/2027-01-01T01:30:00-05:00/P1D"], timeZone: "America/New_York" };
      expect(iso(scheduledTimes(daily0130, at("2027-11-06T00:00:00Z"), at("2027-11-09T00:00:00Z")))).toEqual([
        "2027-11-06T05:30:00.000Z",
        "2027-11-07T05:30:00.000Z", // 01:30 EDT, the first 01:30
        "2027-11-08T06:30:00.000Z",
      ]);
    });

    it("gives the same times for the Windows name as for the IANA name", () => {
      const windows = { ...every4hFrom0100, timeZone: "Eastern Standard Time" };
      // 1 January 2026 to 30 December 2027 in New York: 729 days.
      const range = [at("2026-01-01T05:00:00Z"), at("2027-12-31T05:00:00Z")] as const;
      const times = scheduledTimes(every4hFrom0100, ...range);
      expect(times).toEqual(scheduledTimes(windows, ...range));
      // Two years of 6 a day, none twice.
      expect(new Set(iso(times)).size).toBe(times.length);
      expect(times.length).toBe(729 * 6);
    });
  });

  it("rejects a bad period, zone or range", () => {
    const error = (run: () => unknown) => {
      try {
        run();
      } catch (caught) {
        return caught;
      }
      return undefined;
    };
    const from = at("2026-01-01T00:00:00Z");
    const to = at("2026-01-02T00:00:00Z");
    const hourly = error(() => scheduledTimes({ repeatingTimeIntervals: ["R/2026-01-01T00:00:00Z/PT1H"] }, from, to));
    expect(isKBackupError(hourly, "InvalidArgument") && hourly.field).toBe("schedule.repeatingTimeIntervals[0]");
    const zone = error(() => scheduledTimes({ repeatingTimeIntervals: ["R/2026-01-01T00:00:00Z/PT4H"], timeZone: "Nowhere/Special" }, from, to));
    expect(isKBackupError(zone, "InvalidArgument") && zone.field).toBe("schedule.timeZone");
    const backwards = error(() => scheduledTimes({ repeatingTimeIntervals: ["R/2026-01-01T00:00:00Z/PT4H"] }, to, from));
    expect(isKBackupError(backwards, "InvalidArgument") && backwards.field).toBe("to");
    const invalid = error(() => scheduledTimes({ repeatingTimeIntervals: ["R/2026-01-01T00:00:00Z/PT4H"] }, new Date(Number.NaN), to));
    expect(isKBackupError(invalid, "InvalidArgument") && invalid.field).toBe("from");
  });
});

describe("nextScheduledTime", () => {
  const daily0230 = { repeatingTimeIntervals: ["R/2026-01-01T02:30:00+01:00/P1D"], timeZone: "Europe/Amsterdam" };

  it("is the first run strictly after the instant", () => {
    expect(nextScheduledTime(daily0230, at("2026-03-27T01:30:00Z")).toISOString()).toBe("2026-03-28T01:30:00.000Z");
    expect(nextScheduledTime(daily0230, at("2026-03-27T01:29:59.999Z")).toISOString()).toBe("2026-03-27T01:30:00.000Z");
  });

  it("crosses a daylight-saving change", () => {
    expect(nextScheduledTime(daily0230, at("2026-03-28T12:00:00Z")).toISOString()).toBe("2026-03-29T01:30:00.000Z");
    expect(nextScheduledTime(daily0230, at("2026-03-29T01:30:00Z")).toISOString()).toBe("2026-03-30T00:30:00.000Z");
    expect(nextScheduledTime(daily0230, at("2026-10-25T00:30:00Z")).toISOString()).toBe("2026-10-26T01:30:00.000Z");
  });

  it("is the start for an instant before it", () => {
    expect(nextScheduledTime(daily0230, at("2020-01-01T00:00:00Z")).toISOString()).toBe("2026-01-01T01:30:00.000Z");
  });

  it("agrees with scheduledTimes over a year of 4-hourly runs", () => {
    const schedule = { repeatingTimeIntervals: ["R/2026-01-01T00:00:00+01:00/PT4H"], timeZone: "Europe/Amsterdam" };
    const times = scheduledTimes(schedule, at("2026-01-01T00:00:00Z"), at("2027-01-01T00:00:00Z"));
    for (let i = 1; i < times.length; i++) expect(nextScheduledTime(schedule, times[i - 1] as Date)).toEqual(times[i]);
  });
});
