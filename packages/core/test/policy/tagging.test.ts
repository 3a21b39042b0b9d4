import { describe, expect, it } from "vitest";
import type { BackupPolicy, ScheduleBasedBackupCriteria } from "@kbackup/core";
import { WEEK_STARTS_ON, aksDefaultPolicy, scheduledTimes, tagRecoveryPoint, tagRecoveryPoints, validateBackupPolicy } from "@kbackup/core";
import { loadFixture } from "./load-fixture.js";

const gfs = validateBackupPolicy(loadFixture("gfs-policy.json"));
const at = (text: string) => new Date(text);

/** Tags of 4-hourly backups from `from` to `to` (UTC), those at `failed` times failing. */
function history(policy: BackupPolicy, from: string, to: string, failed: string[] = []) {
  const times = scheduledTimes({ repeatingTimeIntervals: [`R/${from}/PT4H`] }, at(from), at(to));
  const points = times.map((time) => ({ time, succeeded: !failed.includes(time.toISOString()) }));
  const tags = tagRecoveryPoints(policy, points);
  return new Map(points.map((point, i) => [point.time.toISOString(), tags[i]?.tagName]));
}

/** The default policy plus a tag `Special` (priority 5) with the given criteria and a rule for it. */
function withSpecialTag(criteria: ScheduleBasedBackupCriteria[], timeZone?: string): BackupPolicy {
  const policy = aksDefaultPolicy() as any;
  const trigger = policy.policyRules[0].trigger;
  if (timeZone !== undefined) trigger.schedule.timeZone = timeZone;
  trigger.taggingCriteria.push({ tagInfo: { tagName: "Special" }, taggingPriority: 5, isDefault: false, criteria });
  policy.policyRules.push({ ...structuredClone(policy.policyRules[2]), name: "Special" });
  return validateBackupPolicy(policy);
}

describe("tagRecoveryPoints on a grandfather-father-son policy", () => {
  const tags = history(gfs, "2026-01-01T00:00:00.000Z", "2026-02-02T00:00:00.000Z");

  it("gives the first backup of the year the Yearly tag, which outranks month, week and day", () => {
    expect(tags.get("2026-01-01T00:00:00.000Z")).toBe("Yearly");
    expect(tags.get("2026-01-01T04:00:00.000Z")).toBe("Default");
  });

  it("gives the first backup of each day Daily and the others Default", () => {
    expect(tags.get("2026-01-02T00:00:00.000Z")).toBe("Daily");
    expect(tags.get("2026-01-02T04:00:00.000Z")).toBe("Default");
    expect(tags.get("2026-01-02T20:00:00.000Z")).toBe("Default");
  });

  it(`starts weeks on ${WEEK_STARTS_ON}`, () => {
    expect(WEEK_STARTS_ON).toBe("Sunday");
    expect(tags.get("2026-01-03T00:00:00.000Z")).toBe("Daily"); // Saturday
    expect(tags.get("2026-01-04T00:00:00.000Z")).toBe("Weekly"); // Sunday
    expect(tags.get("2026-01-05T00:00:00.000Z")).toBe("Daily"); // Monday
    expect(tags.get("2026-01-11T00:00:00.000Z")).toBe("Weekly");
  });

  it("gives the first backup of a month Monthly, even when it is also the first of a week", () => {
    // 1 February 2026 is a Sunday.
    expect(tags.get("2026-02-01T00:00:00.000Z")).toBe("Monthly");
    expect(tags.get("2026-02-01T04:00:00.000Z")).toBe("Default");
    expect([...tags.values()].filter((tag) => tag === "Weekly")).toHaveLength(4);
  });
});

describe("tagging counts only successful backups", () => {
  it("makes the 04:00 backup the first of the day when the 00:00 one failed", () => {
    const tags = history(gfs, "2026-01-06T00:00:00.000Z", "2026-01-08T00:00:00.000Z", ["2026-01-07T00:00:00.000Z"]);
    expect(tags.get("2026-01-07T00:00:00.000Z")).toBeUndefined();
    expect(tags.get("2026-01-07T04:00:00.000Z")).toBe("Daily");
    expect(tags.get("2026-01-07T08:00:00.000Z")).toBe("Default");
  });

  it("moves the week's, month's and year's first to the next success across several failures", () => {
    const failed = ["2027-01-01T00:00:00.000Z", "2027-01-01T04:00:00.000Z", "2027-01-01T08:00:00.000Z"];
    const tags = history(gfs, "2026-12-31T00:00:00.000Z", "2027-01-02T00:00:00.000Z", failed);
    expect(tags.get("2027-01-01T12:00:00.000Z")).toBe("Yearly");
    expect(tags.get("2027-01-01T16:00:00.000Z")).toBe("Default");
    const weekFailed = history(gfs, "2026-01-10T00:00:00.000Z", "2026-01-12T04:00:00.000Z", ["2026-01-11T00:00:00.000Z"]);
    expect(weekFailed.get("2026-01-11T04:00:00.000Z")).toBe("Weekly");
    expect(weekFailed.get("2026-01-12T00:00:00.000Z")).toBe("Daily");
  });

  it("agrees with tagRecoveryPoint given the earlier successes", () => {
    const times = scheduledTimes({ repeatingTimeIntervals: ["R/2026-12-20T00:00:00Z/PT4H"] }, at("2026-12-20T00:00:00Z"), at("2027-01-10T00:00:00Z"));
    const points = times.map((time, i) => ({ time, succeeded: i % 7 !== 0 }));
    const bulk = tagRecoveryPoints(gfs, points);
    const successes = points.filter((point) => point.succeeded);
    points.forEach((point, i) => {
      if (!point.succeeded) return expect(bulk[i]).toBeUndefined();
      const prior = successes.filter((other) => other.time < point.time);
      expect(tagRecoveryPoint(gfs, point, prior)).toEqual(bulk[i]);
    });
  });

  it("ignores successes after the point and returns the tag's id", () => {
    const earlierAndLater = [{ time: at("2026-03-02T20:00:00Z") }, { time: at("2026-03-03T08:00:00Z") }];
    expect(tagRecoveryPoint(gfs, { time: at("2026-03-03T04:00:00Z") }, earlierAndLater)).toEqual({ tagName: "Daily", id: "Daily_" });
  });
});

describe("tagging reads periods on the policy's clocks", () => {
  it("starts the day at midnight in Amsterdam, not in UTC", () => {
    const policy = validateBackupPolicy({ ...aksDefaultPolicy(), policyRules: aksDefaultPolicy().policyRules.map((rule: any) =>
      rule.objectType === "AzureBackupRule" ? { ...rule, trigger: { ...rule.trigger, schedule: { repeatingTimeIntervals: ["R/2026-01-01T00:00:00+01:00/PT4H"], timeZone: "Europe/Amsterdam" } } } : rule,
    ) });
    const prior = [{ time: at("2026-06-01T10:00:00Z") }];
    // 22:00 UTC on 1 June is 00:00 on 2 June in Amsterdam.
    expect(tagRecoveryPoint(policy, { time: at("2026-06-01T22:00:00Z") }, prior).tagName).toBe("Daily");
    expect(tagRecoveryPoint(policy, { time: at("2026-06-01T21:00:00Z") }, prior).tagName).toBe("Default");
  });
});

describe("criteria combinations", () => {
  const tagOf = (policy: BackupPolicy, time: string, prior: string[] = []) =>
    tagRecoveryPoint(policy, { time: at(time) }, prior.map((text) => ({ time: at(text) }))).tagName;

  it("daysOfTheWeek with weeksOfTheMonth: the first and the last Sunday of the month", () => {
    const policy = withSpecialTag([{ objectType: "ScheduleBasedBackupCriteria", daysOfTheWeek: ["Sunday"], weeksOfTheMonth: ["First", "Last"] }]);
    // March 2026: Sundays on the 1st, 8th, 15th, 22nd and 29th.
    expect(tagOf(policy, "2026-03-01T09:00:00Z")).toBe("Special");
    expect(tagOf(policy, "2026-03-08T09:00:00Z")).toBe("Daily");
    expect(tagOf(policy, "2026-03-22T09:00:00Z")).toBe("Daily");
    expect(tagOf(policy, "2026-03-29T09:00:00Z")).toBe("Special");
    expect(tagOf(policy, "2026-03-02T09:00:00Z")).toBe("Daily");
  });

  it("absoluteCriteria with daysOfTheWeek: only the first backup of each Friday", () => {
    const policy = withSpecialTag([{ objectType: "ScheduleBasedBackupCriteria", absoluteCriteria: ["FirstOfDay"], daysOfTheWeek: ["Friday"] }]);
    expect(tagOf(policy, "2026-01-02T01:00:00Z", ["2026-01-01T21:00:00Z"])).toBe("Special");
    expect(tagOf(policy, "2026-01-02T05:00:00Z", ["2026-01-02T01:00:00Z"])).toBe("Default");
    expect(tagOf(policy, "2026-01-03T01:00:00Z", ["2026-01-02T21:00:00Z"])).toBe("Daily");
  });

  it("monthsOfYear with daysOfMonth, and isLast for the month's last day", () => {
    const policy = withSpecialTag([
      { objectType: "ScheduleBasedBackupCriteria", monthsOfYear: ["January", "July"], daysOfMonth: [{ date: 15 }] },
      { objectType: "ScheduleBasedBackupCriteria", monthsOfYear: ["February"], daysOfMonth: [{ isLast: true }] },
    ]);
    expect(tagOf(policy, "2026-07-15T13:00:00Z", ["2026-07-15T09:00:00Z"])).toBe("Special");
    expect(tagOf(policy, "2026-08-15T13:00:00Z", ["2026-08-15T09:00:00Z"])).toBe("Default");
    expect(tagOf(policy, "2026-02-28T13:00:00Z", ["2026-02-28T09:00:00Z"])).toBe("Special");
    expect(tagOf(policy, "2028-02-28T13:00:00Z", ["2028-02-28T09:00:00Z"])).toBe("Default");
    expect(tagOf(policy, "2028-02-29T13:00:00Z", ["2028-02-29T09:00:00Z"])).toBe("Special");
  });

  it("scheduleTimes: backups at that time of day on the policy's clocks", () => {
    const policy = withSpecialTag([{ objectType: "ScheduleBasedBackupCriteria", scheduleTimes: ["2026-01-01T13:00:00+01:00"] }], "Europe/Amsterdam");
    // 13:00 in Amsterdam: 12:00 UTC in winter, 11:00 UTC in summer.
    expect(tagOf(policy, "2026-01-20T12:00:00Z", ["2026-01-20T08:00:00Z"])).toBe("Special");
    expect(tagOf(policy, "2026-07-20T11:00:00Z", ["2026-07-20T07:00:00Z"])).toBe("Special");
    expect(tagOf(policy, "2026-07-20T12:00:00Z", ["2026-07-20T07:00:00Z"])).toBe("Default");
  });

  it("AllBackup tags every backup", () => {
    const policy = withSpecialTag([{ objectType: "ScheduleBasedBackupCriteria", absoluteCriteria: ["AllBackup"] }]);
    expect(tagOf(policy, "2026-05-05T05:00:00Z", ["2026-05-05T01:00:00Z"])).toBe("Special");
  });
});
