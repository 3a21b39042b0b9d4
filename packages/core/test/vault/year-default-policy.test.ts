import { aksDefaultPolicy, collect } from "@kbackup/core";
import { describe, expect, it } from "vitest";
import { BLOG_ONLY, catalogued, expectStoresMatchCatalogue, isoTimes, memoryVault, namespaceCluster, walk } from "./helpers.js";

const DAY = 24 * 60 * 60 * 1000;
const SCHEDULE = { repeatingTimeIntervals: ["R/2023-01-04T09:00:00+00:00/PT4H"] };

function shift(iso: string, ms: number): string {
  return new Date(Date.parse(iso) + ms).toISOString();
}

describe("a year of the default AKS policy", () => {
  it("keeps every backup 7 days in the operational store and each day's first 84 days in the vault store", async () => {
    const { clock, operational, vaultStore, vault } = await memoryVault("2026-01-01T00:00:00Z");
    await vault.createPolicy("aks-default", aksDefaultPolicy());
    const cluster = namespaceCluster("blog", { clock });
    const instance = await vault.protect({ name: "blog", cluster, operationalStore: operational, datasourceParameters: BLOG_ONLY, policyName: "aks-default" });

    const all = isoTimes(SCHEDULE, "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z");
    const checks = new Set(["2026-01-01T01:00:00.000Z", "2026-01-08T01:00:00.000Z", "2026-03-26T01:00:00.000Z", "2026-03-26T05:00:00.000Z", "2026-07-01T13:00:00.000Z", "2026-12-31T21:00:00.000Z"]);
    const expectedAt = (now: string) => ({
      operational: all.filter((time) => time <= now && time > shift(now, -7 * DAY)),
      vault: all.filter((time) => time.endsWith("T01:00:00.000Z") && time <= now && time > shift(now, -84 * DAY)),
    });

    let backups = 0;
    await walk(vault, clock, SCHEDULE, "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", async (now, result) => {
      expect(result.backups.map((job) => job.status)).toEqual(["Completed"]);
      backups++;
      const iso = now.toISOString();
      if (!checks.has(iso)) return;
      expect(await catalogued(instance)).toEqual(expectedAt(iso));
      await expectStoresMatchCatalogue(instance, operational, vaultStore);
    });
    expect(backups).toBe(all.length);

    // Expiries are fixed when a copy is made: 7 days after the backup, 84 for the vault copy.
    const points = await collect(instance.listRecoveryPoints());
    const daily = points.find((point) => point.recoveryPointTime === "2026-12-31T01:00:00.000Z");
    expect(daily).toMatchObject({
      retentionTag: "Daily",
      onDemand: false,
      dataStores: { OperationalStore: { expiryTime: "2027-01-07T01:00:00.000Z" }, VaultStore: { expiryTime: "2027-03-25T01:00:00.000Z" } },
      expiryTime: "2027-03-25T01:00:00.000Z",
      tags: { "kbackup.io/retention-tag": "Daily" },
    });
    expect(points.find((point) => point.recoveryPointTime === "2026-12-31T05:00:00.000Z")?.retentionTag).toBe("Default");
  });
});
