import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EXIT_CODES } from "@kbackup/cli";
import { collect, PREFLIGHT_FINDING_CODES, type KubeObject } from "@kbackup/core";
import { MemoryCluster } from "@kbackup/adapter-memory";
import { sampleCluster, startLocalApiServer, type LocalApiServer } from "@kbackup/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kbackup } from "./run-cli.js";

// The sample cluster served with two tokens: an admin one, and a read-only one that may get, list
// and watch but not create, so that restores with it lack permissions.
let server: LocalApiServer;
let cluster: MemoryCluster;
let directory: string;
let readOnlyConfig: string;
let store: string;

const NAMESPACES = { group: "", version: "v1", resource: "namespaces" };

interface Report {
  operation: string;
  check: string;
  instance: string;
  cluster: string;
  recoveryPointId?: string;
  errors: number;
  warnings: number;
  findings: Array<{ severity: string; code: string; target: string; message: string; remedy: string }>;
}

beforeAll(async () => {
  cluster = await sampleCluster();
  server = await startLocalApiServer({ cluster, tokens: { "admin-token": "admin", "reader-token": "read-only" } });
  directory = await mkdtemp(join(tmpdir(), "kbackup-cli-validate-"));
  readOnlyConfig = join(directory, "read-only-kubeconfig");
  await writeFile(readOnlyConfig, server.kubeConfigYamlFor("reader-token"));
  store = `file://${join(directory, "store")}`;
});

afterAll(async () => {
  await server?.stop();
  if (directory) await rm(directory, { recursive: true, force: true });
});

/** `kbackup --store STORE --vault VAULT --kubeconfig CONFIG ...args`. */
function run(vault: string, kubeconfig: string, args: readonly string[], options: { columns?: number } = {}) {
  return kbackup(["--store", store, "--vault", vault, "--kubeconfig", kubeconfig, ...args], options);
}

/** The rows of a findings table: each line that starts with a severity, split on runs of spaces. */
function tableRows(text: string): string[][] {
  return text
    .split("\n")
    .filter((line) => /^(Error|Warning)\s/.test(line))
    .map((line) => line.split(/\s{2,}/));
}

describe("kbackup validate backup", () => {
  it("passes with Warnings only before the first backup, making nothing in the store", async () => {
    const result = await run("fresh", server.kubeconfigPath, ["validate", "backup", "--instance", "everything"]);
    expect(result.code).toBe(EXIT_CODES.ok);
    expect(result.stderr).toBe("The store holds no vault named fresh yet: checking as `kbackup backup` would make it.\n");
    expect(result.stdout.split("\n")[0]).toBe("Preflight checks of protecting cluster aks-sample as backup instance everything in vault fresh:");
    expect(result.stdout).toMatch(/^severity\s+code\s+target\s+message\s+remedy$/m);
    const rows = tableRows(result.stdout);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every(([severity]) => severity === "Warning")).toBe(true);
    // Azure Files has no VolumeSnapshotClass in the sample cluster: its volume is backed up without data.
    expect(rows.some(([, code]) => code === "VolumeNotSnapshottable")).toBe(true);
    expect(result.stdout).toMatch(/^No errors, \d+ warnings?: ready to back up\.$/m);
    // The store's own folder aside, nothing: no vault, no leftover probe.
    expect((await readdir(join(directory, "store")).catch(() => [])).filter((name) => name !== ".kbackup")).toEqual([]);
  });

  it("fails with the Error findings when an included namespace does not exist, and as JSON", async () => {
    const args = ["validate", "backup", "--instance", "shop", "--include-namespaces", "shop,nowhere"];
    const result = await run("fresh", server.kubeconfigPath, args);
    expect(result.code).toBe(EXIT_CODES.failure);
    const errors = tableRows(result.stdout).filter(([severity]) => severity === "Error");
    expect(errors.map(([, code, target]) => [code, target])).toEqual([["NamespaceMissing", "namespaces/nowhere"]]);
    expect(result.stdout).toMatch(/^1 error, no warnings: the backup would be refused or fail\.$/m);

    const json = await run("fresh", server.kubeconfigPath, ["--json", ...args]);
    expect(json.code).toBe(EXIT_CODES.failure);
    const report = JSON.parse(json.stdout) as Report;
    expect(Object.keys(report).sort()).toEqual(["check", "cluster", "errors", "findings", "instance", "operation", "warnings"]);
    expect(report).toMatchObject({ operation: "backup", check: "validateForProtection", instance: "shop", cluster: "aks-sample", errors: 1, warnings: 0 });
    const [finding] = report.findings;
    expect(Object.keys(finding!).sort()).toEqual(["code", "message", "remedy", "severity", "target"]);
    expect(finding).toMatchObject({ severity: "Error", code: "NamespaceMissing", target: "namespaces/nowhere" });
    expect(finding!.message).toContain("nowhere");
    expect(finding!.remedy.length).toBeGreaterThan(10);
  });

  it("checks a protected instance with validateForBackup", async () => {
    const backup = await run("checked", server.kubeconfigPath, ["backup", "--instance", "shop", "--include-namespaces", "shop"]);
    expect(backup.code).toBe(EXIT_CODES.ok);
    const result = await run("checked", server.kubeconfigPath, ["--json", "validate", "backup", "--instance", "shop"]);
    expect(result.code).toBe(EXIT_CODES.ok);
    expect(result.stderr).toBe("");
    const report = JSON.parse(result.stdout) as Report;
    expect(report).toMatchObject({ operation: "backup", check: "validateForBackup", instance: "shop", errors: 0 });
    for (const finding of report.findings) expect(PREFLIGHT_FINDING_CODES).toContain(finding.code);
  });

  it("checks a first backup under `--policy default` in a vault that lacks it, making no policy", async () => {
    const result = await run("checked", server.kubeconfigPath, ["--json", "validate", "backup", "--instance", "blog", "--include-namespaces", "blog", "--policy", "default"]);
    expect(result.code).toBe(EXIT_CODES.ok);
    expect(JSON.parse(result.stdout) as Report).toMatchObject({ operation: "backup", check: "validateForProtection", instance: "blog", errors: 0 });
    expect(await readdir(join(directory, "store/vaults/checked/policies")).catch(() => [])).toEqual([]);
  });

  it("refuses a first backup the checks fail, printing the findings; --skip-validation goes ahead", async () => {
    const args = ["backup", "--instance", "lost", "--include-namespaces", "nowhere", "--no-snapshot-volumes"];
    const refused = await run("refusals", server.kubeconfigPath, args);
    expect(refused.code).toBe(EXIT_CODES.failure);
    expect(refused.stdout).toBe("");
    const lines = refused.stderr.split("\n");
    expect(lines[0]).toBe("kbackup: Protecting cluster aks-sample as backup instance lost refused: the preflight checks found 1 error, no warnings.");
    expect(lines[1]).toMatch(/^severity\s+code\s+target\s+message\s+remedy$/);
    expect(tableRows(refused.stderr).map(([severity, code, target]) => [severity, code, target])).toEqual([["Error", "NamespaceMissing", "namespaces/nowhere"]]);
    expect(lines.at(-2)).toBe("hint: Fix what the findings say and check again with `kbackup validate backup` (with the same options), or pass --skip-validation to go ahead anyway.");
    expect((await run("refusals", server.kubeconfigPath, ["--json", "list"])).stdout).toBe("[]\n");

    const skipped = await run("refusals", server.kubeconfigPath, [...args, "--skip-validation"]);
    expect(skipped.stderr).toBe("Protecting cluster aks-sample as backup instance lost in vault refusals.\n");
    expect(skipped.stdout).toMatch(/^operation\s+Backup$/m);
  });
});

describe("kbackup validate restore", () => {
  const vault = "restores";
  const mapped = ["--include-namespaces", "blog", "--namespace-mapping", "blog=blog-copy"];
  let recoveryPointId: string;

  beforeAll(async () => {
    const backup = await run(vault, server.kubeconfigPath, ["backup", "--instance", "blog", "--include-namespaces", "blog"]);
    expect(backup.code).toBe(EXIT_CODES.ok);
    recoveryPointId = /^recovery point\s+(\S+)$/m.exec(backup.stdout)?.[1] ?? "";
  });

  it("passes for a restore the identity may make", async () => {
    const result = await run(vault, server.kubeconfigPath, ["validate", "restore", recoveryPointId, ...mapped]);
    expect(result.code).toBe(EXIT_CODES.ok);
    expect(result.stdout.split("\n")[0]).toBe(`Preflight checks of restoring recovery point ${recoveryPointId} of blog into aks-sample:`);
    expect(tableRows(result.stdout).every(([severity]) => severity === "Warning")).toBe(true);
    expect(result.stdout).toMatch(/^No errors, (no|\d+) warnings?: ready to restore\.$/m);
  });

  it("fails naming the missing permissions of a read-only identity, as a table and as JSON", async () => {
    const result = await run(vault, readOnlyConfig, ["validate", "restore", "latest", ...mapped]);
    expect(result.code).toBe(EXIT_CODES.failure);
    const errors = tableRows(result.stdout).filter(([severity]) => severity === "Error");
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every(([, code]) => code === "PermissionMissing")).toBe(true);
    expect(result.stdout).toMatch(/^\d+ errors?, .*: the restore would be refused or fail\.$/m);

    const json = await run(vault, readOnlyConfig, ["--json", "validate", "restore", recoveryPointId, ...mapped]);
    expect(json.code).toBe(EXIT_CODES.failure);
    const report = JSON.parse(json.stdout) as Report;
    expect(report).toMatchObject({ operation: "restore", check: "validateRestore", instance: "blog", cluster: "aks-sample", recoveryPointId });
    expect(report.errors).toBe(report.findings.filter((finding) => finding.severity === "Error").length);
    expect(report.warnings).toBe(report.findings.length - report.errors);
    const namespaces = report.findings.find((finding) => finding.code === "PermissionMissing" && finding.target === "namespaces");
    expect(namespaces?.message).toMatch(/does not allow create on namespaces/);
    // Errors come first.
    expect(report.findings.map((finding) => finding.severity)).toEqual([...report.findings].sort((a, b) => (a.severity === b.severity ? 0 : a.severity === "Error" ? -1 : 1)).map((finding) => finding.severity));
  });

  it("reports an unknown recovery point as a finding", async () => {
    const result = await run(vault, server.kubeconfigPath, ["--json", "validate", "restore", "20200101T000000000Z-00000000"]);
    expect(result.code).toBe(EXIT_CODES.failure);
    expect((JSON.parse(result.stdout) as Report).findings.map((finding) => finding.code)).toContain("RecoveryPointUnavailable");
  });

  it("refuses the restore with the findings table, writing nothing; --skip-validation restores and fails item by item", async () => {
    const refused = await run(vault, readOnlyConfig, ["restore", ...mapped]);
    expect(refused.code).toBe(EXIT_CODES.failure);
    expect(refused.stdout).toBe("");
    const lines = refused.stderr.split("\n");
    expect(lines[0]).toMatch(new RegExp(`^kbackup: Restoring recovery point ${recoveryPointId} of blog into aks-sample refused: the preflight checks found \\d+ errors?`));
    expect(lines[1]).toMatch(/^severity\s+code\s+target\s+message\s+remedy$/);
    expect(tableRows(refused.stderr).some(([severity, code, target]) => severity === "Error" && code === "PermissionMissing" && target === "namespaces")).toBe(true);
    expect(refused.stderr).toContain(`\`kbackup validate restore ${recoveryPointId}\``);
    expect(refused.stderr).toContain("--skip-validation");
    const names = (await collect(cluster.list(NAMESPACES))).map((object: KubeObject) => object.metadata.name);
    expect(names).not.toContain("blog-copy");

    const json = await run(vault, readOnlyConfig, ["--json", "restore", ...mapped]);
    expect(json.code).toBe(EXIT_CODES.failure);
    expect(JSON.parse(json.stdout) as Report).toMatchObject({ operation: "restore", recoveryPointId });

    const skipped = await run(vault, readOnlyConfig, ["restore", ...mapped, "--skip-validation"]);
    expect(skipped.code).toBe(EXIT_CODES.failure);
    expect(skipped.stdout).toMatch(/^operation\s+Restore$/m);
    expect(skipped.stdout).toMatch(/^status\s+Failed$/m);
  });

  it("keeps the table within the terminal, wrapping long targets, messages and remedies in their cells", async () => {
    const result = await run(vault, readOnlyConfig, ["validate", "restore", recoveryPointId, ...mapped]);
    const lines = result.stdout.split("\n");
    expect(lines.slice(1).every((line) => line.length <= 120)).toBe(true);
    // The remedy of the first finding, read down its column, is the whole remedy.
    const json = JSON.parse((await run(vault, readOnlyConfig, ["--json", "validate", "restore", recoveryPointId, ...mapped])).stdout) as Report;
    const column = (lines[1] as string).indexOf("remedy");
    const first = lines.findIndex((line) => line.startsWith("Error"));
    const end = lines.indexOf("", first);
    const remedy = lines.slice(first, end).map((line) => line.slice(column).trim()).filter(Boolean).join(" ");
    expect(remedy).toBe(json.findings[0]!.remedy);
  });

  it("lists the findings one below the other on a narrow terminal", async () => {
    const result = await run(vault, readOnlyConfig, ["validate", "restore", recoveryPointId, ...mapped], { columns: 80 });
    expect(result.code).toBe(EXIT_CODES.failure);
    expect(result.stdout.split("\n").every((line) => line.length <= 80)).toBe(true);
    expect(result.stdout).not.toMatch(/^severity/m);
    expect(result.stdout).toMatch(/^Error {2}PermissionMissing {2}namespaces\n {2}Cluster aks-sample does not allow create on namespaces[^]*?\n {2}Remedy: Grant /m);
  });
});

describe("kbackup validate: bad usage exits 64", () => {
  it.each([
    [["validate"], /Usage: kbackup validate/],
    [["validate", "restore"], /missing required argument 'recoveryPointId'/],
    [["validate", "frobnicate"], /unknown command 'frobnicate'/],
    [["validate", "restore", "latest", "--conflict-policy", "Maybe"], /--conflict-policy: "Maybe" is not one of Skip, Patch/],
    [["validate", "backup", "--policy", "nightly"], /--policy: vault fresh has no policy named nightly/],
    [["validate", "backup", "--redundancy", "Everywhere"], /--redundancy: "Everywhere" is not one of/],
  ])("kbackup %j", async (args, message) => {
    const result = await run("fresh", server.kubeconfigPath, args);
    expect(result.code).toBe(EXIT_CODES.usage);
    expect(result.stderr).toMatch(message);
  });
});
