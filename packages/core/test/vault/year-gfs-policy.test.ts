import { addIsoDuration, parseIsoDuration } from "@kbackup/core";
import { describe, expect, it } from "vitest";
import { BLOG_ONLY, catalogued, expectStoresMatchCatalogue, failingAt, gfsPolicy, isoTimes, memoryVault, namespaceCluster, policyFixture, walk } from "./helpers.js";

const DAY = 24 * 60 * 60 * 1000;

function before(iso: string, ms: number): string {
  return new Date(Date.parse(iso) - ms).toISOString();
}

/** The tag the grandfather-father-son policy gives a daily backup, reckoned by hand: weeks start on Sunday. */
function gfsTag(iso: string, first: boolean): string {
  const date = new Date(iso);
  if (first || (date.getUTCMonth() === 0 && date.getUTCDate() === 1)) return "Yearly";
  if (date.getUTCDate() === 1) return "Monthly";
  if (date.getUTCDay() === 0) return "Weekly";
  return "Daily";
}

const VAULT_RETENTION: Record<string, string> = { Weekly: "P4W", Monthly: "P12M", Yearly: "P10Y" };

describe("grandfather-father-son", () => {
  it("keeps a daily backup a week, the week's first 4 weeks, the month's first 12 months and the year's first 10 years", async () => {
    const schedule = { repeatingTimeIntervals: ["R/2026-01-01T00:00:00+00:00/P1D"], timeZone: "UTC" };
    const { clock, operational, vaultStore, vault } = await memoryVault("2026-01-01T00:00:00Z");
    await vault.createPolicy("gfs", gfsPolicy());
    const instance = await vault.protect({ name: "blog", cluster: namespaceCluster("blog", { clock }), operationalStore: operational, datasourceParameters: BLOG_ONLY, policyName: "gfs" });

    const all = isoTimes(schedule, "2026-01-01T00:00:00Z", "2027-03-01T00:00:00Z");
    const tags = new Map(all.map((time, i) => [time, gfsTag(time, i === 0)]));
    const expectedAt = (now: string) => ({
      operational: all.filter((time) => time <= now && time > before(now, 7 * DAY)),
      vault: all.filter((time) => {
        const retention = VAULT_RETENTION[tags.get(time)!];
        return time <= now && retention !== undefined && addIsoDuration(new Date(time), parseIsoDuration(retention, "retention")).toISOString() > now;
      }),
    });
    const checks = ["2026-01-04T00:00:00.000Z", "2026-02-01T00:00:00.000Z", "2026-05-17T00:00:00.000Z", "2026-12-31T00:00:00.000Z", "2027-01-31T00:00:00.000Z", "2027-02-01T00:00:00.000Z", "2027-02-28T00:00:00.000Z"];
    await walk(vault, clock, schedule, "2026-01-01T00:00:00Z", "2027-03-01T00:00:00Z", async (now) => {
      const iso = now.toISOString();
      if (!checks.includes(iso)) return;
      expect(await catalogued(instance), iso).toEqual(expectedAt(iso));
      await expectStoresMatchCatalogue(instance, operational, vaultStore);
    });
    // By hand, on the last day: 2026's first, the firsts of the last 12 months, the last 4 Sundays.
    expect((await catalogued(instance)).vault).toEqual([
      "2026-01-01T00:00:00.000Z",
      "2026-03-01T00:00:00.000Z",
      "2026-04-01T00:00:00.000Z",
      "2026-05-01T00:00:00.000Z",
      "2026-06-01T00:00:00.000Z",
      "2026-07-01T00:00:00.000Z",
      "2026-08-01T00:00:00.000Z",
      "2026-09-01T00:00:00.000Z",
      "2026-10-01T00:00:00.000Z",
      "2026-11-01T00:00:00.000Z",
      "2026-12-01T00:00:00.000Z",
      "2027-01-01T00:00:00.000Z",
      "2027-02-01T00:00:00.000Z",
      "2027-02-07T00:00:00.000Z",
      "2027-02-14T00:00:00.000Z",
      "2027-02-21T00:00:00.000Z",
      "2027-02-28T00:00:00.000Z",
    ]);
  });

  it("gives the first successful backup of a period its tag when the period's first backup fails, and retries only at the next slot", async () => {
    const policy = policyFixture("gfs-policy.json");
    const schedule = { repeatingTimeIntervals: ["R/2026-01-01T00:00:00+00:00/PT4H"], timeZone: "UTC" };
    const { clock, operational, vaultStore, vault } = await memoryVault("2026-12-27T00:00:00Z");
    await vault.createPolicy("gfs", policy);
    // New Year's Day, the first Sunday of 2027 and the 1st of February (twice) fail.
    const failed = new Set(["2027-01-01T00:00:00.000Z", "2027-01-03T00:00:00.000Z", "2027-02-01T00:00:00.000Z", "2027-02-01T04:00:00.000Z"]);
    const cluster = failingAt(namespaceCluster("blog", { clock }), clock, failed);
    const instance = await vault.protect({ name: "blog", cluster, operationalStore: operational, datasourceParameters: BLOG_ONLY, policyName: "gfs" });

    await walk(vault, clock, schedule, "2026-12-27T00:00:00Z", "2027-02-03T00:00:01Z", async (now, result) => {
      const iso = now.toISOString();
      expect(result.backups.map((job) => job.status)).toEqual([failed.has(iso) ? "Failed" : "Completed"]);
      if (failed.has(iso)) {
        expect(result.backups[0]?.errorDetails).toEqual([{ code: "Unavailable", message: "The API server is unavailable." }]);
        // A second tick in the same slot does not retry the failed backup.
        await clock.advance(60_000);
        expect((await vault.runDue()).backups).toEqual([]);
      }
    });
    // Tags as the backup jobs recorded them (some of these points have expired since).
    const tagOf = (time: string) => vault.listJobs().find((job) => job.extendedInfo.recoveryPointTime === time)?.extendedInfo.additionalDetails.RetentionTag;
    expect(tagOf("2027-01-01T04:00:00.000Z")).toBe("Yearly");
    expect(tagOf("2027-01-03T04:00:00.000Z")).toBe("Weekly");
    expect(tagOf("2027-02-01T08:00:00.000Z")).toBe("Monthly");
    expect(tagOf("2027-01-10T00:00:00.000Z")).toBe("Weekly");

    const now = "2027-02-03T00:00:00.000Z";
    expect(await catalogued(instance)).toEqual({
      operational: isoTimes(schedule, before(now, 7 * DAY - 1), "2027-02-03T00:00:01Z").filter((time) => !failed.has(time)),
      vault: [
        // The first backup ever was the first of 2026 too.
        "2026-12-27T00:00:00.000Z",
        "2027-01-01T04:00:00.000Z",
        "2027-01-10T00:00:00.000Z",
        "2027-01-17T00:00:00.000Z",
        "2027-01-24T00:00:00.000Z",
        "2027-01-31T00:00:00.000Z",
        "2027-02-01T08:00:00.000Z",
      ],
    });
    await expectStoresMatchCatalogue(instance, operational, vaultStore);
    const failedJobs = vault.listJobs().filter((job) => job.status === "Failed");
    expect(failedJobs.map((job) => job.extendedInfo.additionalDetails.ScheduledTime).sort()).toEqual([...failed].sort());
  });
});
