import { aksDefaultPolicy, collect, isKBackupError, type BackupPolicy } from "@kbackup/core";
import { describe, expect, it } from "vitest";
import { BLOG_ONLY, catalogued, gfsPolicy, isoTimes, memoryVault, namespaceCluster, walk } from "./helpers.js";

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;

function amsterdam(policy: BackupPolicy, interval: string): BackupPolicy {
  const rule = policy.policyRules[0] as { trigger: { schedule: { repeatingTimeIntervals: string[]; timeZone?: string } } };
  rule.trigger.schedule = { repeatingTimeIntervals: [interval], timeZone: "Europe/Amsterdam" };
  return policy;
}

/** Calls runDue at every whole UTC hour in [from, to) and returns the times of the backups it took. */
async function hourly(setup: Awaited<ReturnType<typeof memoryVault>>, from: string, to: string): Promise<string[]> {
  const taken: string[] = [];
  for (let time = Date.parse(from); time < Date.parse(to); time += HOUR) {
    await setup.clock.set(time);
    const result = await setup.vault.runDue();
    expect(result.errors).toEqual([]);
    for (const job of result.backups) taken.push(job.extendedInfo.recoveryPointTime ?? "failed");
  }
  return taken;
}

describe("the scheduler across daylight-saving changes (Europe/Amsterdam)", () => {
  it("backs up at the same wall-clock times, every 4 hours from midnight, and tags the first of each local day", async () => {
    const setup = await memoryVault("2026-03-28T12:00:00Z");
    await setup.vault.createPolicy("ams", amsterdam(aksDefaultPolicy(), "R/2026-01-01T00:00:00+01:00/PT4H"));
    const instance = await setup.vault.protect({ name: "blog", cluster: namespaceCluster("blog", { clock: setup.clock }), operationalStore: setup.operational, datasourceParameters: BLOG_ONLY, policyName: "ams" });

    const spring = await hourly(setup, "2026-03-28T12:00:00Z", "2026-03-30T12:00:00Z");
    expect(spring).toEqual([
      "2026-03-28T15:00:00.000Z", // 16:00 CET
      "2026-03-28T19:00:00.000Z", // 20:00 CET
      "2026-03-28T23:00:00.000Z", // 00:00 CET, 29 March
      "2026-03-29T02:00:00.000Z", // 04:00 CEST: the clocks went forward at 02:00
      "2026-03-29T06:00:00.000Z",
      "2026-03-29T10:00:00.000Z",
      "2026-03-29T14:00:00.000Z",
      "2026-03-29T18:00:00.000Z",
      "2026-03-29T22:00:00.000Z", // 00:00 CEST, 30 March
      "2026-03-30T02:00:00.000Z",
      "2026-03-30T06:00:00.000Z",
      "2026-03-30T10:00:00.000Z",
    ]);
    const autumn = await hourly(setup, "2026-10-24T18:00:00Z", "2026-10-26T00:00:00Z");
    expect(autumn).toEqual([
      "2026-10-24T18:00:00.000Z", // 20:00 CEST
      "2026-10-24T22:00:00.000Z", // 00:00 CEST, 25 October
      "2026-10-25T03:00:00.000Z", // 04:00 CET: the clocks went back at 03:00
      "2026-10-25T07:00:00.000Z",
      "2026-10-25T11:00:00.000Z",
      "2026-10-25T15:00:00.000Z",
      "2026-10-25T19:00:00.000Z",
      "2026-10-25T23:00:00.000Z", // 00:00 CET, 26 October
    ]);
    // The downtime between the two walks is one backup, not months of them.
    const jobs = setup.vault.listJobs();
    expect(jobs).toHaveLength(spring.length + autumn.length);
    const firstAutumn = jobs.find((job) => job.extendedInfo.recoveryPointTime === "2026-10-24T18:00:00.000Z");
    const schedule = { repeatingTimeIntervals: ["R/2026-01-01T00:00:00+01:00/PT4H"], timeZone: "Europe/Amsterdam" };
    expect(firstAutumn?.extendedInfo.missedScheduledCount).toBe(isoTimes(schedule, "2026-03-30T10:00:01Z", "2026-10-24T18:00:00Z").length);
    expect(firstAutumn?.extendedInfo.missedScheduledTimes).toHaveLength(100);

    const daily = (await collect(instance.listRecoveryPoints())).filter((point) => point.retentionTag === "Daily").map((point) => point.recoveryPointTime);
    expect(daily).toEqual(["2026-10-24T18:00:00.000Z", "2026-10-24T22:00:00.000Z", "2026-10-25T23:00:00.000Z"]);
    expect((await catalogued(instance)).vault).toEqual(daily);
  });

  it("runs a time in the skipped hour once, an hour late, and a time in the repeated hour once, at its first occurrence", async () => {
    const setup = await memoryVault("2026-03-28T00:00:00Z");
    await setup.vault.createPolicy("ams", amsterdam(aksDefaultPolicy(), "R/2026-01-01T02:30:00+01:00/P1D"));
    await setup.vault.protect({ name: "blog", cluster: namespaceCluster("blog", { clock: setup.clock }), operationalStore: setup.operational, datasourceParameters: BLOG_ONLY, policyName: "ams" });
    expect(await hourly(setup, "2026-03-28T00:00:00Z", "2026-03-31T00:00:00Z")).toEqual([
      "2026-03-28T02:00:00.000Z", // 02:30 CET, seen at the next whole hour
      "2026-03-29T02:00:00.000Z", // 02:30 does not exist: it runs at 03:30 CEST (01:30Z), seen at 02:00Z
      "2026-03-30T01:00:00.000Z", // 02:30 CEST is 00:30Z
    ]);
    expect(await hourly(setup, "2026-10-24T00:00:00Z", "2026-10-27T00:00:00Z")).toEqual([
      "2026-10-24T00:00:00.000Z", // back from months without a tick: one backup for the missed 23 October
      "2026-10-24T01:00:00.000Z",
      "2026-10-25T01:00:00.000Z", // the first 02:30 (CEST, 00:30Z); the second (CET, 01:30Z) does not run
      "2026-10-26T02:00:00.000Z",
    ]);
  });
});

describe("the scheduler after downtime", () => {
  it("takes one backup on return, records the slots it missed, and catches retention up", async () => {
    const schedule = { repeatingTimeIntervals: ["R/2023-01-04T09:00:00+00:00/PT4H"] };
    const setup = await memoryVault("2026-01-01T00:00:00Z");
    const { clock, vault } = setup;
    await vault.createPolicy("aks", aksDefaultPolicy());
    const instance = await vault.protect({ name: "blog", cluster: namespaceCluster("blog", { clock }), operationalStore: setup.operational, datasourceParameters: BLOG_ONLY, policyName: "aks" });
    await walk(vault, clock, schedule, "2026-01-01T00:00:00Z", "2026-01-10T01:00:01Z");

    await clock.set("2026-01-13T02:30:00Z");
    const back = await vault.runDue();
    expect(back.backups).toHaveLength(1);
    const missed = isoTimes(schedule, "2026-01-10T01:00:01Z", "2026-01-13T01:00:00Z");
    expect(missed).toHaveLength(17);
    expect(back.backups[0]?.extendedInfo).toMatchObject({ missedScheduledCount: 17, missedScheduledTimes: missed, additionalDetails: { RetentionTag: "Daily", ScheduledTime: "2026-01-13T01:00:00.000Z" } });
    await instance.refresh();
    expect(instance.missedScheduledCount).toBe(17);
    expect(instance.lastMissedScheduledTimes).toEqual(missed);
    expect(back.deletions.length).toBe(isoTimes(schedule, "2026-01-03T01:00:01Z", "2026-01-06T02:30:00Z").length);
    expect((await catalogued(instance)).operational).toEqual([...isoTimes(schedule, "2026-01-06T02:30:01Z", "2026-01-10T01:00:01Z"), "2026-01-13T02:30:00.000Z"]);

    // Again in the same slot: nothing; at the next slot: one backup, nothing missed.
    expect((await vault.runDue()).backups).toEqual([]);
    await clock.set("2026-01-13T05:00:00Z");
    const next = await vault.runDue();
    expect(next.backups.map((job) => [job.extendedInfo.missedScheduledCount, job.extendedInfo.additionalDetails.RetentionTag])).toEqual([[0, "Default"]]);
  });
});

describe("protection states", () => {
  it("takes no backups while suspended (retention goes on) or stopped (everything kept), and resumes at the next slot", async () => {
    const schedule = { repeatingTimeIntervals: ["R/2026-01-01T00:00:00+00:00/P1D"], timeZone: "UTC" };
    const setup = await memoryVault("2026-01-01T00:00:00Z");
    const { clock, vault } = setup;
    await vault.createPolicy("gfs", gfsPolicy());
    const instance = await vault.protect({ name: "blog", cluster: namespaceCluster("blog", { clock }), operationalStore: setup.operational, datasourceParameters: BLOG_ONLY, policyName: "gfs" });
    await walk(vault, clock, schedule, "2026-01-01T00:00:00Z", "2026-01-08T00:00:01Z");
    expect((await catalogued(instance)).operational).toHaveLength(7);

    await instance.suspendBackups();
    expect(instance.protectionStatus).toEqual({ status: "ProtectionStopped" });
    expect(instance.currentProtectionState).toBe("BackupSchedulesSuspended");
    await walk(vault, clock, schedule, "2026-01-09T00:00:00Z", "2026-01-12T00:00:01Z", (_now, result) => expect(result.backups).toEqual([]));
    // Retention went on: only the points of the last 7 days are left in the operational store.
    expect((await catalogued(instance)).operational).toEqual(isoTimes(schedule, "2026-01-05T00:00:01Z", "2026-01-08T00:00:01Z"));

    await instance.stopProtection();
    expect(instance.currentProtectionState).toBe("ProtectionStopped");
    await walk(vault, clock, schedule, "2026-01-13T00:00:00Z", "2026-01-20T00:00:01Z", (_now, result) => {
      expect(result.backups).toEqual([]);
      expect(result.deletions).toEqual([]);
    });
    expect((await catalogued(instance)).operational).toEqual(isoTimes(schedule, "2026-01-05T00:00:01Z", "2026-01-08T00:00:01Z"));
    const refused = await instance.backupNow().catch((error: unknown) => error);
    expect(isKBackupError(refused, "Conflict")).toBe(true);

    await clock.set("2026-01-20T10:00:00Z");
    await instance.resumeProtection();
    expect(instance.protectionStatus).toEqual({ status: "ProtectionConfigured" });
    expect((await vault.runDue()).backups).toEqual([]);
    await clock.set("2026-01-21T00:00:00Z");
    const resumed = await vault.runDue();
    expect(resumed.backups.map((job) => job.extendedInfo.missedScheduledCount)).toEqual([0]);
    expect(instance.missedScheduledCount).toBe(0);
    // Retention is back: the stopped instance's expired points go.
    expect((await catalogued(instance)).operational).toEqual(["2026-01-21T00:00:00.000Z"]);
    expect(Date.parse("2026-01-21T00:00:00Z") - Date.parse("2026-01-08T00:00:00Z")).toBeGreaterThan(7 * DAY);
  });
});
