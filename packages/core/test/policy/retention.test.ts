import { describe, expect, it } from "vitest";
import type { BackupPolicy, RetentionPoint } from "@kbackup/core";
import { VAULT_VOLUME_LIMIT_BYTES, aksDefaultPolicy, evaluateRetention, isKBackupError, scheduledTimes, validateBackupPolicy } from "@kbackup/core";
import { loadFixture } from "./load-fixture.js";
import type { Stores } from "./retention-simulation.js";
import { simulate } from "./retention-simulation.js";

const at = (text: string) => new Date(text);
const DAY = 86_400_000;
const iso = (dates: Date[]) => dates.map((date) => date.toISOString());

/** The default policy with its Daily rule's copy option replaced. */
function defaultWithCopy(copyAfter: object): BackupPolicy {
  const policy = aksDefaultPolicy() as any;
  policy.policyRules[2].lifecycles[0].targetDataStoreCopySettings[0].copyAfter = copyAfter;
  return validateBackupPolicy(policy);
}

function point(id: string, time: string, tag: string, extra: Partial<RetentionPoint> = {}): RetentionPoint {
  return { id, time: at(time), tag, dataStores: { OperationalStore: { present: true } }, ...extra };
}

describe("a year of the default policy", () => {
  const policy = aksDefaultPolicy();
  const schedule = { repeatingTimeIntervals: ["R/2023-01-04T09:00:00+00:00/PT4H"] };
  const failed = new Set(["2026-03-10T01:00:00.000Z"]);
  const snapshots = new Map<string, Stores>();
  const chosen = ["2026-01-09T01:00:00.000Z", "2026-03-12T01:00:00.000Z", "2026-04-11T01:00:00.000Z", "2026-12-31T21:00:00.000Z"];
  simulate(policy, {
    from: at("2026-01-01T00:00:00Z"),
    to: at("2027-01-01T00:00:00Z"),
    failed,
    onTick: (now, stores) => {
      if (chosen.includes(now.toISOString())) snapshots.set(now.toISOString(), stores);
    },
  });
  const lastWeek = (now: string) => iso(scheduledTimes(schedule, new Date(at(now).getTime() - 7 * DAY + 1), new Date(at(now).getTime() + 1)));

  it("keeps only the last 7 days of 4-hourly backups in the operational store after 8 days", () => {
    const stores = snapshots.get("2026-01-09T01:00:00.000Z") as Stores;
    expect(stores.operational).toEqual(lastWeek("2026-01-09T01:00:00.000Z"));
    expect(stores.operational).toHaveLength(42);
    expect(stores.operational[0]).toBe("2026-01-02T05:00:00.000Z");
  });

  it("copies the first backup of each day to the vault store", () => {
    const stores = snapshots.get("2026-01-09T01:00:00.000Z") as Stores;
    expect(stores.vault).toEqual(Array.from({ length: 9 }, (_, i) => `2026-01-0${i + 1}T01:00:00.000Z`));
  });

  it("copies the 05:00 backup on the day the 01:00 one failed, and keeps the failure out of the stores", () => {
    const stores = snapshots.get("2026-03-12T01:00:00.000Z") as Stores;
    expect(stores.vault).toContain("2026-03-10T05:00:00.000Z");
    expect(stores.vault.filter((time) => time.startsWith("2026-03-10"))).toEqual(["2026-03-10T05:00:00.000Z"]);
    expect(stores.operational).toEqual(lastWeek("2026-03-12T01:00:00.000Z").filter((time) => !failed.has(time)));
  });

  it("holds one backup per day for the last 84 days in the vault store after 100 days", () => {
    const stores = snapshots.get("2026-04-11T01:00:00.000Z") as Stores;
    const daily = scheduledTimes({ repeatingTimeIntervals: ["R/2026-01-01T01:00:00Z/P1D"] }, at("2026-01-17T01:00:00.001Z"), at("2026-04-11T01:00:00.001Z"));
    const expected = iso(daily).map((time) => (time === "2026-03-10T01:00:00.000Z" ? "2026-03-10T05:00:00.000Z" : time));
    expect(stores.vault).toEqual(expected);
    expect(stores.vault).toHaveLength(84);
  });

  it("holds the same at the end of the year", () => {
    const stores = snapshots.get("2026-12-31T21:00:00.000Z") as Stores;
    expect(stores.vault).toHaveLength(84);
    expect(stores.vault[0]).toBe("2026-10-09T01:00:00.000Z");
    expect(stores.operational).toHaveLength(42);
  });
});

describe("a grandfather-father-son policy over thirteen months", () => {
  const policy = validateBackupPolicy(loadFixture("gfs-policy.json"));
  const snapshots = new Map<string, Stores>();
  simulate(policy, {
    from: at("2026-01-01T00:00:00Z"),
    to: at("2027-02-10T12:00:00Z"),
    onTick: (now, stores) => {
      if (now.toISOString() === "2027-02-10T08:00:00.000Z" || now.toISOString() === "2026-07-04T00:00:00.000Z") snapshots.set(now.toISOString(), stores);
    },
  });

  it("keeps the yearly, monthly and weekly firsts in the vault store, each for its own time", () => {
    const stores = snapshots.get("2027-02-10T08:00:00.000Z") as Stores;
    const midnight = (date: string) => `${date}T00:00:00.000Z`;
    expect(stores.vault).toEqual(
      [
        "2026-01-01", // Yearly, 10 years
        "2026-03-01", // Monthly, 12 months (February 2026's expired on 1 February 2027)
        "2026-04-01",
        "2026-05-01",
        "2026-06-01",
        "2026-07-01",
        "2026-08-01",
        "2026-09-01",
        "2026-10-01",
        "2026-11-01",
        "2026-12-01",
        "2027-01-01", // Yearly
        "2027-01-17", // Weekly, 4 weeks: Sundays after 13 January 08:00
        "2027-01-24",
        "2027-01-31",
        "2027-02-01", // Monthly
        "2027-02-07", // Weekly
      ].map(midnight),
    );
    expect(stores.operational).toHaveLength(42);
  });

  it("has the month's weekly firsts in the vault store in July", () => {
    const stores = snapshots.get("2026-07-04T00:00:00.000Z") as Stores;
    expect(stores.vault.filter((time) => time >= "2026-06")).toEqual([
      "2026-06-01T00:00:00.000Z", // Monthly
      "2026-06-07T00:00:00.000Z",
      "2026-06-14T00:00:00.000Z",
      "2026-06-21T00:00:00.000Z",
      "2026-06-28T00:00:00.000Z",
      "2026-07-01T00:00:00.000Z", // Monthly
    ]);
  });
});

describe("evaluateRetention", () => {
  const policy = aksDefaultPolicy();

  it("plans copies, expiries and nothing to delete for fresh points", () => {
    const plan = evaluateRetention(policy, [point("a", "2026-05-01T01:00:00Z", "Daily"), point("b", "2026-05-01T05:00:00Z", "Default")], at("2026-05-01T06:00:00Z"));
    expect(plan.copies).toEqual([
      { pointId: "a", from: "OperationalStore", to: "VaultStore", copyOption: "ImmediateCopyOption", at: at("2026-05-01T01:00:00Z"), due: true, expiresAt: at("2026-07-24T01:00:00Z") },
    ]);
    expect(plan.deletions).toEqual([]);
    expect(plan.expiries.get("a")).toEqual({ OperationalStore: at("2026-05-08T01:00:00Z"), VaultStore: at("2026-07-24T01:00:00Z") });
    expect(plan.expiries.get("b")).toEqual({ OperationalStore: at("2026-05-08T05:00:00Z") });
    expect(plan.warnings).toEqual([]);
  });

  it("copies one scheduled point per day to the vault store", () => {
    const points = [point("second", "2026-05-01T05:00:00Z", "Daily"), point("first", "2026-05-01T01:00:00Z", "Daily"), point("next-day", "2026-05-02T01:00:00Z", "Daily")];
    const plan = evaluateRetention(policy, points, at("2026-05-02T02:00:00Z"));
    expect(plan.copies.map((copy) => copy.pointId)).toEqual(["first", "next-day"]);
    expect(plan.warnings).toEqual([{ pointId: "second", code: "VaultDailyLimit", message: expect.any(String) }]);
  });

  it("copies nothing more on a day whose scheduled point the vault store already holds", () => {
    const held = point("held", "2026-05-01T09:00:00Z", "Daily", { dataStores: { OperationalStore: { present: true }, VaultStore: { present: true } } });
    const plan = evaluateRetention(policy, [point("early", "2026-05-01T01:00:00Z", "Daily"), held], at("2026-05-01T10:00:00Z"));
    expect(plan.copies).toEqual([]);
    expect(plan.warnings.map((warning) => [warning.pointId, warning.code])).toEqual([["early", "VaultDailyLimit"]]);
  });

  it("copies any number of on-demand points, which do not take the day's scheduled place", () => {
    const points = [
      point("scheduled", "2026-05-01T01:00:00Z", "Daily"),
      point("manual-1", "2026-05-01T02:00:00Z", "Default", { onDemand: true, retentionTagOverride: "Daily" }),
      point("manual-2", "2026-05-01T03:00:00Z", "Default", { onDemand: true, retentionTagOverride: "Daily" }),
      point("manual-3", "2026-05-01T03:30:00Z", "Default", { onDemand: true }),
    ];
    const plan = evaluateRetention(policy, points, at("2026-05-01T04:00:00Z"));
    expect(plan.copies.map((copy) => copy.pointId)).toEqual(["scheduled", "manual-1", "manual-2"]);
    expect(plan.expiries.get("manual-3")).toEqual({ OperationalStore: at("2026-05-08T03:30:00Z") });
  });

  it("keeps a point with a volume over 1 TiB out of the vault store, with a warning, and still expires it", () => {
    const big = point("big", "2026-05-01T01:00:00Z", "Daily", { volumeBytes: [512 * 1024 ** 3, VAULT_VOLUME_LIMIT_BYTES + 1] });
    const now = evaluateRetention(policy, [big], at("2026-05-01T02:00:00Z"));
    expect(now.copies).toEqual([]);
    expect(now.warnings).toEqual([{ pointId: "big", code: "VolumesTooLargeForVault", message: expect.stringContaining("1099511627777") }]);
    expect(now.expiries.get("big")).toEqual({ OperationalStore: at("2026-05-08T01:00:00Z") });
    const later = evaluateRetention(policy, [big], at("2026-05-08T01:00:00Z"));
    expect(later.deletions).toEqual([{ pointId: "big", dataStore: "OperationalStore", expiredAt: at("2026-05-08T01:00:00Z") }]);
    const exactlyOneTiB = point("edge", "2026-05-01T01:00:00Z", "Daily", { volumeBytes: [VAULT_VOLUME_LIMIT_BYTES] });
    expect(evaluateRetention(policy, [exactlyOneTiB], at("2026-05-01T02:00:00Z")).copies).toHaveLength(1);
  });

  it("copies on expiry when the operational copy expires, and deletes it only once the vault holds it", () => {
    const onExpiry = defaultWithCopy({ objectType: "CopyOnExpiryOption" });
    const fresh = point("p", "2026-05-01T01:00:00Z", "Daily");
    const before = evaluateRetention(onExpiry, [fresh], at("2026-05-03T00:00:00Z"));
    expect(before.copies).toEqual([expect.objectContaining({ pointId: "p", copyOption: "CopyOnExpiryOption", at: at("2026-05-08T01:00:00Z"), due: false, expiresAt: at("2026-07-24T01:00:00Z") })]);
    expect(before.deletions).toEqual([]);
    const expired = evaluateRetention(onExpiry, [fresh], at("2026-05-08T01:00:00Z"));
    expect(expired.copies).toEqual([expect.objectContaining({ pointId: "p", due: true })]);
    expect(expired.deletions).toEqual([]);
    const copied = { ...fresh, dataStores: { OperationalStore: { present: true }, VaultStore: { present: true, expiresAt: at("2026-07-24T01:00:00Z") } } };
    const after = evaluateRetention(onExpiry, [copied], at("2026-05-08T05:00:00Z"));
    expect(after.copies).toEqual([]);
    expect(after.deletions).toEqual([{ pointId: "p", dataStore: "OperationalStore", expiredAt: at("2026-05-08T01:00:00Z") }]);
  });

  it("copies after a custom duration", () => {
    const custom = defaultWithCopy({ objectType: "CustomCopyOption", duration: "P2D" });
    const plan = evaluateRetention(custom, [point("p", "2026-05-01T01:00:00Z", "Daily")], at("2026-05-02T00:00:00Z"));
    expect(plan.copies).toEqual([expect.objectContaining({ copyOption: "CustomCopyOption", at: at("2026-05-03T01:00:00Z"), due: false })]);
  });

  it("does not delete an operational copy whose immediate copy has not been made yet", () => {
    const plan = evaluateRetention(policy, [point("late", "2026-05-01T01:00:00Z", "Daily")], at("2026-05-20T00:00:00Z"));
    expect(plan.copies).toEqual([expect.objectContaining({ pointId: "late", due: true })]);
    expect(plan.deletions).toEqual([]);
  });

  it("neither copies nor keeps a point whose vault retention is already over", () => {
    const plan = evaluateRetention(policy, [point("stale", "2026-01-01T01:00:00Z", "Daily")], at("2026-06-01T00:00:00Z"));
    expect(plan.copies).toEqual([]);
    expect(plan.deletions).toEqual([{ pointId: "stale", dataStore: "OperationalStore", expiredAt: at("2026-01-08T01:00:00Z") }]);
  });

  it("warns when a point to copy has lost its operational copy", () => {
    const lost = point("lost", "2026-05-01T01:00:00Z", "Daily", { dataStores: { OperationalStore: { present: false } } });
    const plan = evaluateRetention(policy, [lost], at("2026-05-02T00:00:00Z"));
    expect(plan.copies).toEqual([]);
    expect(plan.warnings).toEqual([{ pointId: "lost", code: "SourceMissing", message: expect.any(String) }]);
  });

  it("honours the expiries a point carries", () => {
    const fixed = point("fixed", "2026-05-01T05:00:00Z", "Default", {
      dataStores: { OperationalStore: { present: true, expiresAt: at("2026-05-03T00:00:00Z") }, VaultStore: { present: true, expiresAt: at("2027-01-01T00:00:00Z") } },
    });
    const plan = evaluateRetention(policy, [fixed], at("2026-05-04T00:00:00Z"));
    expect(plan.deletions).toEqual([{ pointId: "fixed", dataStore: "OperationalStore", expiredAt: at("2026-05-03T00:00:00Z") }]);
    expect(plan.expiries.get("fixed")).toEqual({ OperationalStore: at("2026-05-03T00:00:00Z"), VaultStore: at("2027-01-01T00:00:00Z") });
  });

  it("deletes a vault copy when its retention is over", () => {
    const old = point("old", "2026-01-01T01:00:00Z", "Daily", { dataStores: { VaultStore: { present: true } } });
    // 84 days after 1 January is 26 March.
    expect(evaluateRetention(policy, [old], at("2026-03-26T00:59:59.999Z")).deletions).toEqual([]);
    expect(evaluateRetention(policy, [old], at("2026-03-26T01:00:00Z")).deletions).toEqual([{ pointId: "old", dataStore: "VaultStore", expiredAt: at("2026-03-26T01:00:00Z") }]);
  });

  it("applies the default rule to an unknown tag, with a warning", () => {
    const plan = evaluateRetention(policy, [point("odd", "2026-05-01T01:00:00Z", "Hourly")], at("2026-05-01T02:00:00Z"));
    expect(plan.warnings).toEqual([{ pointId: "odd", code: "UnknownRetentionTag", message: expect.stringContaining('"Hourly"') }]);
    expect(plan.expiries.get("odd")).toEqual({ OperationalStore: at("2026-05-08T01:00:00Z") });
  });

  it("reckons the vault store's day in the policy's time zone", () => {
    const amsterdam = aksDefaultPolicy() as any;
    amsterdam.policyRules[0].trigger.schedule.timeZone = "Europe/Amsterdam";
    // 21:30 UTC is 23:30 on 1 June in Amsterdam; 22:30 UTC is 00:30 on 2 June.
    const points = [point("june-1", "2026-06-01T21:30:00Z", "Daily"), point("june-2", "2026-06-01T22:30:00Z", "Daily"), point("june-2-later", "2026-06-02T09:00:00Z", "Daily")];
    const plan = evaluateRetention(validateBackupPolicy(amsterdam), points, at("2026-06-02T10:00:00Z"));
    expect(plan.copies.map((copy) => copy.pointId)).toEqual(["june-1", "june-2"]);
  });

  it("rejects repeated ids and invalid times", () => {
    const failure = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        return error;
      }
      return undefined;
    };
    const repeated = failure(() => evaluateRetention(policy, [point("x", "2026-05-01T01:00:00Z", "Daily"), point("x", "2026-05-01T05:00:00Z", "Default")], at("2026-05-02T00:00:00Z")));
    expect(isKBackupError(repeated, "InvalidArgument") && repeated.field).toBe("points[1].id");
    const badNow = failure(() => evaluateRetention(policy, [], new Date("not a date")));
    expect(isKBackupError(badNow, "InvalidArgument") && badNow.field).toBe("now");
    const badTime = failure(() => evaluateRetention(policy, [{ ...point("y", "2026-05-01T01:00:00Z", "Daily"), time: new Date(Number.NaN) }], at("2026-05-02T00:00:00Z")));
    expect(isKBackupError(badTime, "InvalidArgument") && badTime.field).toBe("points[0].time");
  });
});
