import { describe, expect, it } from "vitest";
import { aksDefaultPolicy, isKBackupError, validateBackupPolicy } from "@kbackup/core";
import { loadFixture } from "./load-fixture.js";

interface Fault {
  field: string;
  message: string;
}

/** The faults of the one InvalidArgument that validation must throw. */
function faultsOf(input: unknown): Fault[] {
  try {
    validateBackupPolicy(input);
  } catch (error) {
    expect(isKBackupError(error, "InvalidArgument")).toBe(true);
    return (error as { details: { faults: Fault[] } }).details.faults;
  }
  throw new Error("the policy was accepted");
}

/** A copy of the default policy, changed by `edit`. Rules: 0 backup, 1 Default, 2 Daily. */
function defaultWith(edit: (policy: any) => void): unknown {
  const policy = structuredClone(aksDefaultPolicy()) as any;
  edit(policy);
  return policy;
}

const INTERVAL = "policyRules[0].trigger.schedule.repeatingTimeIntervals[0]";

describe("validateBackupPolicy accepts", () => {
  it("Azure's default AKS policy as the API returns it, keeping its name", () => {
    const shared = loadFixture("aks-default-policy.json");
    const policy = validateBackupPolicy(shared);
    expect(policy).toEqual(shared);
    expect(policy.name).toBe("AKSPolicy1");
  });

  it("kbackup's default policy", () => {
    expect(validateBackupPolicy(aksDefaultPolicy())).toEqual(aksDefaultPolicy());
  });

  it("a resource envelope, returning the bare policy", () => {
    const envelope = { id: "/subscriptions/s/resourceGroups/g/providers/Microsoft.DataProtection/backupVaults/v/backupPolicies/p", name: "p", properties: aksDefaultPolicy() };
    expect(validateBackupPolicy(envelope)).toEqual(aksDefaultPolicy());
  });

  it("the grandfather-father-son policy of the fixtures", () => {
    const policy = validateBackupPolicy(loadFixture("gfs-policy.json"));
    expect(policy.policyRules.map((rule) => rule.name)).toEqual(["BackupHourly", "Default", "Daily", "Weekly", "Monthly", "Yearly"]);
  });

  it("fields Azure may add, keeping them", () => {
    const input = defaultWith((policy) => {
      policy.etag = "W/1";
      policy.policyRules[0].trigger.schedule.futureSetting = { on: true };
      policy.policyRules[2].lifecycles[0].targetDataStoreCopySettings[0].copyAfter.note = "kept";
    });
    const policy = validateBackupPolicy(input) as any;
    expect(policy.etag).toBe("W/1");
    expect(policy.policyRules[0].trigger.schedule.futureSetting).toEqual({ on: true });
    expect(policy.policyRules[2].lifecycles[0].targetDataStoreCopySettings[0].copyAfter.note).toBe("kept");
  });

  it.each([
    ["R/2026-01-01T06:00:00+00:00/PT4H"],
    ["R/2026-01-01T06:00:00Z/PT6H"],
    ["R5/2026-01-01T06:00:00+05:30/PT8H"],
    ["R/2026-01-01T06:00:00.500-08:00/PT12H"],
    ["R/2026-01-01T06:00:00+00:00/P1D"],
  ])("the interval %s", (interval) => {
    expect(() => validateBackupPolicy(defaultWith((policy) => (policy.policyRules[0].trigger.schedule.repeatingTimeIntervals = [interval])))).not.toThrow();
  });

  it.each(["UTC", "Coordinated Universal Time", "Pacific Standard Time", "W. Europe Standard Time", "Europe/Amsterdam", "America/New_York"])(
    "the time zone %s",
    (timeZone) => {
      expect(() => validateBackupPolicy(defaultWith((policy) => (policy.policyRules[0].trigger.schedule.timeZone = timeZone)))).not.toThrow();
    },
  );

  it.each(["P360D", "P51W", "P12M", "P1D"])("operational retention %s", (duration) => {
    expect(() => validateBackupPolicy(defaultWith((policy) => (policy.policyRules[1].lifecycles[0].deleteAfter.duration = duration)))).not.toThrow();
  });

  it.each(["P10Y", "P120M", "P3650D", "P1W"])("vault retention %s", (duration) => {
    expect(() => validateBackupPolicy(defaultWith((policy) => (policy.policyRules[2].lifecycles[1].deleteAfter.duration = duration)))).not.toThrow();
  });
});

describe("validateBackupPolicy reports", () => {
  const cases: Array<[string, (policy: any) => void, string, RegExp]> = [
    ["an hourly frequency", (p) => (p.policyRules[0].trigger.schedule.repeatingTimeIntervals = ["R/2026-01-01T06:00:00+00:00/PT1H"]), INTERVAL, /PT1H.*PT4H, PT6H, PT8H, PT12H, P1D/],
    ["a two-hour frequency", (p) => (p.policyRules[0].trigger.schedule.repeatingTimeIntervals = ["R/2026-01-01T06:00:00+00:00/PT2H"]), INTERVAL, /not a supported backup frequency/],
    ["a weekly frequency", (p) => (p.policyRules[0].trigger.schedule.repeatingTimeIntervals = ["R/2026-01-01T06:00:00+00:00/P1W"]), INTERVAL, /not a supported backup frequency/],
    ["a period that is no duration", (p) => (p.policyRules[0].trigger.schedule.repeatingTimeIntervals = ["R/2026-01-01T06:00:00+00:00/4 hours"]), INTERVAL, /not an ISO 8601 duration/],
    ["a month 13", (p) => (p.policyRules[0].trigger.schedule.repeatingTimeIntervals = ["R/2026-13-01T06:00:00+00:00/PT4H"]), INTERVAL, /start "2026-13-01T06:00:00\+00:00"/],
    ["30 February", (p) => (p.policyRules[0].trigger.schedule.repeatingTimeIntervals = ["R/2026-02-30T06:00:00+00:00/PT4H"]), INTERVAL, /is not an ISO 8601 date-time/],
    ["a start without offset", (p) => (p.policyRules[0].trigger.schedule.repeatingTimeIntervals = ["R/2026-01-01T06:00:00/PT4H"]), INTERVAL, /with an offset/],
    ["an interval without R", (p) => (p.policyRules[0].trigger.schedule.repeatingTimeIntervals = ["2026-01-01T06:00:00+00:00/PT4H"]), INTERVAL, /R\/<start>\/<period>/],
    ["two intervals", (p) => p.policyRules[0].trigger.schedule.repeatingTimeIntervals.push("R/2026-01-01T07:00:00+00:00/PT4H"), "policyRules[0].trigger.schedule.repeatingTimeIntervals", /exactly one repeating interval; found 2/],
    ["an unknown time zone", (p) => (p.policyRules[0].trigger.schedule.timeZone = "Mars/Olympus_Mons"), "policyRules[0].trigger.schedule.timeZone", /"Mars\/Olympus_Mons" does not exist/],
    ["an offset for a time zone", (p) => (p.policyRules[0].trigger.schedule.timeZone = "+01:00"), "policyRules[0].trigger.schedule.timeZone", /does not exist/],
    ["backups into the vault", (p) => (p.policyRules[0].dataStore.dataStoreType = "VaultStore"), "policyRules[0].dataStore.dataStoreType", /taken into OperationalStore/],
    ["another datasource type", (p) => (p.datasourceTypes = ["Microsoft.Compute/disks"]), "datasourceTypes[0]", /not a Kubernetes cluster/],
    ["operational retention over 360 days", (p) => (p.policyRules[1].lifecycles[0].deleteAfter.duration = "P361D"), "policyRules[1].lifecycles[0].deleteAfter.duration", /at most 360 days/],
    ["operational retention of 52 weeks", (p) => (p.policyRules[1].lifecycles[0].deleteAfter.duration = "P52W"), "policyRules[1].lifecycles[0].deleteAfter.duration", /at most 360 days/],
    ["operational retention of 13 months", (p) => (p.policyRules[2].lifecycles[0].deleteAfter.duration = "P13M"), "policyRules[2].lifecycles[0].deleteAfter.duration", /at most 360 days/],
    ["operational retention of a year", (p) => (p.policyRules[1].lifecycles[0].deleteAfter.duration = "P1Y"), "policyRules[1].lifecycles[0].deleteAfter.duration", /at most 360 days/],
    ["vault retention over 10 years", (p) => (p.policyRules[2].lifecycles[1].deleteAfter.duration = "P11Y"), "policyRules[2].lifecycles[1].deleteAfter.duration", /at most 10 years/],
    ["vault retention of 121 months", (p) => (p.policyRules[2].lifecycles[1].deleteAfter.duration = "P121M"), "policyRules[2].lifecycles[1].deleteAfter.duration", /at most 10 years/],
    ["a retention that is no duration", (p) => (p.policyRules[1].lifecycles[0].deleteAfter.duration = "7 days"), "policyRules[1].lifecycles[0].deleteAfter.duration", /not an ISO 8601 duration/],
    ["a retention in hours", (p) => (p.policyRules[1].lifecycles[0].deleteAfter.duration = "PT12H"), "policyRules[1].lifecycles[0].deleteAfter.duration", /days, weeks, months or years/],
    ["a zero retention", (p) => (p.policyRules[1].lifecycles[0].deleteAfter.duration = "P0D"), "policyRules[1].lifecycles[0].deleteAfter.duration", /at least one day/],
    ["the archive store", (p) => (p.policyRules[2].lifecycles[1].sourceDataStore.dataStoreType = "ArchiveStore"), "policyRules[2].lifecycles[1].sourceDataStore.dataStoreType", /ArchiveStore is not offered/],
    ["a copy to the operational store", (p) => (p.policyRules[2].lifecycles[0].targetDataStoreCopySettings[0].dataStore.dataStoreType = "OperationalStore"), "policyRules[2].lifecycles[0].targetDataStoreCopySettings[0].dataStore.dataStoreType", /copies go to VaultStore/],
    [
      "a custom copy after the source expires",
      (p) => (p.policyRules[2].lifecycles[0].targetDataStoreCopySettings[0].copyAfter = { objectType: "CustomCopyOption", duration: "P8D" }),
      "policyRules[2].lifecycles[0].targetDataStoreCopySettings[0].copyAfter.duration",
      /comes after the source copy expires \(P7D\)/,
    ],
    ["a vault lifecycle nothing copies to", (p) => (p.policyRules[2].lifecycles[0].targetDataStoreCopySettings = []), "policyRules[2].lifecycles[1]", /nothing copies to VaultStore/],
    ["a rule without an operational lifecycle", (p) => p.policyRules[2].lifecycles.shift(), "policyRules[2].lifecycles", /needs a lifecycle for OperationalStore/],
    ["two lifecycles for one store", (p) => p.policyRules[1].lifecycles.push(structuredClone(p.policyRules[1].lifecycles[0])), "policyRules[1].lifecycles[1].sourceDataStore.dataStoreType", /already for OperationalStore/],
    [
      "a tag without a retention rule",
      (p) => p.policyRules[0].trigger.taggingCriteria.push({ tagInfo: { tagName: "Weekly" }, taggingPriority: 20, isDefault: false, criteria: [{ objectType: "ScheduleBasedBackupCriteria", absoluteCriteria: ["FirstOfWeek"] }] }),
      "policyRules[0].trigger.taggingCriteria[2].tagInfo.tagName",
      /tag "Weekly" has no retention rule named "Weekly"/,
    ],
    [
      "a retention rule without a tag",
      (p) => p.policyRules.push({ ...structuredClone(p.policyRules[2]), name: "Monthly" }),
      "policyRules[3].name",
      /retention rule "Monthly" is not the default and no tag/,
    ],
    ["two default retention rules", (p) => (p.policyRules[2].isDefault = true), "policyRules", /exactly one default retention rule .*found 2/],
    ["no default retention rule", (p) => (p.policyRules[1].isDefault = false), "policyRules", /exactly one default retention rule .*found 0/],
    ["a repeated retention rule name", (p) => p.policyRules.push(structuredClone(p.policyRules[2])), "policyRules[3].name", /"Daily" is named more than once/],
    ["two backup rules", (p) => p.policyRules.push(structuredClone(p.policyRules[0])), "policyRules", /exactly one AzureBackupRule with a schedule; found 2/],
    ["no backup rule", (p) => p.policyRules.shift(), "policyRules", /exactly one AzureBackupRule with a schedule; found 0/],
    ["two default tags", (p) => (p.policyRules[0].trigger.taggingCriteria[1].isDefault = true), "policyRules[0].trigger.taggingCriteria", /exactly one default tag .*found 2/],
    ["a repeated priority", (p) => (p.policyRules[0].trigger.taggingCriteria[1].taggingPriority = 99), "policyRules[0].trigger.taggingCriteria[1].taggingPriority", /priority 99 is also the priority of tag "Default"/],
    ["a tag without criteria", (p) => delete p.policyRules[0].trigger.taggingCriteria[1].criteria, "policyRules[0].trigger.taggingCriteria[1].criteria", /needs at least one criterion/],
    ["a criterion without condition", (p) => (p.policyRules[0].trigger.taggingCriteria[1].criteria = [{ objectType: "ScheduleBasedBackupCriteria" }]), "policyRules[0].trigger.taggingCriteria[1].criteria[0]", /names no condition/],
    [
      "a 31st day of the month",
      (p) => (p.policyRules[0].trigger.taggingCriteria[1].criteria = [{ objectType: "ScheduleBasedBackupCriteria", daysOfMonth: [{ date: 31 }] }]),
      "policyRules[0].trigger.taggingCriteria[1].criteria[0].daysOfMonth[0].date",
      /use 1 to 28, or isLast/,
    ],
    [
      "a malformed schedule time",
      (p) => (p.policyRules[0].trigger.taggingCriteria[1].criteria = [{ objectType: "ScheduleBasedBackupCriteria", scheduleTimes: ["09:00"] }]),
      "policyRules[0].trigger.taggingCriteria[1].criteria[0].scheduleTimes[0]",
      /"09:00" is not an ISO 8601 date-time/,
    ],
    ["a default tag naming another rule", (p) => (p.policyRules[0].trigger.taggingCriteria[0].tagInfo.tagName = "Daily"), "policyRules[0].trigger.taggingCriteria[0].tagInfo.tagName", /which is not the default retention rule/],
    ["an unknown rule type", (p) => (p.policyRules[1].objectType = "AzureArchiveRule"), "policyRules[1].objectType", /object type/],
    ["an unknown copy option", (p) => (p.policyRules[2].lifecycles[0].targetDataStoreCopySettings[0].copyAfter.objectType = "LaterCopyOption"), "policyRules[2].lifecycles[0].targetDataStoreCopySettings[0].copyAfter.objectType", /object type/],
    ["a full backup", (p) => (p.policyRules[0].backupParameters.backupType = "Full"), "policyRules[0].backupParameters.backupType", /Incremental/],
    ["a missing duration", (p) => delete p.policyRules[1].lifecycles[0].deleteAfter.duration, "policyRules[1].lifecycles[0].deleteAfter.duration", /expected string/],
    ["an unknown data store", (p) => (p.policyRules[1].lifecycles[0].sourceDataStore.dataStoreType = "TapeStore"), "policyRules[1].lifecycles[0].sourceDataStore.dataStoreType", /OperationalStore/],
  ];

  it.each(cases.map(([name, edit, field, message]) => ({ name, edit, field, message })))("$name at $field", ({ edit, field, message }) => {
    const faults = faultsOf(defaultWith(edit));
    expect(faults).toContainEqual({ field, message: expect.stringMatching(message) });
  });

  it("every fault at once, each with its path, in one error", () => {
    const input = defaultWith((p) => {
      p.policyRules[0].trigger.schedule.repeatingTimeIntervals = ["R/2026-02-30T06:00:00+00:00/PT1H"];
      p.policyRules[0].trigger.schedule.timeZone = "Atlantis Standard Time";
      p.policyRules[1].lifecycles[0].deleteAfter.duration = "P400D";
      p.policyRules[2].lifecycles[1].deleteAfter.duration = "P20Y";
      p.policyRules[0].trigger.taggingCriteria[1].tagInfo.tagName = "Weekly";
    });
    let error: any;
    try {
      validateBackupPolicy(input);
    } catch (caught) {
      error = caught;
    }
    expect(isKBackupError(error, "InvalidArgument")).toBe(true);
    const fields = (error.details.faults as Fault[]).map((fault) => fault.field);
    expect(fields).toEqual([
      INTERVAL,
      INTERVAL,
      "policyRules[0].trigger.schedule.timeZone",
      "policyRules[1].lifecycles[0].deleteAfter.duration",
      "policyRules[2].lifecycles[1].deleteAfter.duration",
      "policyRules[0].trigger.taggingCriteria[1].tagInfo.tagName",
      "policyRules[2].name",
    ]);
    expect(error.message).toContain("policy has 7 problems");
    for (const field of fields) expect(error.message).toContain(field);
  });

  it("several shape faults at once", () => {
    const faults = faultsOf({ objectType: "BackupPolicy", datasourceTypes: "Microsoft.ContainerService/managedClusters", policyRules: [{ objectType: "AzureRetentionRule", name: "Default", lifecycles: [] }] });
    expect(faults.map((fault) => fault.field)).toEqual(["datasourceTypes", "policyRules[0].lifecycles"]);
  });

  it("faults of an envelope under properties", () => {
    const faults = faultsOf({ name: "p", properties: defaultWith((p) => (p.policyRules[0].trigger.schedule.timeZone = "Nowhere")) });
    expect(faults).toEqual([{ field: "properties.policyRules[0].trigger.schedule.timeZone", message: expect.stringContaining("does not exist") }]);
  });

  it("something that is no policy", () => {
    expect(faultsOf("policy")).toEqual([{ field: "policy", message: expect.any(String) }]);
    expect(faultsOf(null)).toEqual([{ field: "policy", message: expect.any(String) }]);
  });
});

describe("aksDefaultPolicy", () => {
  it("is Azure's default AKS policy plus the Daily tag and rule", () => {
    const policy = aksDefaultPolicy() as any;
    const backupRule = policy.policyRules[0];
    expect(backupRule.trigger.taggingCriteria[1]).toEqual({
      tagInfo: { tagName: "Daily", id: "Daily_" },
      taggingPriority: 25,
      isDefault: false,
      criteria: [{ objectType: "ScheduleBasedBackupCriteria", absoluteCriteria: ["FirstOfDay"] }],
    });
    const daily = policy.policyRules[2];
    expect(daily.lifecycles.map((l: any) => [l.sourceDataStore.dataStoreType, l.deleteAfter.duration])).toEqual([
      ["OperationalStore", "P7D"],
      ["VaultStore", "P84D"],
    ]);
    expect(daily.lifecycles[0].targetDataStoreCopySettings).toEqual([
      { copyAfter: { objectType: "ImmediateCopyOption" }, dataStore: { dataStoreType: "VaultStore", objectType: "DataStoreInfoBase" } },
    ]);
    backupRule.trigger.taggingCriteria.splice(1, 1);
    policy.policyRules.splice(2, 1);
    expect(policy).toEqual(loadFixture("aks-default-policy.json"));
  });

  it("returns a new object every time", () => {
    const first = aksDefaultPolicy() as any;
    first.policyRules[1].lifecycles[0].deleteAfter.duration = "P1D";
    expect((aksDefaultPolicy() as any).policyRules[1].lifecycles[0].deleteAfter.duration).toBe("P7D");
  });
});
