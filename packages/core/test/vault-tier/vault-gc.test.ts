import { describe, expect, it } from "vitest";
import { BackupVault, type ObjectStore, type VaultCopySource } from "@kbackup/core";
import { MemoryObjectStore } from "@kbackup/adapter-memory";
import { randomBytesOf } from "../repository/repository-fixtures.js";
import { keysOf, vaultTierSetup } from "./vault-tier-fixtures.js";

const DAY = 24 * 60 * 60 * 1000;

/** The vault store as the copier sees it, holding back pack uploads from `arm()` to `release()`. */
function gated(store: ObjectStore) {
  let opened: Promise<void> | undefined;
  let open: () => void = () => undefined;
  let reach: () => void = () => undefined;
  const gate = {
    /** Resolves when a pack upload waits at the gate. */
    reached: undefined as Promise<void> | undefined,
    release: () => {
      opened = undefined;
      open();
    },
  };
  const arm = () => {
    opened = new Promise((resolve) => (open = resolve));
    gate.reached = new Promise((resolve) => (reach = resolve));
  };
  const wrapper: ObjectStore = {
    capabilities: store.capabilities,
    async put(key, body, options) {
      if (opened && key.includes("/packs/")) {
        reach();
        await opened;
      }
      return store.put(key, body, options);
    },
    get: (...args) => store.get(...args),
    getStream: (...args) => store.getStream(...args),
    head: (...args) => store.head(...args),
    list: (...args) => store.list(...args),
    delete: (...args) => store.delete(...args),
  };
  return { wrapper, gate, arm };
}

describe("garbage collection of the vault store", () => {
  it("takes nothing while a copy is in flight, then reclaims what only deleted copies used; later copies stay whole", async () => {
    let control: ReturnType<typeof gated> | undefined;
    const setup = await vaultTierSetup({
      copierStore: (store) => {
        control = gated(store);
        return control.wrapper;
      },
    });
    const source = (id: string): VaultCopySource => ({ instanceName: "data", recoveryPointId: id, store: setup.operational, instancePrefix: "vaults/vault/backup-instances/data/", snapshotProvider: setup.provider });
    const first = (await setup.instance.backupNow()).extendedInfo.recoveryPointId!;
    await setup.copier.copy(source(first));

    // The random volume is rewritten whole: the first copy's chunks of it become garbage once it is deleted.
    setup.cluster.writeVolume(setup.volumeHandles.random!, randomBytesOf(1_000_001, 1234));
    await setup.clock.advance(DAY);
    const second = (await setup.instance.backupNow()).extendedInfo.recoveryPointId!;
    expect(await setup.copier.delete("data", first)).toBe(true);
    await setup.clock.advance(2 * DAY);

    // The second copy reuses the first one's text and zero chunks; it is held at its first pack upload.
    control!.arm();
    const copying = setup.copier.copy(source(second));
    await control!.gate.reached;
    const packsBefore = await keysOf(setup.vaultStore, "vault-repository/packs/");
    const deferred = await setup.vault.collectGarbage({ safetyWindowInMs: DAY });
    expect(deferred).toMatchObject({ deferred: true, packsDeleted: 0 });
    expect(await keysOf(setup.vaultStore, "vault-repository/packs/")).toEqual(packsBefore);
    control!.gate.release();
    const copied = await copying;
    expect(copied.transfer!.chunksReused).toBeGreaterThan(0);
    await (await setup.copier.read("data", second))!.verify({ level: "full" });

    // With no copy in flight, the first copy's own chunks go; the second copy's stay.
    await setup.clock.advance(2 * DAY);
    const collected = await setup.vault.collectGarbage({ safetyWindowInMs: DAY });
    expect(collected?.deferred).toBe(false);
    expect(collected!.packsDeleted + collected!.packsRepacked).toBeGreaterThan(0);
    expect(collected!.bytesReclaimed).toBeGreaterThan(500_000);
    await (await setup.copier.read("data", second))!.verify({ level: "full" });
    await setup.copier.close();
  });

  it("refuses a bad safety window, and has nothing to collect with plain-object copies", async () => {
    const setup = await vaultTierSetup({ shrink: 8 });
    await expect(setup.vault.collectGarbage({ safetyWindowInMs: -1 })).rejects.toMatchObject({ code: "InvalidArgument", field: "safetyWindowInMs" });
    const plain = await BackupVault.create(new MemoryObjectStore(), { name: "plain" });
    expect(await plain.collectGarbage({ safetyWindowInMs: DAY })).toBeUndefined();
  });
});
