import { describe, expect, it } from "vitest";
import { collect, listRecoveryPointSummaries, newRecoveryPointId, parseBackupDatasourceParameters, recoveryPointKeys, runBackup } from "@kbackup/core";
import { MemoryObjectStore } from "@kbackup/adapter-memory";
import { sampleCluster } from "@kbackup/testing";

async function committed(store: MemoryObjectStore, at: Date): Promise<string> {
  const cluster = await sampleCluster();
  const id = newRecoveryPointId(at);
  await runBackup({ backupInstanceName: "sample", recoveryPointId: id, cluster, store, instancePrefix: "i/", parameters: parseBackupDatasourceParameters({ includedNamespaces: ["blog"], snapshotVolumes: false }) });
  return id;
}

describe("listRecoveryPointSummaries", () => {
  it("lists committed recovery points oldest first and leaves out folders without a manifest", async () => {
    const store = new MemoryObjectStore();
    const first = await committed(store, new Date("2026-01-01T00:00:00Z"));
    const second = await committed(store, new Date("2026-01-02T00:00:00Z"));
    const abandoned = recoveryPointKeys("i/", newRecoveryPointId(new Date("2026-01-03T00:00:00Z")));
    await store.put(abandoned.inProgress, new TextEncoder().encode("{}"));
    await store.put(abandoned.archive, new Uint8Array(4));
    const listed = await collect(listRecoveryPointSummaries(store, "i/"));
    expect(listed.map((summary) => summary.recoveryPointId)).toEqual([first, second]);
    expect(listed[0]!.itemCount).toBeGreaterThan(3);
  });

  it.each([
    ["missing", undefined],
    ["damaged", new TextEncoder().encode('{"recoveryPointId":')],
  ])("rebuilds a %s summary from the manifest, and stores it", async (_, summary) => {
    const store = new MemoryObjectStore();
    const id = await committed(store, new Date("2026-01-01T00:00:00Z"));
    const keys = recoveryPointKeys("i/", id);
    const original = JSON.parse(new TextDecoder().decode((await store.get(keys.summary))!.body));
    if (summary) await store.put(keys.summary, summary);
    else await store.delete(keys.summary);
    expect(await collect(listRecoveryPointSummaries(store, "i/"))).toEqual([original]);
    expect(JSON.parse(new TextDecoder().decode((await store.get(keys.summary))!.body))).toEqual(original);
  });
});
