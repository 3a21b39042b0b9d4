import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * kubectl must be on PATH. A machine without it gets Debian's `kubernetes-client` package
 * (`apt-get update && apt-get install -y kubernetes-client`, as root); nothing is installed when
 * kubectl is there. These tests speak to kubectl 1.30 or later (WebSocket exec, server-side field
 * validation); Debian bookworm's package is older, so a machine that needs it should get a newer
 * kubectl instead.
 */
export function ensureKubectl(): void {
  try {
    execFileSync("kubectl", ["version", "--client"], { stdio: "ignore" });
  } catch {
    execFileSync("sh", ["-c", "apt-get update && apt-get install -y kubernetes-client"], { stdio: "ignore" });
  }
}

/** Runs kubectl against a kubeconfig; resolves with stdout, rejects with stderr in the message. */
export async function kubectl(kubeconfigPath: string, ...args: string[]): Promise<string> {
  try {
    const { stdout } = await run("kubectl", ["--kubeconfig", kubeconfigPath, ...args], { maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const { stderr, code } = error as { stderr?: string; code?: number };
    throw new Error(`kubectl ${args.join(" ")} exited ${code}: ${stderr ?? String(error)}`);
  }
}

/** `kubectl ... -o json`, parsed. */
export async function kubectlJson<T = Record<string, unknown>>(kubeconfigPath: string, ...args: string[]): Promise<T> {
  return JSON.parse(await kubectl(kubeconfigPath, ...args, "-o", "json")) as T;
}
