import { Agent as HttpAgent, request as httpRequest, type IncomingMessage, type RequestOptions } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { abortedError, isKBackupError, silentLogger, systemClock, throwIfAborted, type KBackupError, type Logger } from "@kbackup/core";
import type { KubeConfig } from "@kubernetes/client-node";
import { connectionError, errorFromResponse } from "./kube-errors.js";
import { TokenBucket } from "./token-bucket.js";

/** One request to the API server. */
export interface KubeRequest {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** The path from the server's root: `/api/v1/namespaces/shop/pods`. */
  path: string;
  query?: Record<string, string | readonly string[] | undefined>;
  /** Sent as JSON. */
  body?: unknown;
  /** Defaults to `application/json` when there is a body. */
  contentType?: string;
  signal?: AbortSignal | undefined;
}

/** How the transport paces and retries requests. */
export interface KubeTransportOptions {
  /** Requests a second on average; `Infinity` for no limit. */
  qps: number;
  /** Requests that may go at once above the average. */
  burst: number;
  /** Retries of a request answered 429 or 5xx, or whose connection failed. */
  maxRetries: number;
  /** The longest wait between two tries, also for a longer `Retry-After`. */
  maxRetryDelayInMs: number;
  logger?: Logger;
}

const USER_AGENT = "kbackup-adapter-kubernetes";

/**
 * HTTP to one API server as a kubeconfig describes it: the server, its certificate authority, the
 * user's credentials (refreshed before each request, so rotating tokens and exec plugins work),
 * a proxy; over one keep-alive connection pool, paced by a token bucket, retrying 429 and 5xx
 * answers (honouring `Retry-After`) and refused connections with backoff. Errors are mapped
 * KBackupErrors (see `codeOfHttpStatus`); an abort is `Aborted`.
 */
export class KubeTransport {
  readonly #kubeConfig: KubeConfig;
  readonly #options: KubeTransportOptions;
  readonly #bucket: TokenBucket;
  readonly #logger: Logger;
  readonly #server: URL;
  #agent: HttpAgent | undefined;

  constructor(kubeConfig: KubeConfig, options: KubeTransportOptions) {
    this.#kubeConfig = kubeConfig;
    this.#options = options;
    this.#bucket = new TokenBucket(options.qps, options.burst);
    this.#logger = options.logger ?? silentLogger;
    const server = kubeConfig.getCurrentCluster()?.server;
    if (server === undefined || server === "") throw new Error("The kubeconfig's current context names no cluster server.");
    this.#server = new URL(server);
  }

  /** Sends the request and returns the JSON body of its 2xx answer. */
  async json<T>(request: KubeRequest): Promise<T> {
    const response = await this.#send(request);
    let text: string;
    try {
      text = await readText(response, request.signal);
    } catch (error) {
      throw isKBackupError(error) ? error : connectionError(error, { method: request.method, path: request.path });
    }
    return (text === "" ? undefined : JSON.parse(text)) as T;
  }

  /** Sends the request and returns its 2xx answer unread, for streams (watches). */
  stream(request: KubeRequest): Promise<IncomingMessage> {
    return this.#send(request);
  }

  /** Closes the idle connections. */
  close(): void {
    this.#agent?.destroy();
  }

  async #send(request: KubeRequest): Promise<IncomingMessage> {
    const where = { method: request.method, path: request.path };
    for (let attempt = 0; ; attempt++) {
      throwIfAborted(request.signal);
      await this.#bucket.take(request.signal);
      let failure: KBackupError;
      let retryAfterInMs: number | undefined;
      try {
        const response = await this.#once(request);
        const status = response.statusCode ?? 0;
        if (status >= 200 && status < 300) return response;
        failure = errorFromResponse(status, await readText(response, request.signal), where);
        if (status !== 429 && status < 500) throw failure;
        const retryAfter = Number(response.headers["retry-after"]);
        if (Number.isFinite(retryAfter) && retryAfter >= 0) retryAfterInMs = retryAfter * 1000;
      } catch (error) {
        if (request.signal?.aborted) throw abortedError(request.signal);
        if (isKBackupError(error)) {
          if (error.code !== "Unavailable" && error.code !== "Throttled") throw error;
          failure = error;
        } else {
          failure = connectionError(error, where);
          // Only a refused connection surely sent nothing; a create cut off mid-way may have been done.
          if (request.method === "POST" && (error as { code?: string }).code !== "ECONNREFUSED") throw failure;
        }
      }
      if (attempt >= this.#options.maxRetries) throw failure;
      const backoffInMs = Math.random() * Math.min(this.#options.maxRetryDelayInMs, 100 * 2 ** attempt);
      const waitInMs = Math.min(this.#options.maxRetryDelayInMs, retryAfterInMs ?? backoffInMs);
      this.#logger.debug("Retrying a request to the Kubernetes API", { method: request.method, path: request.path, attempt: attempt + 1, waitInMs, reason: failure.message });
      await systemClock.sleep(waitInMs, request.signal === undefined ? {} : { abortSignal: request.signal });
    }
  }

  async #once(request: KubeRequest): Promise<IncomingMessage> {
    const options: RequestOptions & Record<string, unknown> = {};
    await this.#kubeConfig.applyToHTTPSOptions(options as never);
    const url = new URL(this.#server.href.replace(/\/$/, "") + request.path);
    for (const [key, value] of Object.entries(request.query ?? {})) {
      if (value === undefined) continue;
      for (const item of typeof value === "string" ? [value] : value) url.searchParams.append(key, item);
    }
    const body = request.body === undefined ? undefined : Buffer.from(JSON.stringify(request.body), "utf8");
    const headers: Record<string, string> = {
      ...(options.headers as Record<string, string> | undefined),
      Accept: "application/json",
      "User-Agent": USER_AGENT,
      ...(body === undefined ? {} : { "Content-Type": request.contentType ?? "application/json", "Content-Length": String(body.length) }),
    };
    const secure = url.protocol === "https:";
    const agent = this.#kubeConfig.getCurrentCluster()?.proxyUrl ? (options.agent as HttpAgent) : this.#pool(options, secure);
    return new Promise<IncomingMessage>((resolve, reject) => {
      const send = secure ? httpsRequest : httpRequest;
      const outgoing = send(url, { method: request.method, headers, agent, ...(request.signal === undefined ? {} : { signal: request.signal }) }, resolve);
      outgoing.on("error", reject);
      outgoing.end(body);
    });
  }

  /** One keep-alive pool for the whole client, with the TLS settings the kubeconfig gives. */
  #pool(options: Record<string, unknown>, secure: boolean): HttpAgent {
    if (this.#agent === undefined) {
      const tls = Object.fromEntries(["ca", "cert", "key", "pfx", "passphrase", "rejectUnauthorized", "servername"].filter((key) => options[key] !== undefined).map((key) => [key, options[key]]));
      this.#agent = secure ? new HttpsAgent({ ...tls, keepAlive: true, maxSockets: 64 }) : new HttpAgent({ keepAlive: true, maxSockets: 64 });
    }
    return this.#agent;
  }
}

/** The whole body as text; `Aborted` when the signal fires while reading. */
async function readText(response: IncomingMessage, signal: AbortSignal | undefined): Promise<string> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of response as AsyncIterable<Buffer>) chunks.push(chunk);
  } catch (error) {
    if (signal?.aborted) throw abortedError(signal);
    throw error;
  }
  return Buffer.concat(chunks).toString("utf8");
}
