import { BackupVault, collect, type ClusterClient, type ObjectStore } from "@kbackup/core";
import { MemoryObjectStore, type MemorySnapshotProvider } from "@kbackup/adapter-memory";
import { ManualClock } from "@kbackup/testing";
import { describe, expect, it } from "vitest";
import { BLOG_ONLY, expectStoresMatchCatalogue, gfsPolicy, isoTimes, namespaceCluster, shopCluster } from "./helpers.js";

const SCHEDULE = { repeatingTimeIntervals: ["R/2026-01-01T00:00:00+00:00/PT4H"], timeZone: "UTC" };
const DAY = 24 * 60 * 60 * 1000;

interface World {
  clock: ManualClock;
  store: MemoryObjectStore;
  operational: MemoryObjectStore;
  vaultStore: MemoryObjectStore;
  blog: ClusterClient;
  shop: ClusterClient;
  provider: MemorySnapshotProvider;
}

function world(start: string): World {
  const clock = new ManualClock(start);
  const { cluster: shop, provider } = shopCluster(clock);
  return { clock, store: new MemoryObjectStore({ clock }), operational: new MemoryObjectStore({ clock }), vaultStore: new MemoryObjectStore({ clock }), blog: namespaceCluster("blog", { clock }), shop, provider };
}

/** Opens the vault as another process would: nothing shared but the stores and the live objects its resolvers return. */
function open(w: World): Promise<BackupVault> {
  return BackupVault.open(w.store, {
    name: "vault",
    clock: w.clock,
    vaultStore: w.vaultStore,
    clusters: [w.blog, w.shop],
    operationalStores: { default: w.operational },
    snapshotProviders: (reference) => (reference.cluster.name === "aks-shop" ? w.provider : undefined),
  });
}

async function snapshotOf(vault: BackupVault) {
  const instances = [];
  for (const instance of vault.listInstances()) {
    instances.push({ name: instance.name, policyName: instance.policyName, status: instance.protectionStatus, points: await collect(instance.listRecoveryPoints()) });
  }
  return { settings: vault.settings, policies: vault.listPolicies(), instances, jobs: vault.listJobs() };
}

async function setUp(w: World): Promise<BackupVault> {
  const vault = await BackupVault.create(w.store, { name: "vault", clock: w.clock, vaultStore: w.vaultStore, securitySettings: { softDeleteSettings: { retentionDurationInDays: 30 } } });
  await vault.createPolicy("gfs", gfsPolicy("R/2026-01-01T00:00:00+00:00/PT4H"));
  await vault.protect({ name: "blog", cluster: w.blog, operationalStore: w.operational, datasourceParameters: BLOG_ONLY, policyName: "gfs" });
  await vault.protect({ name: "shop", cluster: w.shop, snapshotProvider: w.provider, operationalStore: w.operational, datasourceParameters: { includedNamespaces: ["shop"], includedResourceTypes: ["persistentvolumeclaims", "persistentvolumes"] }, policyName: "gfs" });
  return vault;
}

describe("a vault in an object store", () => {
  it("is seen whole by a new process: settings, policies, instances, recovery points with tags, copies and expiries, and jobs", async () => {
    const w = world("2026-01-01T00:00:00Z");
    const vault = await setUp(w);
    for (const time of isoTimes(SCHEDULE, "2026-01-01T00:00:00Z", "2026-01-10T00:00:00Z")) {
      await w.clock.set(time);
      expect((await vault.runDue()).errors).toEqual([]);
    }
    const shop = vault.getInstance("shop")!;
    await shop.backupNow({ retentionTagOverride: "Weekly", tags: { reason: "before upgrade" } });
    await shop.suspendBackups();

    const reopened = await open(w);
    const before = await snapshotOf(vault);
    const after = await snapshotOf(reopened);
    expect(after).toEqual(before);
    expect(after.settings.securitySettings.softDeleteSettings.retentionDurationInDays).toBe(30);
    expect(after.jobs).toHaveLength(2 * 54 + 1);
    const points = after.instances.find((instance) => instance.name === "shop")!.points;
    expect(points.at(-1)).toMatchObject({ onDemand: true, retentionTag: "Weekly", tags: { reason: "before upgrade", "kbackup.io/retention-tag": "Weekly" }, volumeSnapshotCount: 1 });
    expect(points.filter((point) => point.dataStores.VaultStore).map((point) => point.retentionTag)).toEqual(["Yearly", "Weekly"]);
    expect(reopened.getInstance("shop")?.currentProtectionState).toBe("BackupSchedulesSuspended");

    // The reopened vault goes on where the first left off: retention deletes expired copies with their snapshots.
    await w.clock.set("2026-01-10T00:00:00Z");
    const result = await reopened.runDue();
    expect(result.errors).toEqual([]);
    expect(result.backups.map((job) => job.backupInstanceFriendlyName)).toEqual(["blog"]);
    const shopPoints = await collect(reopened.getInstance("shop")!.listRecoveryPoints());
    expect(w.provider.listSnapshots().map((snapshot) => snapshot.record.snapshotHandle).sort()).toEqual(
      (await Promise.all(shopPoints.filter((point) => point.dataStores.OperationalStore).map(async (point) => (await reopened.getInstance("shop")!.getRecoveryPoint(point.recoveryPointId)).volumeSnapshots[0]!.snapshotHandle))).sort(),
    );
    for (const instance of reopened.listInstances()) await expectStoresMatchCatalogue(instance, w.operational, w.vaultStore);

    // A restore from a point only the vault store holds reads the vault copy.
    const yearly = shopPoints.find((point) => point.retentionTag === "Yearly")!;
    expect(yearly.dataStores.OperationalStore).toBeUndefined();
    const plan = await reopened.getInstance("shop")!.planRestore(yearly.recoveryPointId, {}, { targetCluster: namespaceCluster("blog") });
    expect(plan.items.length).toBeGreaterThan(0);
  });

  it("lists an instance whose cluster this process cannot resolve, and fails its backups with NotFound", async () => {
    const w = world("2026-01-01T00:00:00Z");
    await setUp(w);
    const vault = await BackupVault.open(w.store, { name: "vault", clock: w.clock, vaultStore: w.vaultStore, clusters: [w.blog], operationalStores: { default: w.operational } });
    expect(vault.listInstances().map((instance) => instance.name)).toEqual(["blog", "shop"]);
    await w.clock.set("2026-01-01T04:00:00Z");
    const result = await vault.runDue();
    const failed = result.backups.find((job) => job.backupInstanceFriendlyName === "shop");
    expect(failed).toMatchObject({ status: "Failed", errorDetails: [{ code: "NotFound" }] });
    expect(result.backups.find((job) => job.backupInstanceFriendlyName === "blog")?.status).toBe("Completed");
  });

  it("takes exactly one backup per slot when two processes run the scheduler at once, and keeps the catalogue whole", async () => {
    const w = world("2026-01-01T00:00:00Z");
    await setUp(w);
    const [a, b] = [await open(w), await open(w)];
    const slots = isoTimes(SCHEDULE, "2026-01-01T00:00:00Z", "2026-01-12T00:00:00Z");
    const taken = new Map<string, number>();
    for (const time of slots) {
      await w.clock.set(time);
      const results = await Promise.all([a.runDue(), b.runDue(), a.runDue({ concurrency: 1 })]);
      for (const result of results) {
        expect(result.errors).toEqual([]);
        for (const job of result.backups) {
          expect(job.status).toBe("Completed");
          const key = `${job.backupInstanceFriendlyName} ${job.extendedInfo.recoveryPointTime}`;
          taken.set(key, (taken.get(key) ?? 0) + 1);
        }
      }
    }
    expect([...taken.values()].every((count) => count === 1)).toBe(true);
    expect(taken.size).toBe(2 * slots.length);

    const fresh = await open(w);
    for (const instance of fresh.listInstances()) {
      const points = await collect(instance.listRecoveryPoints());
      const operational = points.filter((point) => point.dataStores.OperationalStore).map((point) => point.recoveryPointTime);
      expect(operational).toEqual(slots.filter((slot) => Date.parse(slot) > Date.parse("2026-01-12T00:00:00Z") - 4 * 60 * 60 * 1000 - 7 * DAY));
      expect(new Set(points.map((point) => point.recoveryPointId)).size).toBe(points.length);
      await expectStoresMatchCatalogue(instance, w.operational, w.vaultStore);
    }
    expect(fresh.listJobs().filter((job) => job.operation === "Backup")).toHaveLength(2 * slots.length);
    expect(fresh.listJobs().every((job) => job.status === "Completed")).toBe(true);
  });

  it("refuses a store without conditional writes, a second vault of the same name, and opening a vault that is not there", async () => {
    const store = new MemoryObjectStore();
    const plain: ObjectStore = Object.assign(Object.create(store) as ObjectStore, { capabilities: { ...store.capabilities, conditionalWrites: false } });
    await expect(BackupVault.create(plain, { name: "vault" })).rejects.toMatchObject({ code: "Unsupported" });
    await BackupVault.create(store, { name: "vault" });
    await expect(BackupVault.create(store, { name: "vault" })).rejects.toMatchObject({ code: "AlreadyExists" });
    await expect(BackupVault.open(store, { name: "other" })).rejects.toMatchObject({ code: "NotFound" });
  });
});
