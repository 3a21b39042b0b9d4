import { describe, expect, it } from "vitest";
import { collect, type ObjectStore } from "@kbackup/core";
import { MemoryObjectStore, MemorySnapshotProvider } from "@kbackup/adapter-memory";
import { emptyCluster, keysOf, SOURCE, STAGING_CRITERIA, tick, vaultTierSetup, type VaultTierSetup } from "./vault-tier-fixtures.js";

/** The pack written last: it holds chunks of the last volume copied, not the manifest or the archive. */
async function lastPack(store: MemoryObjectStore): Promise<string> {
  const packs = await collect(store.list("vault-repository/packs/"));
  expect(packs.length).toBeGreaterThan(2);
  return packs.sort((a, b) => Number(a.etag.replaceAll('"', "")) - Number(b.etag.replaceAll('"', ""))).at(-1)!.key;
}

async function flipByte(store: ObjectStore, key: string, offset: number): Promise<void> {
  const bytes = (await store.get(key))!.body.slice();
  bytes[offset] = bytes[offset]! ^ 0x40;
  await store.put(key, bytes);
}

async function truncate(store: ObjectStore, key: string, by: number): Promise<void> {
  const bytes = (await store.get(key))!.body;
  await store.put(key, bytes.slice(0, bytes.length - by));
}

async function copied(): Promise<{ setup: VaultTierSetup; id: string }> {
  const setup = await vaultTierSetup();
  const [id] = await tick(setup, "2026-01-01T00:00:00Z");
  return { setup, id: id! };
}

function restoreFromVault(setup: VaultTierSetup, id: string, staging = new MemoryObjectStore()) {
  const target = emptyCluster(setup.clock, { ...SOURCE, name: "restored", id: "/clusters/restored" });
  const provider = new MemorySnapshotProvider(target);
  return { staging, provider, job: setup.instance.restore(id, STAGING_CRITERIA, { targetCluster: target, targetSnapshotProvider: provider, stagingStore: staging, dataStore: "VaultStore" }) };
}

function restoreFromOperational(setup: VaultTierSetup, id: string) {
  const target = emptyCluster(setup.clock, { ...SOURCE, name: "restored", id: "/clusters/restored" });
  return setup.instance.restore(id, { includedNamespaces: ["data"] }, { targetCluster: target, targetSnapshotProvider: setup.provider.forCluster(target), dataStore: "OperationalStore" });
}

const restoreJobs = (setup: VaultTierSetup) => setup.vault.listJobs().filter((job) => job.operationCategory === "Restore");

describe("verifying a vault-store copy", () => {
  it("passes at both levels for a sound copy", async () => {
    const { setup, id } = await copied();
    const index = await setup.instance.verifyRecoveryPoint(id, { dataStore: "VaultStore" });
    expect(index).toMatchObject({ recoveryPointId: id, dataStore: "VaultStore", level: "index", bytesChecked: 0 });
    expect(index.objectsChecked).toBeGreaterThan(2);
    const full = await setup.instance.verifyRecoveryPoint(id, { dataStore: "VaultStore", level: "full" });
    // Every distinct chunk: the zero chunk is stored once.
    expect(full.bytesChecked).toBeGreaterThan(2_000_000);
    await expect(setup.instance.verifyRecoveryPoint(id, { level: "deep" as never })).rejects.toMatchObject({ code: "InvalidArgument", field: "options.level" });
  });

  it("finds a flipped byte in a pack at the full level, and the restore fails with Integrity naming the pack, its staging removed", async () => {
    const { setup, id } = await copied();
    const pack = await lastPack(setup.vaultStore);
    await flipByte(setup.vaultStore, pack, 8 + 20);
    await setup.instance.verifyRecoveryPoint(id, { dataStore: "VaultStore", level: "index" });
    await expect(setup.instance.verifyRecoveryPoint(id, { dataStore: "VaultStore", level: "full" })).rejects.toMatchObject({ code: "Integrity", details: { key: pack } });
    const { staging, provider, job } = restoreFromVault(setup, id);
    const done = await job;
    expect(done.status).toBe("Failed");
    expect(done.errorDetails?.[0]?.code).toBe("Integrity");
    expect(done.errorDetails?.[0]?.message).toContain(pack);
    expect(await keysOf(staging, "")).toEqual([]);
    expect(provider.listSnapshots()).toEqual([]);
  });

  it("finds a truncated pack at the index level, and the restore is refused before any work", async () => {
    const { setup, id } = await copied();
    const pack = await lastPack(setup.vaultStore);
    await truncate(setup.vaultStore, pack, 100);
    await expect(setup.instance.verifyRecoveryPoint(id, { dataStore: "VaultStore" })).rejects.toMatchObject({ code: "Integrity", details: { key: pack } });
    const { staging, job } = restoreFromVault(setup, id);
    await expect(job).rejects.toMatchObject({ code: "Integrity", details: { key: pack } });
    expect(restoreJobs(setup)).toEqual([]);
    expect(await keysOf(staging, "")).toEqual([]);
  });

  it("finds a missing pack, and a chunk whose index is gone, naming each", async () => {
    const { setup, id } = await copied();
    const pack = await lastPack(setup.vaultStore);
    const bytes = (await setup.vaultStore.get(pack))!.body;
    await setup.vaultStore.delete(pack);
    await expect(setup.instance.verifyRecoveryPoint(id, { dataStore: "VaultStore" })).rejects.toMatchObject({ code: "Integrity", details: { key: pack } });
    await expect(restoreFromVault(setup, id).job).rejects.toMatchObject({ code: "Integrity", message: expect.stringContaining(`${pack} is missing`) });

    await setup.vaultStore.put(pack, bytes);
    await setup.instance.verifyRecoveryPoint(id, { dataStore: "VaultStore", level: "full" });
    const packId = pack.split("/").at(-1)!;
    expect(await setup.vaultStore.delete(`vault-repository/index/${packId}`)).toBe(true);
    const error = await setup.instance.verifyRecoveryPoint(id, { dataStore: "VaultStore" }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "Integrity", message: expect.stringContaining("is in no index") });
    expect((error as { details: { chunkId?: string } }).details.chunkId).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe("verifying an operational copy", () => {
  const archiveOf = (id: string) => `vaults/vault/backup-instances/data/recovery-points/${id}/resources.tar.gz`;

  it("passes for a sound copy, and finds a flipped archive byte at the full level; the restore fails with Integrity", async () => {
    const { setup, id } = await copied();
    const sound = await setup.instance.verifyRecoveryPoint(id, { level: "full" });
    expect(sound).toMatchObject({ dataStore: "OperationalStore", level: "full", objectsChecked: 2 });
    expect(sound.bytesChecked).toBeGreaterThan(0);
    const archive = archiveOf(id);
    const size = (await setup.operational.head(archive))!.size;
    await flipByte(setup.operational, archive, Math.floor(size / 2));
    await setup.instance.verifyRecoveryPoint(id, { dataStore: "OperationalStore" });
    await expect(setup.instance.verifyRecoveryPoint(id, { dataStore: "OperationalStore", level: "full" })).rejects.toMatchObject({ code: "Integrity", details: { key: archive } });
    const job = await restoreFromOperational(setup, id);
    expect(job.status).toBe("Failed");
    expect(job.errorDetails?.[0]).toMatchObject({ code: "Integrity", message: expect.stringContaining(archive) });
  });

  it("finds a truncated or missing archive at the index level, and the restore is refused before any work", async () => {
    const { setup, id } = await copied();
    const archive = archiveOf(id);
    await truncate(setup.operational, archive, 1);
    await expect(setup.instance.verifyRecoveryPoint(id)).rejects.toMatchObject({ code: "Integrity", details: { key: archive } });
    await expect(restoreFromOperational(setup, id)).rejects.toMatchObject({ code: "Integrity", details: { key: archive } });
    await setup.operational.delete(archive);
    await expect(setup.instance.verifyRecoveryPoint(id)).rejects.toMatchObject({ code: "Integrity", message: expect.stringContaining(`${archive} of recovery point ${id} is missing`) });
    await expect(restoreFromOperational(setup, id)).rejects.toMatchObject({ code: "Integrity" });
    expect(restoreJobs(setup)).toEqual([]);
    // The vault-store copy is sound and still restores.
    const { job } = restoreFromVault(setup, id);
    expect((await job).status).toBe("Completed");
  });
});
