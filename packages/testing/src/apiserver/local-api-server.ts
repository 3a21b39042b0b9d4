import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Duplex } from "node:stream";
import { invalidArgument, type ClusterClient } from "@kbackup/core";
import { allows, authenticate, authorize, type Caller, type TokenRole } from "./access-control.js";
import { parseApiPath, type ApiPath } from "./api-path.js";
import { CsiSnapshotController, type SnapshotDisks } from "./csi-snapshot-controller.js";
import { apiGroup, apiGroupList, apiResourceList, coreVersions } from "./discovery-documents.js";
import { checkExecTarget, ExecEndpoint, parseExecQuery, pickExecProtocol } from "./exec-endpoint.js";
import { readJsonBody, rejectUpgrade, sendJson, sendStatus } from "./http-io.js";
import { kubeconfigYaml } from "./kubeconfig.js";
import { badRequest, failure, pathNotFound, statusOf, StatusError, type KubeStatus } from "./kube-status.js";
import { LocalSnapshotStorage } from "./local-snapshot-storage.js";
import { openApiDocument, openApiPaths } from "./openapi-documents.js";
import { serveResource, type ResourceRequestContext } from "./resource-requests.js";
import { selfSignedCertificate } from "../tls/self-signed-certificate.js";
import { ServedTypes } from "./served-types.js";

/** The Kubernetes version the server reports. */
export const LOCAL_API_SERVER_VERSION = { major: "1", minor: "32", gitVersion: "v1.32.0", gitCommit: "0000000000000000000000000000000000000000", gitTreeState: "clean", buildDate: "2024-12-11T00:00:00Z", goVersion: "go1.23.3", compiler: "gc", platform: "linux/amd64" };

/** Options of {@link startLocalApiServer}. */
export interface LocalApiServerOptions {
  /** The cluster the server serves. A `MemoryCluster` also gets the CSI snapshot controller for its disks. */
  cluster: ClusterClient;
  /** Bearer tokens and what each may do; defaults to one random admin token. The kubeconfig carries the first admin token. */
  tokens?: Readonly<Record<string, TokenRole>>;
  /** The port on 127.0.0.1; 0 or omitted picks a free one. */
  port?: number;
  /** How often a watch lists again to see changes; defaults to 50 ms. */
  watchPollIntervalInMs?: number;
  /** Where CSI snapshots are kept; give two servers the same storage to restore one's snapshots in the other. */
  snapshotStorage?: LocalSnapshotStorage;
  /** The kubeconfig's cluster and context name; defaults to the cluster's identity name. */
  contextName?: string;
  /** Told of every request once answered (for tests that count round trips). */
  onRequest?: (request: { method: string; path: string; query: string; status: number }) => void;
}

/** A running local API server. */
export interface LocalApiServer {
  /** `https://127.0.0.1:<port>`. */
  readonly url: string;
  /** The PEM certificate of the server (self-signed, made at start), which the kubeconfig trusts. */
  readonly certificateAuthorityPem: string;
  /** A kubeconfig file pointing at the server with the admin token, removed by `stop`. */
  readonly kubeconfigPath: string;
  /** The same kubeconfig as text. */
  readonly kubeConfigYaml: string;
  /** The token the kubeconfig carries. */
  readonly token: string;
  readonly snapshotStorage: LocalSnapshotStorage;
  /** A kubeconfig for another of the server's tokens (a read-only one, say). `InvalidArgument` for an unknown token. */
  kubeConfigYamlFor(token: string): string;
  /**
   * Makes the next `count` requests fail with `code` (429, 500, 503, ...) and a `Status`, with a
   * `Retry-After` header when `retryAfterInSeconds` is given: for tests of retries.
   */
  failNextRequests(count: number, code: number, options?: { retryAfterInSeconds?: number }): void;
  /** Stops the server: ends watches and running commands, closes connections, removes the kubeconfig. */
  stop(): Promise<void>;
}

/**
 * Starts an HTTPS server on 127.0.0.1, with a self-signed certificate made at start (kubectl sends
 * bearer tokens over TLS only), that speaks the Kubernetes API over a `ClusterClient`, well
 * enough for kubectl and `@kubernetes/client-node`: `/version`, discovery (`/api`, `/apis`, resource
 * lists with verbs, scopes, kinds, short names and subresources), CRUD of every type the cluster
 * serves (custom ones as soon as their CRD exists) with label and field selectors, `limit` and
 * `continue` (410 `Expired` for an expired token), watches, merge / JSON / strategic merge patches,
 * the `status` subresource, exec over WebSocket (`v5.channel.k8s.io`, `v4.channel.k8s.io`),
 * `SelfSubjectAccessReview`, a minimal OpenAPI v3, Kubernetes `Status` errors, bearer tokens with
 * a read-only role (403 on writes), and a CSI snapshot controller for a `MemoryCluster`'s disks.
 * Throws `InvalidArgument` for bad options.
 */
export async function startLocalApiServer(options: LocalApiServerOptions): Promise<LocalApiServer> {
  const { cluster } = options;
  if (typeof cluster !== "object" || cluster === null || typeof cluster.discover !== "function") throw invalidArgument("cluster", "must be a ClusterClient");
  const tokens = new Map<string, TokenRole>(Object.entries(options.tokens ?? { [randomBytes(24).toString("base64url")]: "admin" }));
  if (tokens.size === 0) throw invalidArgument("tokens", "must hold at least one token");
  for (const [token, role] of tokens) {
    if (token === "" || /\s/.test(token)) throw invalidArgument("tokens", "a token must be non-empty and without spaces");
    if (role !== "admin" && role !== "read-only") throw invalidArgument(`tokens.${token.slice(0, 4)}…`, `role must be "admin" or "read-only", got ${JSON.stringify(role)}`);
  }
  const pollInterval = options.watchPollIntervalInMs ?? 50;
  if (!Number.isFinite(pollInterval) || pollInterval <= 0) throw invalidArgument("watchPollIntervalInMs", `must be a number > 0, got ${pollInterval}`);
  const port = options.port ?? 0;
  if (!Number.isSafeInteger(port) || port < 0 || port > 65535) throw invalidArgument("port", `must be a port number, got ${port}`);

  const snapshotStorage = options.snapshotStorage ?? new LocalSnapshotStorage();
  const state = new ServerState(cluster, tokens, pollInterval, snapshotStorage, options.onRequest);
  const { cert: certificatePem, key } = selfSignedCertificate("kbackup-local-apiserver");
  const server = createServer({ cert: certificatePem, key }, (request, response) => void state.handle(request, response));
  server.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => void state.upgrade(request, socket, head));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.serverAddress = url.slice("https://".length);
  const contextName = options.contextName ?? cluster.identity.name;
  const token = [...tokens].find(([, role]) => role === "admin")?.[0] ?? ([...tokens.keys()][0] as string);
  const yamlFor = (chosen: string) => {
    const role = tokens.get(chosen);
    if (role === undefined) throw invalidArgument("token", "is not one of the server's tokens");
    return kubeconfigYaml({ server: url, clusterName: contextName, userName: role === "admin" ? "kbackup-admin" : "kbackup-reader", token: chosen, certificateAuthorityPem: certificatePem });
  };
  const kubeConfigYaml = yamlFor(token);
  const directory = await mkdtemp(join(tmpdir(), "kbackup-apiserver-"));
  const kubeconfigPath = join(directory, "kubeconfig");
  await writeFile(kubeconfigPath, kubeConfigYaml, { mode: 0o600 });
  let stopped: Promise<void> | undefined;
  return {
    url,
    certificateAuthorityPem: certificatePem,
    kubeconfigPath,
    kubeConfigYaml,
    token,
    snapshotStorage,
    kubeConfigYamlFor: yamlFor,
    failNextRequests(count, code, faultOptions = {}) {
      if (!Number.isSafeInteger(count) || count < 0) throw invalidArgument("count", `must be a whole number >= 0, got ${count}`);
      if (!Number.isSafeInteger(code) || code < 400 || code > 599) throw invalidArgument("code", `must be an HTTP error code, got ${code}`);
      state.faults = { remaining: count, code, retryAfterInSeconds: faultOptions.retryAfterInSeconds };
    },
    stop() {
      stopped ??= (async () => {
        state.stop();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await rm(directory, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}

/** Everything a running server keeps between requests. */
class ServerState {
  serverAddress = "";
  faults: { remaining: number; code: number; retryAfterInSeconds: number | undefined } | undefined;
  readonly #stopping = new AbortController();
  readonly #types: ServedTypes;
  readonly #controller: CsiSnapshotController;
  readonly #exec: ExecEndpoint;
  readonly #resourceVersions = { highest: 0 };

  constructor(
    private readonly cluster: ClusterClient,
    private readonly tokens: ReadonlyMap<string, TokenRole>,
    private readonly pollIntervalInMs: number,
    storage: LocalSnapshotStorage,
    private readonly onRequest: LocalApiServerOptions["onRequest"],
  ) {
    this.#types = new ServedTypes(cluster);
    this.#controller = new CsiSnapshotController(cluster, disksOf(cluster), storage);
    this.#exec = new ExecEndpoint(cluster);
  }

  stop(): void {
    this.#stopping.abort();
    this.#exec.close();
  }

  async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", "http://localhost");
    if (this.onRequest !== undefined) {
      const onRequest = this.onRequest;
      response.on("finish", () => onRequest({ method: request.method ?? "GET", path: url.pathname, query: url.search, status: response.statusCode }));
    }
    const closed = new AbortController();
    response.on("close", () => closed.abort());
    try {
      const fault = this.#takeFault();
      if (fault !== undefined) return sendStatus(response, fault.status, fault.headers);
      const caller = authenticate(request, this.tokens, url.pathname);
      await this.#route(request, response, url, parseApiPath(url.pathname), caller, AbortSignal.any([closed.signal, this.#stopping.signal]));
    } catch (error) {
      if (response.headersSent) {
        response.end();
        return;
      }
      sendStatus(response, statusOf(error));
    }
  }

  async upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    try {
      const url = new URL(request.url ?? "/", "http://localhost");
      const caller = authenticate(request, this.tokens, url.pathname);
      const path = parseApiPath(url.pathname);
      if (path.type !== "resource" || path.path.group !== "" || path.path.resource !== "pods" || path.path.subresource !== "exec" || path.path.namespace === undefined || path.path.name === undefined) {
        throw pathNotFound();
      }
      authorize(caller, "create", { group: "", resource: "pods", subresource: "exec", namespace: path.path.namespace, name: path.path.name });
      const exec = parseExecQuery(path.path.namespace, path.path.name, url.searchParams);
      if (pickExecProtocol(request.headers["sec-websocket-protocol"]) === undefined) {
        throw badRequest(`none of the offered subprotocols is spoken; this server speaks v5.channel.k8s.io and v4.channel.k8s.io`);
      }
      const container = await checkExecTarget(this.cluster, exec);
      this.#exec.serve(request, socket, head, exec, container);
    } catch (error) {
      rejectUpgrade(socket, statusOf(error));
    }
  }

  async #route(request: IncomingMessage, response: ServerResponse, url: URL, path: ApiPath, caller: Caller | undefined, signal: AbortSignal): Promise<void> {
    const method = request.method ?? "GET";
    if (path.type === "resource") {
      if (path.path.group === "authorization.k8s.io" && path.path.resource === "selfsubjectaccessreviews") return this.#accessReview(request, response, caller);
      const served = await this.#types.find(path.path.group, path.path.resource);
      if (served === undefined) throw pathNotFound();
      const context: ResourceRequestContext = {
        cluster: this.cluster,
        controller: this.#controller,
        caller,
        watchPollIntervalInMs: this.pollIntervalInMs,
        signal,
        typesChanged: () => this.#types.invalidate(),
        resourceVersions: this.#resourceVersions,
      };
      return serveResource(request, response, url, path.path, served, context);
    }
    if (method !== "GET") throw pathNotFound();
    if (path.type === "version") return sendJson(response, 200, LOCAL_API_SERVER_VERSION);
    if (path.type === "health") return void response.writeHead(200, { "Content-Type": "text/plain" }).end("ok");
    const resources = await this.#types.all();
    let body: unknown;
    switch (path.type) {
      case "core-versions":
        body = coreVersions(resources, this.serverAddress);
        break;
      case "groups":
        body = apiGroupList(resources);
        break;
      case "group":
        body = apiGroup(resources, path.group);
        break;
      case "resources":
        body = apiResourceList(resources, path.group, path.version);
        break;
      case "openapi-paths":
        body = openApiPaths(resources);
        break;
      case "openapi":
        body = openApiDocument(resources, path.group, path.version);
        break;
    }
    if (body === undefined) throw pathNotFound();
    sendJson(response, 200, body);
  }

  /** `SelfSubjectAccessReview`: whether the caller's role allows the verb asked about. */
  async #accessReview(request: IncomingMessage, response: ServerResponse, caller: Caller | undefined): Promise<void> {
    if (request.method !== "POST") throw new StatusError(failure(405, "MethodNotAllowed", "the server does not allow this method on the requested resource"));
    const review = (await readJsonBody(request)) as { spec?: { resourceAttributes?: { verb?: unknown }; nonResourceAttributes?: { verb?: unknown } } } | undefined;
    const spec = review?.spec;
    const verb = spec?.resourceAttributes?.verb ?? spec?.nonResourceAttributes?.verb;
    if (typeof verb !== "string" || verb === "") throw badRequest("spec.resourceAttributes.verb or spec.nonResourceAttributes.verb is required");
    const allowed = caller !== undefined && allows(caller.role, verb);
    sendJson(response, 201, {
      apiVersion: "authorization.k8s.io/v1",
      kind: "SelfSubjectAccessReview",
      metadata: { creationTimestamp: null },
      spec,
      status: { allowed, ...(allowed ? { reason: `role ${caller?.role}` } : { reason: `role ${caller?.role ?? "anonymous"} may only get, list and watch` }) },
    });
  }

  #takeFault(): { status: KubeStatus; headers: Record<string, string> } | undefined {
    const faults = this.faults;
    if (faults === undefined || faults.remaining <= 0) return undefined;
    faults.remaining--;
    const reasons: Record<number, string> = { 429: "TooManyRequests", 500: "InternalError", 503: "ServiceUnavailable", 504: "Timeout" };
    const reason = reasons[faults.code] ?? "InternalError";
    const headers: Record<string, string> = faults.retryAfterInSeconds === undefined ? {} : { "Retry-After": String(faults.retryAfterInSeconds) };
    const details = faults.retryAfterInSeconds === undefined ? undefined : { retryAfterSeconds: faults.retryAfterInSeconds };
    return { status: failure(faults.code, reason, `injected failure (${faults.code})`, details), headers };
  }
}

/** A memory cluster's disks, found by shape so that any copy of the memory adapter works. */
function disksOf(cluster: ClusterClient): SnapshotDisks | undefined {
  const disks = (cluster as { disks?: Partial<SnapshotDisks> }).disks;
  if (typeof disks?.image === "function" && typeof disks.create === "function" && typeof disks.has === "function") return disks as SnapshotDisks;
  return undefined;
}
