import { describe, expect, it } from "vitest";
import { BackupVault, RepositoryVaultCopier, collect, type VaultCopySource } from "@kbackup/core";
import { MemoryObjectStore } from "@kbackup/adapter-memory";
import { faultyObjectStore, type FaultPlan } from "@kbackup/testing";
import { keysOf, smallRepository, tick, vaultKey, vaultPoints, vaultTierSetup, VOLUMES } from "./vault-tier-fixtures.js";

/** A process that dies at its `crashAt`-th call to the store: that call and every later one fail. */
function crashAt(crashAt: number): FaultPlan {
  let seen = 0;
  return [{ operation: "*", when: () => ++seen >= crashAt, times: Number.POSITIVE_INFINITY, action: { fail: "Adapter", message: "the process died" } }];
}

describe("a vault copy cut short", () => {
  it("publishes nothing at a crash on any call, and the copy run again completes, reusing what was uploaded", async () => {
    const setup = await vaultTierSetup({ shrink: 8 });
    const id = (await setup.instance.backupNow()).extendedInfo.recoveryPointId!;
    const source: VaultCopySource = { instanceName: "data", recoveryPointId: id, store: setup.operational, instancePrefix: "vaults/vault/backup-instances/data/", snapshotProvider: setup.provider };
    const copierOver = (store: ConstructorParameters<typeof RepositoryVaultCopier>[0]) => new RepositoryVaultCopier(store, { keyProvider: vaultKey, clock: setup.clock, ...smallRepository });

    const counted = faultyObjectStore(new MemoryObjectStore(), []);
    const reference = await copierOver(counted).copy(source);
    const totalCalls = counted.calls.length;
    expect(totalCalls).toBeGreaterThan(10);
    const randomBytes = VOLUMES[2].bytes(Math.ceil(VOLUMES[2].sizeInBytes / 8));
    const randomName = (await setup.instance.getRecoveryPoint(id)).volumeSnapshots.find((record) => record.claim?.name === "random")!.persistentVolumeName;

    let reusedSomewhere = false;
    for (let call = 1; call <= totalCalls; call++) {
      const vaultStore = new MemoryObjectStore();
      const outcome = await copierOver(faultyObjectStore(vaultStore, crashAt(call))).copy(source).then(
        () => "committed",
        (error: unknown) => error,
      );
      const restarted = copierOver(vaultStore);
      if (outcome !== "committed") {
        expect(outcome, `crash at call ${call}`).toMatchObject({ code: "Adapter" });
        // Nothing is visible before the snapshot's manifest, written last.
        expect(await keysOf(vaultStore, "vault-repository/snapshots/"), `crash at call ${call}`).toEqual([]);
      }
      const resumed = await restarted.copy(source);
      if (outcome !== "committed") {
        expect(resumed.transfer!.chunksStored, `crash at call ${call}`).toBeLessThanOrEqual(reference.transfer!.chunksStored);
        if (resumed.transfer!.chunksStored < reference.transfer!.chunksStored) reusedSomewhere = true;
      }
      const copy = (await restarted.read("data", id))!;
      await copy.verify({ level: "full" });
      const reader = copy.openVolume(randomName)!;
      expect(Buffer.from(await reader.read(0, reader.sizeInBytes)).equals(Buffer.from(randomBytes)), `crash at call ${call}`).toBe(true);
      // A copy cut short after its commit leaves its marker, which garbage collection removes once stale.
      if (outcome !== "committed") expect(await keysOf(vaultStore, "vault-repository/copies/"), `crash at call ${call}`).toEqual([]);
    }
    expect(reusedSomewhere).toBe(true);
  });

  it("leaves the catalogue without the copy when the scheduler's copy fails, and the next tick makes it", async () => {
    let broken = true;
    const setup = await vaultTierSetup({
      shrink: 8,
      copierStore: (store) => faultyObjectStore(store, [{ operation: "put", when: (call) => broken && String(call.args[0]).includes("/packs/"), nth: 2, times: Number.POSITIVE_INFINITY, action: { fail: "Adapter" } }]),
    });
    await setup.clock.set("2026-01-01T00:00:00Z");
    const result = await setup.vault.runDue();
    expect(result.backups).toHaveLength(1);
    expect(result.errors).toMatchObject([{ instanceName: "data", code: "Adapter" }]);
    expect(await vaultPoints(setup.instance)).toEqual([]);
    expect(await keysOf(setup.vaultStore, "vault-repository/snapshots/")).toEqual([]);

    broken = false;
    // Another process, with its own copier, takes over: the copy resumes from what is stored.
    const vault = await BackupVault.open(setup.store, {
      name: "vault",
      clock: setup.clock,
      vaultStore: setup.vaultStore,
      vaultCopier: new RepositoryVaultCopier(setup.vaultStore, { keyProvider: vaultKey, clock: setup.clock, ...smallRepository }),
      clusters: [setup.cluster],
      snapshotProviders: () => setup.provider,
      operationalStores: { default: setup.operational },
    });
    const copied = await tick({ clock: setup.clock, vault }, "2026-01-01T01:00:00Z");
    expect(copied).toHaveLength(1);
    expect(await vaultPoints(vault.getInstance("data")!)).toEqual(copied);
    expect(await collect(setup.vault.getInstance("data")!.listRecoveryPoints())).toHaveLength(1);
    await vault.getInstance("data")!.verifyRecoveryPoint(copied[0]!, { dataStore: "VaultStore", level: "full" });
  });
});
