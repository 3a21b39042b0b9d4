import { describe, expect, it } from "vitest";
import { BackupVault, PassphraseKeyProvider, RepositoryVaultCopier, collect, type ObjectStore, type VaultCopySource } from "@kbackup/core";
import { MemoryObjectStore, MemorySnapshotProvider } from "@kbackup/adapter-memory";
import { ManualClock } from "@kbackup/testing";
import { randomBytesOf } from "../repository/repository-fixtures.js";
import { claimBytes, dailyToVaultPolicy, dataCluster, emptyCluster, keysOf, smallRepository, SOURCE, STAGING_CRITERIA, tick, vaultKey, vaultPoints, vaultTierSetup, VOLUMES } from "./vault-tier-fixtures.js";

/** The vault store as the copier sees it, counting the bytes it uploads. */
function counting(store: ObjectStore): ObjectStore & { uploaded: number } {
  const wrapper = {
    uploaded: 0,
    capabilities: store.capabilities,
    async put(...args: Parameters<ObjectStore["put"]>) {
      const info = await store.put(...args);
      wrapper.uploaded += info.size;
      return info;
    },
    get: (...args: Parameters<ObjectStore["get"]>) => store.get(...args),
    getStream: (...args: Parameters<ObjectStore["getStream"]>) => store.getStream(...args),
    head: (...args: Parameters<ObjectStore["head"]>) => store.head(...args),
    list: (...args: Parameters<ObjectStore["list"]>) => store.list(...args),
    delete: (...args: Parameters<ObjectStore["delete"]>) => store.delete(...args),
  };
  return wrapper;
}

describe("a vault copy through the repository", () => {
  it("holds every volume's bytes: a point whose operational copy and snapshots expired restores from the vault store byte for byte", async () => {
    const setup = await vaultTierSetup();
    const [first] = await tick(setup, "2026-01-01T00:00:00Z");
    expect(first).toBeDefined();
    // The text volume changes before the second backup, so the two points differ.
    const changed = new TextEncoder().encode("a new first line for the second backup\n");
    setup.cluster.writeVolume(setup.volumeHandles.text!, changed, 0);
    const [second] = await tick(setup, "2026-01-02T00:00:00Z");
    await tick(setup, "2026-01-03T00:00:00Z");
    // The first point now lives in the vault store only, and its snapshots are gone.
    const info = await setup.instance.getRecoveryPointInfo(first!);
    expect(Object.keys(info!.dataStores)).toEqual(["VaultStore"]);
    const manifest = await setup.instance.getRecoveryPoint(first!);
    const held = new Set(setup.provider.listSnapshots().map((snapshot) => snapshot.record.snapshotHandle));
    expect(manifest.volumeSnapshots.length).toBe(3);
    for (const record of manifest.volumeSnapshots) expect(held.has(record.snapshotHandle)).toBe(false);

    for (const [id, textStart] of [[first!, undefined], [second!, changed]] as const) {
      const target = emptyCluster(setup.clock, { ...SOURCE, name: `restored-${id.slice(-4)}`, id: `/clusters/restored-${id.slice(-4)}` });
      const staging = new MemoryObjectStore();
      const stagingProvider = new MemorySnapshotProvider(target);
      const job = await setup.instance.restore(id, STAGING_CRITERIA, { targetCluster: target, targetSnapshotProvider: stagingProvider, stagingStore: staging, dataStore: "VaultStore" });
      expect(job.errorDetails ?? [], JSON.stringify(job.errorDetails)).toEqual([]);
      expect(job.status).toBe("Completed");
      expect(job.extendedInfo.counts?.volumesRestored).toBe(3);
      for (const volume of VOLUMES) {
        const expected = volume.bytes(volume.sizeInBytes);
        if (volume.claim === "text" && textStart) expected.set(textStart, 0);
        expect(Buffer.from(await claimBytes(target, volume.claim)).equals(Buffer.from(expected)), `${id} ${volume.claim}`).toBe(true);
      }
      expect((await target.get({ group: "", version: "v1", resource: "configmaps" }, "settings", { namespace: "data" }))?.data).toEqual({ mode: "production" });
      // The staging is gone: no staged object, no staged snapshot.
      expect(await keysOf(staging, "")).toEqual([]);
      expect(stagingProvider.listSnapshots()).toEqual([]);
    }
    await setup.copier.close();
  });

  it("uploads little for a second copy of a point that changed a little, and for another cluster holding the same data", async () => {
    const clock = new ManualClock("2026-01-01T00:00:00Z");
    const vaultStore = new MemoryObjectStore({ clock });
    const counter = counting(vaultStore);
    const store = new MemoryObjectStore({ clock });
    const operational = new MemoryObjectStore({ clock });
    const copier = new RepositoryVaultCopier(counter, { keyProvider: vaultKey, clock, ...smallRepository });
    const vault = await BackupVault.create(store, { name: "vault", clock, vaultStore, vaultCopier: copier });
    const { cluster, volumeHandles } = dataCluster(clock);
    const provider = new MemorySnapshotProvider(cluster);
    const protect = (name: string, on: typeof cluster, with_: MemorySnapshotProvider) =>
      vault.protect({ name, cluster: on, snapshotProvider: with_, operationalStore: operational, datasourceParameters: { includedNamespaces: ["data"] } });
    const instance = await protect("data", cluster, provider);
    const source = async (name: string, id: string, snapshotProvider: MemorySnapshotProvider): Promise<VaultCopySource> => ({
      instanceName: name,
      recoveryPointId: id,
      store: operational,
      instancePrefix: `vaults/vault/backup-instances/${name}/`,
      snapshotProvider,
    });

    const firstId = (await instance.backupNow()).extendedInfo.recoveryPointId!;
    const first = await copier.copy(await source("data", firstId, provider));
    const firstUpload = counter.uploaded;
    const dataBytes = VOLUMES.reduce((sum, volume) => sum + volume.sizeInBytes, 0);
    expect(first.transfer!.bytesRead).toBeGreaterThanOrEqual(dataBytes);
    expect(first.holdsVolumeData).toBe(true);

    // 4 KiB of the random volume change; the provider tells which ranges, so little is read and less uploaded.
    cluster.writeVolume(volumeHandles.random!, randomBytesOf(4096, 99), 64 * 1024);
    clock.advance(60_000);
    const secondId = (await instance.backupNow()).extendedInfo.recoveryPointId!;
    const second = await copier.copy(await source("data", secondId, provider));
    const secondUpload = counter.uploaded - firstUpload;
    expect(secondUpload).toBeLessThan(firstUpload / 8);
    expect(second.transfer!.bytesRead).toBeLessThan(dataBytes / 8);
    expect(second.transfer!.chunksReused).toBeGreaterThan(second.transfer!.chunksStored);

    // Another cluster whose volumes hold the same bytes: its first copy finds them stored.
    const twin = dataCluster(clock, { ...SOURCE, name: "aks-twin", id: "/clusters/aks-twin" });
    twin.cluster.writeVolume(twin.volumeHandles.random!, randomBytesOf(4096, 99), 64 * 1024);
    const twinProvider = new MemorySnapshotProvider(twin.cluster);
    const twinInstance = await protect("twin", twin.cluster, twinProvider);
    const twinId = (await twinInstance.backupNow()).extendedInfo.recoveryPointId!;
    const before = counter.uploaded;
    const third = await copier.copy(await source("twin", twinId, twinProvider));
    expect(counter.uploaded - before).toBeLessThan(firstUpload / 8);
    expect(third.transfer!.bytesRead).toBeGreaterThanOrEqual(dataBytes);
    expect(third.transfer!.chunksStored).toBeLessThan(third.transfer!.chunksReused);

    // Copying a point again writes nothing.
    const again = counter.uploaded;
    expect((await copier.copy(await source("data", firstId, provider))).recoveryPointId).toBe(firstId);
    expect(counter.uploaded).toBe(again);
    expect((await collect(copier.list("data"))).map((copy) => copy.recoveryPointId)).toEqual([firstId, secondId]);
    await copier.close();
  });

  it("refuses a point with a volume over 1 TiB and publishes nothing of it", async () => {
    const setup = await vaultTierSetup();
    const id = (await setup.instance.backupNow()).extendedInfo.recoveryPointId!;
    const key = `vaults/vault/backup-instances/data/recovery-points/${id}/manifest.json`;
    const manifest = JSON.parse(Buffer.from((await setup.operational.get(key))!.body).toString("utf8"));
    manifest.volumeSnapshots[1].sizeInBytes = 2 * 1024 ** 4;
    await setup.operational.put(key, Buffer.from(JSON.stringify(manifest)));
    await expect(setup.copier.copy({ instanceName: "data", recoveryPointId: id, store: setup.operational, instancePrefix: "vaults/vault/backup-instances/data/", snapshotProvider: setup.provider })).rejects.toMatchObject({
      code: "Unsupported",
      details: { sizeInBytes: 2 * 1024 ** 4 },
    });
    expect(await setup.copier.read("data", id)).toBeUndefined();
    expect(await keysOf(setup.vaultStore, "vault-repository/packs/")).toEqual([]);
  });

  it("refuses a point with volume snapshots when no provider can read them", async () => {
    const setup = await vaultTierSetup();
    const id = (await setup.instance.backupNow()).extendedInfo.recoveryPointId!;
    const source = { instanceName: "data", recoveryPointId: id, store: setup.operational, instancePrefix: "vaults/vault/backup-instances/data/" };
    await expect(setup.copier.copy(source)).rejects.toMatchObject({ code: "NotFound", field: "snapshotProviders" });
    const blind = Object.assign(Object.create(setup.provider) as MemorySnapshotProvider, { capabilities: { incremental: true, readData: false, changedRanges: false } });
    await expect(setup.copier.copy({ ...source, snapshotProvider: blind })).rejects.toMatchObject({ code: "Unsupported" });
  });

  it("says PermissionDenied when the key does not open the vault store's repository", async () => {
    const setup = await vaultTierSetup();
    const [id] = await tick(setup, "2026-01-01T00:00:00Z");
    const wrong = new RepositoryVaultCopier(setup.vaultStore, { keyProvider: new PassphraseKeyProvider("not the passphrase", { scrypt: { N: 1024, r: 8, p: 1 } }), workers: 0 });
    await expect(wrong.read("data", id!)).rejects.toMatchObject({ code: "PermissionDenied" });
    const reopened = await BackupVault.open(setup.store, { name: "vault", clock: setup.clock, vaultStore: setup.vaultStore, vaultCopier: wrong, operationalStores: { default: setup.operational } });
    await expect(reopened.getInstance("data")!.verifyRecoveryPoint(id!, { dataStore: "VaultStore" })).rejects.toMatchObject({ code: "PermissionDenied" });
    const right = new RepositoryVaultCopier(setup.vaultStore, { keyProvider: vaultKey, workers: 0 });
    expect((await right.read("data", id!))?.info.recoveryPointId).toBe(id);
    await right.close();
  });

  it("is kept in a repository under vaults/<name>/vault-repository/ when the vault is given a vaultKeyProvider", async () => {
    const setup = await vaultTierSetup();
    const store = new MemoryObjectStore({ clock: setup.clock });
    const vaultStore = new MemoryObjectStore({ clock: setup.clock });
    const vault = await BackupVault.create(store, { name: "keyed", clock: setup.clock, vaultStore, vaultKeyProvider: vaultKey });
    await vault.createPolicy("daily", dailyToVaultPolicy());
    const instance = await vault.protect({ name: "data", cluster: setup.cluster, snapshotProvider: setup.provider, operationalStore: setup.operational, datasourceParameters: { includedNamespaces: ["data"] }, policyName: "daily" });
    const [id] = await tick({ clock: setup.clock, vault }, "2026-01-01T00:00:00Z");
    expect(await vaultPoints(instance)).toEqual([id]);
    expect((await keysOf(vaultStore, "vaults/keyed/vault-repository/snapshots/")).map((key) => key.split("/").at(-1))).toEqual([`data.${id}`]);
    expect(await keysOf(vaultStore, "vaults/keyed/vault-store/")).toEqual([]);
    expect(await instance.verifyRecoveryPoint(id!, { dataStore: "VaultStore", level: "full" })).toMatchObject({ dataStore: "VaultStore", level: "full" });
    await vault.close();
  });
});
