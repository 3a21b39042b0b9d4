import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { isKBackupError, type ClusterClient, type KubeObject } from "@kbackup/core";
import { WebSocketServer, type WebSocket } from "ws";
import { badRequest, failure, statusOf, StatusError, type KubeStatus } from "./kube-status.js";

/** The remote command subprotocols the server speaks, preferred first. */
export const EXEC_PROTOCOLS = ["v5.channel.k8s.io", "v4.channel.k8s.io"] as const;

const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;

/** What an exec URL asks for. */
export interface ExecRequest {
  namespace: string;
  pod: string;
  container: string | undefined;
  command: string[];
  stdout: boolean;
  stderr: boolean;
}

/** Reads `command`, `container`, `stdout` and `stderr` from an exec URL's query. */
export function parseExecQuery(namespace: string, pod: string, query: URLSearchParams): ExecRequest {
  const command = query.getAll("command");
  if (command.length === 0) throw badRequest("you must specify at least 1 command");
  if (query.get("tty") === "true") throw badRequest("tty is not supported by this server");
  const container = query.get("container") ?? undefined;
  const stdout = query.get("stdout") === "true" || query.get("stdout") === "1";
  const stderr = query.get("stderr") === "true" || query.get("stderr") === "1";
  if (!stdout && !stderr && query.get("stdin") !== "true") throw badRequest("you must specify at least one of stdin, stdout, stderr");
  return { namespace, pod, container, command, stdout, stderr };
}

/**
 * Checks, before the connection is upgraded, what the kubelet would refuse: the pod must exist,
 * name the container (or have only one) and run it. Returns the container's name. Throws a
 * `StatusError`: 404 for a missing pod, 400 for a container that is unknown or not running.
 */
export async function checkExecTarget(cluster: ClusterClient, request: ExecRequest): Promise<string> {
  let pod: KubeObject | undefined;
  try {
    pod = await cluster.get({ group: "", version: "v1", resource: "pods" }, request.pod, { namespace: request.namespace });
  } catch (error) {
    throw new StatusError(statusOf(error, { resource: "pods", name: request.pod }));
  }
  if (pod === undefined) throw new StatusError(failure(404, "NotFound", `pods "${request.pod}" not found`, { name: request.pod, kind: "pods" }));
  const spec = (pod["spec"] ?? {}) as { containers?: Array<{ name?: string }> };
  const names = (spec.containers ?? []).map((container) => container.name);
  const container = request.container ?? (names.length === 1 ? names[0] : undefined);
  if (container === undefined) throw badRequest(`a container name must be specified for pod ${request.pod}, choose one of: [${names.join(" ")}]`);
  if (!names.includes(container)) throw badRequest(`container ${container} is not valid for pod ${request.pod}`);
  const statuses = ((pod["status"] ?? {}) as { containerStatuses?: Array<{ name?: string; state?: Record<string, unknown> }> }).containerStatuses ?? [];
  const state = statuses.find((status) => status.name === container)?.state;
  if (state === undefined || state["running"] === undefined) {
    throw badRequest(`container ${container} is not running in pod ${request.pod}: unable to upgrade connection`);
  }
  return container;
}

/** The subprotocol the server picks from those a client offers, or `undefined` when none is spoken. */
export function pickExecProtocol(offered: string | undefined): string | undefined {
  const protocols = (offered ?? "").split(",").map((protocol) => protocol.trim());
  return EXEC_PROTOCOLS.find((protocol) => protocols.includes(protocol));
}

/**
 * The WebSocket half of `pods/exec`: upgrades the connection, runs the command through the
 * cluster's `exec`, sends stdout on channel 1 and stderr on channel 2 (those asked for), then the
 * `Status` on channel 3 (`Success`, or `Failure` with reason `NonZeroExitCode` and an `ExitCode`
 * cause), and closes. A client that closes first aborts the command. Channel 0 (stdin) data is
 * read and dropped, and a v5 close of stdin (255, 0) is accepted: the port runs commands without
 * input.
 */
export class ExecEndpoint {
  readonly #server = new WebSocketServer({ noServer: true, handleProtocols: (protocols) => pickExecProtocol([...protocols].join(",")) ?? false });
  readonly #running = new Set<AbortController>();

  constructor(private readonly cluster: ClusterClient) {}

  /** Upgrades the connection and runs the command; the checks must have passed. */
  serve(request: IncomingMessage, socket: Duplex, head: Buffer, exec: ExecRequest, container: string): void {
    this.#server.handleUpgrade(request, socket, head, (ws) => {
      void this.#run(ws, exec, container);
    });
  }

  /** Stops every running command and closes their connections. */
  close(): void {
    for (const controller of this.#running) controller.abort();
    for (const client of this.#server.clients) client.terminate();
    this.#server.close();
  }

  async #run(ws: WebSocket, exec: ExecRequest, container: string): Promise<void> {
    const controller = new AbortController();
    this.#running.add(controller);
    ws.on("close", () => controller.abort());
    // Stdin (channel 0) and a v5 close of it (255, 0) arrive as messages that need no answer.
    ws.on("message", () => undefined);
    let status: KubeStatus;
    try {
      const result = await this.cluster.exec({ namespace: exec.namespace, name: exec.pod }, container, exec.command, { abortSignal: controller.signal });
      if (exec.stdout && result.stdout !== "") send(ws, STDOUT, Buffer.from(result.stdout, "utf8"));
      if (exec.stderr && result.stderr !== "") send(ws, STDERR, Buffer.from(result.stderr, "utf8"));
      status =
        result.exitCode === 0
          ? { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", code: 200 }
          : failure(500, "NonZeroExitCode", `command terminated with non-zero exit code: error executing command [${exec.command.join(" ")}], exit code ${result.exitCode}`, {
              causes: [{ reason: "ExitCode", message: String(result.exitCode) }],
            });
    } catch (error) {
      if (controller.signal.aborted && isKBackupError(error, "Aborted")) {
        this.#running.delete(controller);
        return;
      }
      status = statusOf(error);
    }
    this.#running.delete(controller);
    const { kind: _kind, apiVersion: _apiVersion, code: _code, ...body } = status;
    // The kubelet writes the Status without kind, apiVersion and code on this channel.
    send(ws, ERROR, Buffer.from(JSON.stringify(body), "utf8"));
    ws.close(1000);
  }
}

function send(ws: WebSocket, channel: number, payload: Buffer): void {
  if (ws.readyState !== ws.OPEN) return;
  ws.send(Buffer.concat([Buffer.from([channel]), payload]), { binary: true });
}
