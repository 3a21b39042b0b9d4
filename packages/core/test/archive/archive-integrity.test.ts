import { gunzipSync, gzipSync } from "node:zlib";
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  TarWriter,
  newRecoveryPointId,
  parseBackupDatasourceParameters,
  parseRestoreCriteria,
  readTar,
  recoveryPointKeys,
  runBackup,
  runRestore,
  type RecoveryPointManifest,
} from "@kbackup/core";
import { MemoryCluster, MemoryObjectStore } from "@kbackup/adapter-memory";
import { sampleCluster } from "@kbackup/testing";

async function backedUp() {
  const source = await sampleCluster();
  const store = new MemoryObjectStore();
  const id = newRecoveryPointId(new Date());
  const { manifest } = await runBackup({ backupInstanceName: "sample", recoveryPointId: id, cluster: source, store, instancePrefix: "", parameters: parseBackupDatasourceParameters({ includedNamespaces: ["shop"], snapshotVolumes: false }) });
  const archiveKey = recoveryPointKeys("", id).archive;
  const archive = Buffer.from((await store.get(archiveKey))!.body);
  return { store, manifest, archiveKey, archive };
}

function restoreInto(target: MemoryCluster, from: { store: MemoryObjectStore; manifest: RecoveryPointManifest; archiveKey: string }, mode: "restore" | "plan" = "restore") {
  return runRestore({ manifest: from.manifest, store: from.store, archiveKey: from.archiveKey, criteria: parseRestoreCriteria({ persistentVolumeRestoreMode: "RestoreWithoutVolumeData" }), targetCluster: target, mode });
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

describe("a recovery point altered in the store", () => {
  it.each(["restore", "plan"] as const)("fails the %s with Integrity naming the member whose byte was flipped", async (mode) => {
    const from = await backedUp();
    const member = from.manifest.archive.members.find((candidate) => candidate.group === "configmaps")!;
    const damaged = Buffer.from(from.archive);
    damaged[member.offset + Math.floor(member.length / 2)]! ^= 0x01;
    await from.store.put(from.archiveKey, damaged);
    const failure = restoreInto(new MemoryCluster({ identity: { name: "target" } }), from, mode);
    await expect(failure).rejects.toMatchObject({ name: "KBackupError", code: "Integrity", details: { key: from.archiveKey, offset: member.offset } });
    await expect(failure).rejects.toThrow(/configmaps.*fails its checksum/);
  });

  it("fails with Integrity naming the item whose bytes differ from the manifest's checksum, though its member is consistent", async () => {
    const from = await backedUp();
    const index = from.manifest.archive.members.findIndex((candidate) => candidate.group === "configmaps");
    const member = from.manifest.archive.members[index]!;
    // Rewrite one object inside the member and give the member its new checksum: only the item check can tell.
    const entries = [];
    for await (const entry of readTar((async function* () { yield gunzipSync(from.archive.subarray(member.offset, member.offset + member.length)); })())) entries.push(entry);
    const altered = entries[0]!;
    const text = Buffer.from(altered.data).toString("utf8").replace('"kube-root-ca.crt"', '"kube-root-ca.crx"');
    const writer = new TarWriter(0);
    const tar = Buffer.concat(entries.flatMap((entry) => writer.entry(entry.path, entry === altered ? Buffer.from(text) : entry.data)));
    const rebuilt = gzipSync(tar);
    const archive = Buffer.concat([from.archive.subarray(0, member.offset), rebuilt, from.archive.subarray(member.offset + member.length)]);
    const delta = rebuilt.length - member.length;
    const members = from.manifest.archive.members.map((candidate, i) =>
      i === index ? { ...candidate, length: rebuilt.length, sha256: sha256(rebuilt) } : i > index ? { ...candidate, offset: candidate.offset + delta } : candidate,
    );
    await from.store.put(from.archiveKey, archive);
    const manifest = { ...from.manifest, archive: { ...from.manifest.archive, members } };
    const failure = restoreInto(new MemoryCluster({ identity: { name: "target" } }), { ...from, manifest });
    await expect(failure).rejects.toMatchObject({ code: "Integrity", details: { path: altered.path } });
  });

  it("fails with Integrity when the archive was cut short or is gone", async () => {
    const from = await backedUp();
    await from.store.put(from.archiveKey, from.archive.subarray(0, Math.floor(from.archive.length / 2)));
    await expect(restoreInto(new MemoryCluster({ identity: { name: "target" } }), from)).rejects.toMatchObject({ code: "Integrity", message: expect.stringMatching(/truncated/) });
    await from.store.delete(from.archiveKey);
    await expect(restoreInto(new MemoryCluster({ identity: { name: "target" } }), from)).rejects.toMatchObject({ code: "Integrity", message: expect.stringMatching(/missing/) });
  });

  it("restores whole when nothing was altered", async () => {
    const from = await backedUp();
    const outcome = await restoreInto(new MemoryCluster({ identity: { name: "target" } }), from);
    expect(outcome.items.filter((item) => item.outcome !== "Created")).toEqual([]);
    // The claim's volume stays behind: it is restored with its claim only with its data.
    expect(outcome.items.length).toBe(from.manifest.items.filter((item) => item.kind !== "PersistentVolume").length);
  });
});
