import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { newRecoveryPointId, parseBackupDatasourceParameters, recoveryPointKeys, runBackup } from "@kbackup/core";
import { MemoryObjectStore, MemorySnapshotProvider } from "@kbackup/adapter-memory";
import { sampleCluster } from "@kbackup/testing";

const scratch = mkdtempSync(join(tmpdir(), "kbackup-archive-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("the recovery point archive", () => {
  it("is a .tar.gz in Velero's layout that GNU tar lists and extracts, each file the backed-up object", async () => {
    const cluster = await sampleCluster();
    const store = new MemoryObjectStore();
    const id = newRecoveryPointId(new Date());
    const { manifest } = await runBackup({
      backupInstanceName: "sample",
      recoveryPointId: id,
      cluster,
      snapshotProvider: new MemorySnapshotProvider(cluster),
      store,
      instancePrefix: "",
      parameters: parseBackupDatasourceParameters({ includedNamespaces: ["shop", "analytics"] }),
    });
    const archive = await store.get(recoveryPointKeys("", id).archive);
    const file = join(scratch, "resources.tar.gz");
    writeFileSync(file, archive!.body);
    const listed = execFileSync("tar", ["-tzf", file]).toString().trim().split("\n");
    expect(listed[0]).toBe("metadata/version");
    expect(listed.slice(1).sort()).toEqual(manifest.items.map((item) => item.path).sort());
    expect(listed).toContain("resources/persistentvolumeclaims/namespaces/shop/data-postgres-0.json");
    expect(listed.some((path) => /^resources\/deployments\.apps\/namespaces\/shop\/[^/]+\.json$/.test(path))).toBe(true);
    expect(listed.some((path) => /^resources\/persistentvolumes\/cluster\/[^/]+\.json$/.test(path))).toBe(true);
    execFileSync("tar", ["-xzf", file, "-C", scratch]);
    const item = manifest.items.find((entry) => entry.kind === "PersistentVolumeClaim")!;
    const extracted = JSON.parse(execFileSync("cat", [join(scratch, item.path)]).toString());
    expect(extracted.metadata.name).toBe(item.name);
    expect(manifest.archive.members.reduce((sum, member) => sum + member.length, 0)).toBe(manifest.archive.sizeInBytes);
  });
});
