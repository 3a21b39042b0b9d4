import { describe, expect, it } from "vitest";
import { goDurationProblem, isKBackupError, parseGoDuration } from "@kbackup/core";

describe("parseGoDuration", () => {
  it.each([
    ["300ms", 300],
    ["10s", 10_000],
    ["5m", 300_000],
    ["1h30m", 5_400_000],
    ["1.5h", 5_400_000],
    ["2h45m30.5s", 9_930_500],
    ["0", 0],
    ["0s", 0],
    [".5s", 500],
    ["5.s", 5_000],
    ["1500us", 1.5],
    ["1500\u00b5s", 1.5],
    ["1500\u03bcs", 1.5],
    ["2000000ns", 2],
    ["+1m", 60_000],
    ["-2s", -2_000],
    ["1m1m", 120_000],
  ])("reads %s as %s ms", (text, ms) => {
    expect(parseGoDuration(text)).toBe(ms);
    expect(goDurationProblem(text)).toBeUndefined();
  });

  it.each([
    ["", /invalid duration ""/],
    ["-", /invalid duration "-"/],
    ["s", /invalid duration "s"/],
    [".s", /invalid duration ".s"/],
    ["10", /missing unit in duration "10"/],
    ["1h30", /missing unit in duration "1h30"/],
    ["10 s", /unknown unit " s"/],
    ["5x", /unknown unit "x" in duration "5x"/],
    ["3d", /unknown unit "d"/],
    ["10S", /unknown unit "S"/],
    ["1.5.3s", /missing unit/],
    ["3000000h", /too long/],
  ])("refuses %j", (text, message) => {
    expect(goDurationProblem(text)).toMatch(message);
    let error: unknown;
    try {
      parseGoDuration(text, "spec.timeout");
    } catch (caught) {
      error = caught;
    }
    expect(isKBackupError(error, "InvalidArgument")).toBe(true);
    expect((error as Error).message).toMatch(/^spec\.timeout: /);
    expect((error as { field?: string }).field).toBe("spec.timeout");
  });

  it("refuses a value that is not a string", () => {
    expect(goDurationProblem(30 as unknown as string)).toMatch(/must be a string/);
  });
});
