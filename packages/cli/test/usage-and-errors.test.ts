import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ERROR_HINTS, EXIT_CODES, azureBlobSettings, parseStoreUrl } from "@kbackup/cli";
import { KBACKUP_ERROR_CODES } from "@kbackup/core";
import { MemoryCluster } from "@kbackup/adapter-memory";
import { startLocalApiServer, type LocalApiServer } from "@kbackup/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kbackup } from "./run-cli.js";

let directory: string;
let server: LocalApiServer;
let store: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "kbackup-cli-usage-"));
  store = `file://${join(directory, "store")}`;
  const cluster = new MemoryCluster({ identity: { name: "aks-small" } });
  cluster.load([
    { apiVersion: "v1", kind: "Namespace", metadata: { name: "app" } },
    { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings", namespace: "app" }, data: { a: "1" } },
  ]);
  server = await startLocalApiServer({ cluster });
});

afterAll(async () => {
  await server?.stop();
  if (directory) await rm(directory, { recursive: true, force: true });
});

describe("bad usage exits 64 and says what to do", () => {
  it.each([
    [["frobnicate"], /unknown command 'frobnicate'/],
    [["jobs", "--colour"], /unknown option '--colour'/],
    [["jobs", "--limit"], /argument missing/],
  ])("kbackup %j", async (args, message) => {
    const run = await kbackup(["--store", store, ...args]);
    expect(run.code).toBe(EXIT_CODES.usage);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).toContain("kbackup --help");
  });

  it.each([
    [["list"], "--store: is required", {}],
    [["--store", "s3://bucket/prefix", "list"], "only file:// and azblob:// stores are known", {}],
    [["--store", "azblob://account1/backups", "list"], "no credential for storage account account1", {}],
    [["--store", "STORE", "jobs", "--status", "Done"], '--status: "Done" is not one of InProgress, Completed, CompletedWithWarnings, Failed, Cancelled', {}],
    [["--store", "STORE", "jobs", "--since", "last week"], "--since:", {}],
    [["--store", "STORE", "report", "--grace", "soon"], '--grace: "soon" is not a duration', {}],
    [["--store", "STORE", "--kubeconfig", "KUBECONFIG", "restore", "--namespace-mapping", "blog"], '--namespace-mapping: "blog" is not a name=name pair', {}],
    [["--store", "STORE", "--kubeconfig", "KUBECONFIG", "backup", "--redundancy", "Everywhere"], '--redundancy: "Everywhere" is not one of', {}],
    [["--store", "STORE", "--kubeconfig", "KUBECONFIG", "--context", "nowhere", "backup"], 'the kubeconfig has no context "nowhere"', {}],
  ])("kbackup %j", async (args, message, env) => {
    const resolved = args.map((arg) => (arg === "STORE" ? store : arg === "KUBECONFIG" ? server.kubeconfigPath : arg));
    const run = await kbackup(resolved, { env });
    expect(run.code).toBe(EXIT_CODES.usage);
    const [first, hint] = run.stderr.split("\n");
    expect(first).toContain(message);
    expect(first!.startsWith("kbackup: ")).toBe(true);
    expect(hint).toBe(`hint: ${ERROR_HINTS.InvalidArgument}`);
    expect(run.stdout).toBe("");
  });

  it("prints help, exiting 0", async () => {
    const run = await kbackup(["--help"]);
    expect(run.code).toBe(0);
    for (const command of ["backup", "restore", "plan-restore", "validate", "list", "jobs", "verify", "report", "cost"]) expect(run.stdout).toMatch(new RegExp(`^  ${command}\\b`, "m"));
    expect(run.stdout).toContain("AZURE_STORAGE_CONNECTION_STRING");
    expect(run.stdout).toContain("64 bad usage");
  });
});

describe("failures exit 1 with a hint per code", () => {
  it("has a hint for every error code", () => {
    for (const code of KBACKUP_ERROR_CODES) expect(ERROR_HINTS[code].length).toBeGreaterThan(20);
  });

  it("says how to make a vault when the store has none", async () => {
    const run = await kbackup(["--store", store, "--vault", "missing", "list"]);
    expect(run.code).toBe(EXIT_CODES.failure);
    expect(run.stderr).toContain("The store holds no vault named missing: `kbackup backup` makes it on first use");
    expect(run.stderr).toContain(`hint: ${ERROR_HINTS.NotFound}`);
  });

  it("says the cluster cannot be reached when its server is down", async () => {
    const config = join(directory, "dead-kubeconfig");
    await writeFile(config, server.kubeConfigYaml.replace(/https:\/\/127\.0\.0\.1:\d+/, "https://127.0.0.1:9"));
    const run = await kbackup(["--store", store, "--vault", "dead", "--kubeconfig", config, "backup"]);
    expect(run.code).toBe(EXIT_CODES.failure);
    // Refused before protection, or recorded as a failed backup job: either way the reason is shown.
    expect(run.stdout + run.stderr).toMatch(/could not be reached|ECONNREFUSED/);
  }, 60_000);

  it("names the instance the vault lacks, and the ones it has", async () => {
    expect((await kbackup(["--store", store, "--vault", "small", "--kubeconfig", server.kubeconfigPath, "backup", "--no-snapshot-volumes"])).code).toBe(0);
    const run = await kbackup(["--store", store, "--vault", "small", "verify", "--instance", "nope"]);
    expect(run.code).toBe(EXIT_CODES.usage);
    expect(run.stderr).toContain("--instance: vault small has no backup instance named nope; it has aks-small");
  });

  it("reads a price table from a file and rejects a bad one", async () => {
    const good = join(directory, "prices.json");
    await writeFile(good, JSON.stringify({ currency: "EUR", description: "Contract 2026", protectedInstancePerNamespaceMonth: 2.5, snapshotPerGBMonth: 0.04, vaultStorePerGBMonth: { LRS: 0.02, ZRS: 0.025, GRS: 0.05 } }));
    const run = await kbackup(["--store", store, "--vault", "small", "cost", "--prices", good]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("Contract 2026");
    expect(run.stdout).toContain("small/aks-small\n  1 namespace × 2.50 = 2.50\n");
    expect(run.stdout).not.toContain("EXAMPLE");
    const bad = join(directory, "bad-prices.json");
    await writeFile(bad, JSON.stringify({ currency: "EUR", protectedInstancePerNamespaceMonth: -1 }));
    const rejected = await kbackup(["--store", store, "--vault", "small", "cost", "--prices", bad]);
    expect(rejected.code).toBe(EXIT_CODES.usage);
    expect(rejected.stderr).toContain("prices.protectedInstancePerNamespaceMonth");
  });
});

describe("verify", () => {
  it("exits 0 while the copies hold, and 1 naming the damage once an archive is corrupted", async () => {
    const args = ["--store", store, "--vault", "small", "verify", "--recovery-point", "all"];
    const good = await kbackup(args);
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/^aks-small\s+\S+\s+OperationalStore\s+OK\s+2\s+/m);
    const [point] = JSON.parse((await kbackup(["--store", store, "--vault", "small", "--json", "list", "recovery-points"])).stdout) as Array<{ recoveryPointId: string }>;
    const archive = join(directory, "store/vaults/small/backup-instances/aks-small/recovery-points", point!.recoveryPointId, "resources.tar.gz");
    const bytes = await readFile(archive);
    bytes[bytes.length >> 1]! ^= 0xff;
    await writeFile(archive, bytes);
    const bad = await kbackup(args);
    expect(bad.code).toBe(EXIT_CODES.failure);
    expect(bad.stdout).toMatch(/^aks-small\s+\S+\s+OperationalStore\s+FAILED\s+.*sha256/m);
    expect(bad.stdout).toContain("1 of 1 copies failed verification.");
    const json = JSON.parse((await kbackup([...args.slice(0, 4), "--json", ...args.slice(4)])).stdout) as Array<{ ok: boolean; checks: Array<{ name: string; ok: boolean }> }>;
    expect(json[0]!.checks.filter((check) => !check.ok).map((check) => check.name)).toEqual(["archive", "members"]);
  });
});

describe("terminal output", () => {
  it("draws a progress bar on a terminal and none when output is piped or --json", async () => {
    const args = ["--store", store, "--vault", "bars", "--kubeconfig", server.kubeconfigPath, "backup", "--no-snapshot-volumes"];
    const tty = await kbackup(args, { tty: true });
    expect(tty.code).toBe(0);
    expect(tty.stdout).toMatch(/\r\x1b\[2K(discovering|collecting|committing) /);
    const piped = await kbackup(args);
    expect(piped.stdout).not.toContain("\r");
    const quiet = await kbackup([...args.slice(0, -2), "--no-progress", ...args.slice(-2)], { tty: true });
    expect(quiet.stdout).not.toContain("\r");
  });
});

describe("store URLs", () => {
  it("parse file URLs, plain paths and azblob URLs", () => {
    expect(parseStoreUrl("file:///var/backups/kbackup", "/home")).toEqual({ kind: "file", root: "/var/backups/kbackup" });
    expect(parseStoreUrl("backups", "/home/me")).toEqual({ kind: "file", root: "/home/me/backups" });
    expect(parseStoreUrl("azblob://acct01/kbackup/prod/eu?endpoint=http://127.0.0.1:10000/acct01", "/")).toEqual({ kind: "azblob", account: "acct01", container: "kbackup", prefix: "prod/eu", endpoint: "http://127.0.0.1:10000/acct01" });
    expect(() => parseStoreUrl("azblob://acct01", "/")).toThrow(/names no container/);
    expect(() => parseStoreUrl("azblob://Bad_Account/c", "/")).toThrow(/storage account name/);
  });

  it("take credentials from the option, then the environment, in order", () => {
    const location = { kind: "azblob" as const, account: "acct01", container: "kbackup", prefix: "prod" };
    expect(azureBlobSettings(location, { AZURE_STORAGE_CONNECTION_STRING: "env" }, "given")).toEqual({ connectionString: "given", containerName: "kbackup", prefix: "prod" });
    expect(azureBlobSettings(location, { AZURE_STORAGE_CONNECTION_STRING: "AccountName=a;AccountKey=b", AZURE_STORAGE_SAS_TOKEN: "sv=1&sig=x" })).toMatchObject({ connectionString: "AccountName=a;AccountKey=b" });
    expect(azureBlobSettings(location, { AZURE_STORAGE_SAS_TOKEN: "?sv=1&sig=x" })).toEqual({ sasUrl: "https://acct01.blob.core.windows.net/kbackup?sv=1&sig=x", prefix: "prod" });
    expect(azureBlobSettings({ ...location, endpoint: "http://127.0.0.1:10000/acct01/" }, { AZURE_STORAGE_KEY: "a2V5" })).toEqual({
      connectionString: "DefaultEndpointsProtocol=http;AccountName=acct01;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:10000/acct01",
      containerName: "kbackup",
      prefix: "prod",
    });
  });
});
