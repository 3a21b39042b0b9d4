import { describe, expect, it } from "vitest";
import { WINDOWS_TIME_ZONES, isKBackupError, resolveTimeZone, tryResolveTimeZone } from "@kbackup/core";

describe("resolveTimeZone", () => {
  it("is UTC for a schedule without a zone", () => {
    expect(resolveTimeZone(undefined)).toBe("Etc/UTC");
  });

  it.each([
    ["UTC", "Etc/UTC"],
    ["Coordinated Universal Time", "Etc/UTC"],
    ["Pacific Standard Time", "America/Los_Angeles"],
    ["pacific standard time", "America/Los_Angeles"],
    ["Eastern Standard Time", "America/New_York"],
    ["W. Europe Standard Time", "Europe/Berlin"],
    ["India Standard Time", "Asia/Kolkata"],
  ])("maps the Windows name %s to %s", (windows, iana) => {
    expect(resolveTimeZone(windows)).toBe(iana);
  });

  it("keeps an IANA name", () => {
    expect(tryResolveTimeZone("Europe/Amsterdam")).toBe("Europe/Amsterdam");
    expect(tryResolveTimeZone("America/New_York")).toBe("America/New_York");
  });

  it("maps every Windows name to a zone this runtime knows", () => {
    for (const [windows, iana] of Object.entries(WINDOWS_TIME_ZONES)) {
      expect(() => new Intl.DateTimeFormat("en-US", { timeZone: iana }), windows).not.toThrow();
    }
  });

  it.each(["Mars/Olympus_Mons", "+01:00", "", "Pacific Daylight Time"])("refuses %j", (name) => {
    expect(tryResolveTimeZone(name)).toBeUndefined();
    let error: unknown;
    try {
      resolveTimeZone(name, "schedule.timeZone");
    } catch (caught) {
      error = caught;
    }
    expect(isKBackupError(error, "InvalidArgument") && error.field).toBe("schedule.timeZone");
  });
});
