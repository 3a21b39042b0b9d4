import { KBackupError, type ExecResult, type KubeObject } from "@kbackup/core";
import { isPlainObject } from "./json-copy.js";

/** A command run in a memory cluster's container: what an exec handler is given. */
export interface ExecCall {
  /** A copy of the pod, as stored. */
  pod: KubeObject;
  container: string;
  argv: readonly string[];
  /** Fires when the caller aborts or the call times out: the handler should stop. */
  abortSignal: AbortSignal;
}

/** Plays the part of the container's processes: gets a command, returns how it ended. */
export type ExecHandler = (call: ExecCall) => ExecResult | Promise<ExecResult>;

/** Which containers a handler serves; an omitted member matches every value. */
export interface ExecMatch {
  namespace?: string;
  pod?: string;
  container?: string;
}

interface Registration {
  handler: ExecHandler;
  match: ExecMatch;
}

/** The exec handlers of a cluster; the most recently registered one that matches wins. */
export class ExecHandlers {
  #registrations: Registration[] = [];

  /** Adds a handler; returns a function that removes it again. */
  add(handler: ExecHandler, match: ExecMatch = {}): () => void {
    const registration = { handler, match: { ...match } };
    this.#registrations.push(registration);
    return () => {
      this.#registrations = this.#registrations.filter((candidate) => candidate !== registration);
    };
  }

  /** The handler for a container, or `undefined` when none matches. */
  find(namespace: string, pod: string, container: string): ExecHandler | undefined {
    for (let index = this.#registrations.length - 1; index >= 0; index--) {
      const { handler, match } = this.#registrations[index] as Registration;
      if (match.namespace !== undefined && match.namespace !== namespace) continue;
      if (match.pod !== undefined && match.pod !== pod) continue;
      if (match.container !== undefined && match.container !== container) continue;
      return handler;
    }
    return undefined;
  }
}

/**
 * The last `maxBytes` bytes of `text` in UTF-8, starting on a character boundary (so a cut never
 * leaves half a character).
 */
export function lastBytes(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length <= maxBytes) return text;
  let start = bytes.length - maxBytes;
  while (start < bytes.length && ((bytes[start] as number) & 0xc0) === 0x80) start++;
  return bytes.subarray(start).toString("utf8");
}

/** What a handler returned, as an ExecResult; `Adapter` when it is not one. */
export function checkedExecResult(result: unknown): ExecResult {
  if (!isPlainObject(result) || typeof result["exitCode"] !== "number") {
    throw new KBackupError("Adapter", "The exec handler must return { exitCode, stdout, stderr }.");
  }
  return {
    exitCode: result["exitCode"],
    stdout: typeof result["stdout"] === "string" ? result["stdout"] : "",
    stderr: typeof result["stderr"] === "string" ? result["stderr"] : "",
  };
}
