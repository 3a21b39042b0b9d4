import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { MemoryCluster } from "@kbackup/adapter-memory";
import { startLocalApiServer, type LocalApiServer } from "@kbackup/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The built `kbackup` run as a child process, as a user runs it. The root test command builds every
// package first; when the bin is missing or older than its sources (a test run on its own), it is
// built here, with the packages it loads.
const root = fileURLToPath(new URL("../../../", import.meta.url));
const cli = join(root, "packages/cli");
const bin = join(cli, "dist/bin.js");

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function buildPackage(name: string, entries: string[]): void {
  const result = spawnSync(join(root, "node_modules/.bin/tsup"), [...entries, "--format", "esm", "--target", "node22", "--sourcemap", "--no-config", "--silent"], { cwd: join(root, "packages", name), encoding: "utf8" });
  if (result.status !== 0) throw new Error(`building ${name} failed: ${result.stderr}${result.stdout}`);
}

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { PATH: process.env.PATH ?? "", HOME: tmpdir(), ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

let server: LocalApiServer;
let directory: string;

beforeAll(async () => {
  for (const name of ["core", "adapter-fs", "adapter-kubernetes", "adapter-memory", "adapter-azure"]) {
    if (!existsSync(join(root, "packages", name, "dist/index.js"))) buildPackage(name, ["src/index.ts"]);
  }
  if (!existsSync(bin) || statSync(bin).mtimeMs < newestSource(join(cli, "src"))) buildPackage("cli", ["src/index.ts", "src/bin.ts"]);
  const cluster = new MemoryCluster({ identity: { name: "aks-smoke" } });
  cluster.load([
    { apiVersion: "v1", kind: "Namespace", metadata: { name: "app" } },
    { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings", namespace: "app" }, data: { colour: "blue" } },
  ]);
  server = await startLocalApiServer({ cluster });
  directory = await mkdtemp(join(tmpdir(), "kbackup-bin-"));
}, 120_000);

afterAll(async () => {
  await server?.stop();
  if (directory) await rm(directory, { recursive: true, force: true });
});

describe("the kbackup bin", () => {
  it("prints its help and exits 0, and exits 64 on a bad option", async () => {
    const help = await run(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: kbackup \[options\] \[command\]/);
    const bad = await run(["jobs", "--bogus"]);
    expect(bad.code).toBe(64);
    expect(bad.stderr).toContain("unknown option '--bogus'");
  });

  it("backs up a cluster into a folder given by KBACKUP_STORE, then lists the job, without progress bars when piped", async () => {
    const env = { KBACKUP_STORE: `file://${join(directory, "store")}`, KUBECONFIG: server.kubeconfigPath };
    const backup = await run(["backup", "--no-snapshot-volumes"], env);
    expect(backup.stderr).toBe("Protecting cluster aks-smoke as backup instance aks-smoke in vault kbackup.\n");
    expect(backup.code).toBe(0);
    expect(backup.stdout).toMatch(/^status\s+Completed$/m);
    expect(backup.stdout).not.toContain("\r");
    const jobs = await run(["--json", "jobs"], env);
    expect(jobs.code).toBe(0);
    expect((JSON.parse(jobs.stdout) as Array<{ status: string; backupInstanceFriendlyName: string }>).map((job) => [job.backupInstanceFriendlyName, job.status])).toEqual([["aks-smoke", "Completed"]]);
    const missing = await run(["--vault", "other", "list"], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^kbackup: The store holds no vault named other/);
    expect(missing.stderr).toMatch(/^hint: /m);
  });
});
