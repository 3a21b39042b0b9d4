import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { KBackupError } from "@kbackup/core";

/** Azurite's well-known development account, which every Azurite accepts. */
export const AZURITE_ACCOUNT_NAME = "devstoreaccount1";
/** The key of {@link AZURITE_ACCOUNT_NAME} (public, documented with Azurite). */
export const AZURITE_ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/** Options of {@link startAzurite}. */
export interface StartAzuriteOptions {
  /** Keep blobs in memory instead of a temporary folder (faster; nothing survives `kill`). */
  inMemory?: boolean;
  /**
   * A file path or `file:` URL from which the `azurite` package resolves, for packages that have
   * it as a dev dependency when `@kbackup/testing` does not. Defaults to this package, then the
   * working directory.
   */
  resolveFrom?: string | URL;
  /** How long to wait for Azurite to listen. Default 30 s. */
  startTimeoutInMs?: number;
}

/** A running Azurite blob service on 127.0.0.1, and how to reach and stop it. */
export interface AzuriteHandle {
  /** A connection string with the development account's key and this instance's endpoint. */
  readonly connectionString: string;
  /** `http://127.0.0.1:<port>/devstoreaccount1` */
  readonly blobEndpoint: string;
  /** The read-only secondary endpoint Azurite serves: `http://127.0.0.1:<port>/devstoreaccount1-secondary` */
  readonly secondaryBlobEndpoint: string;
  readonly accountName: string;
  readonly accountKey: string;
  readonly port: number;
  /** The folder holding the blobs, or undefined in memory. */
  readonly location: string | undefined;
  /**
   * Ends the process, keeping its folder for {@link AzuriteHandle.restart}: at once as a crash would
   * (`SIGKILL`, the default; Azurite saves its index every 5 s, so recent changes may be lost), or
   * by a shutdown that saves everything first (`SIGTERM`).
   */
  kill(signal?: "SIGKILL" | "SIGTERM"): Promise<void>;
  /** Starts Azurite again on the same folder and port after `kill`. */
  restart(): Promise<void>;
  /** Stops Azurite and removes its folder. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts `azurite-blob` on a free loopback port, in a new temporary folder (or in memory), with
 * telemetry off, API version checks skipped and loose header handling. Resolves once it listens.
 * Throws `Unavailable` if the azurite package cannot be found or the process does not start.
 */
export async function startAzurite(options: StartAzuriteOptions = {}): Promise<AzuriteHandle> {
  const main = await azuriteBlobMain(options.resolveFrom);
  const folder = await mkdtemp(join(tmpdir(), "kbackup-azurite-"));
  const timeout = options.startTimeoutInMs ?? 30_000;
  const baseArgs = ["--disableTelemetry", "--silent", "--skipApiVersionCheck", "--loose", "--blobHost", "127.0.0.1"];
  const storageArgs = options.inMemory ? ["--inMemoryPersistence"] : ["--location", folder];
  let child: ChildProcess | undefined;
  let port = 0;
  let stopped = false;
  // A test runner that dies without its afterAll must not leave Azurite behind.
  const killOnExit = () => child?.kill("SIGKILL");
  process.once("exit", killOnExit);

  const launch = async (requestedPort: number) => {
    const launched = spawnAzurite(main, [...baseArgs, ...storageArgs, "--blobPort", String(requestedPort)], folder);
    child = launched.child;
    port = await launched.listening(timeout);
  };

  try {
    await launch(0);
  } catch (error) {
    child?.kill("SIGKILL");
    process.off("exit", killOnExit);
    await rm(folder, { recursive: true, force: true });
    throw error;
  }
  const killChild = async (signal: "SIGKILL" | "SIGTERM" = "SIGKILL") => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise<void>((done) => running.once("exit", () => done()));
    running.kill(signal);
    // A shutdown that hangs is ended the hard way.
    const timer = signal === "SIGTERM" ? setTimeout(() => running.kill("SIGKILL"), 10_000) : undefined;
    await exited;
    clearTimeout(timer);
  };
  const blobEndpoint = `http://127.0.0.1:${port}/${AZURITE_ACCOUNT_NAME}`;
  return {
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT_NAME};AccountKey=${AZURITE_ACCOUNT_KEY};BlobEndpoint=${blobEndpoint};`,
    blobEndpoint,
    secondaryBlobEndpoint: `http://127.0.0.1:${port}/${AZURITE_ACCOUNT_NAME}-secondary`,
    accountName: AZURITE_ACCOUNT_NAME,
    accountKey: AZURITE_ACCOUNT_KEY,
    port,
    location: options.inMemory ? undefined : folder,
    kill: (signal) => killChild(signal),
    restart: async () => {
      if (stopped) throw new KBackupError("InvalidArgument", "Azurite was stopped; start a new one.");
      await killChild();
      await launch(port);
    },
    stop: async () => {
      stopped = true;
      await killChild("SIGKILL");
      process.off("exit", killOnExit);
      await rm(folder, { recursive: true, force: true });
    },
  };
}

async function azuriteBlobMain(resolveFrom: string | URL | undefined): Promise<string> {
  const bases = [resolveFrom, import.meta.url, join(process.cwd(), "package.json")].filter((base) => base !== undefined);
  for (const base of bases) {
    try {
      const manifestPath = createRequire(base).resolve("azurite/package.json");
      const manifest = JSON.parse(await readFile(manifestPath, "utf8")) as { bin?: Record<string, string> };
      const bin = manifest.bin?.["azurite-blob"];
      if (bin) return resolve(dirname(manifestPath), bin);
    } catch {
      // Not resolvable from this base; try the next one.
    }
  }
  throw new KBackupError("Unavailable", "The azurite package was not found: add it as a dev dependency, or pass resolveFrom from a package that has it.");
}

function spawnAzurite(main: string, args: string[], cwd: string): { child: ChildProcess; listening: (timeoutInMs: number) => Promise<number> } {
  const child = spawn(process.execPath, [main, ...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });
  const listening = (timeoutInMs: number) =>
    new Promise<number>((resolvePort, reject) => {
      let output = "";
      const fail = (message: string) => {
        clearTimeout(timer);
        child.kill("SIGKILL");
        reject(new KBackupError("Unavailable", `Azurite did not start: ${message}\n${output.slice(-2000)}`));
      };
      const timer = setTimeout(() => fail(`not listening after ${timeoutInMs} ms`), timeoutInMs);
      const onData = (chunk: Buffer) => {
        output += chunk.toString("utf8");
        const match = /listens on https?:\/\/[^:\s]+:(\d+)/.exec(output);
        if (match) {
          clearTimeout(timer);
          child.stdout?.off("data", onData);
          // Keep draining, so that a chatty Azurite never blocks on a full pipe.
          child.stdout?.resume();
          resolvePort(Number(match[1]));
        }
      };
      child.stdout?.on("data", onData);
      child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
      child.once("error", (error) => fail(error.message));
      child.once("exit", (code, signal) => fail(`exited with ${signal ?? code}`));
    });
  return { child, listening };
}
