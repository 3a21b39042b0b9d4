import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { invalidArgument } from "@kbackup/core";

/** Options of {@link startThrottlingProxy}. */
export interface ThrottlingProxyOptions {
  /** Where requests go when they are not failed: `http://127.0.0.1:<port>`. */
  target: string;
}

/** An HTTP proxy on 127.0.0.1 that answers some requests with an error status instead of forwarding them. */
export interface ThrottlingProxy {
  /** `http://127.0.0.1:<port>`: use it in place of the target's origin. */
  readonly url: string;
  /** The port it listens on. */
  readonly port: number;
  /** Requests answered with an error so far. */
  readonly failed: number;
  /** Requests forwarded to the target so far. */
  readonly forwarded: number;
  /** Answers the next `count` requests (that `match`, when given) with `status` (429 or 5xx). */
  failNext(count: number, status: number, match?: (request: IncomingMessage) => boolean): void;
  /** Answers every request with `status` until `stopFailing`. */
  failAlways(status: number): void;
  /** Forwards every request again. */
  stopFailing(): void;
  /** Closes the proxy and every connection through it. */
  close(): Promise<void>;
}

/**
 * Starts an HTTP proxy in front of `target` that can answer requests with 429 or 503, the way a
 * throttled Azure service does (`x-ms-error-code: ServerBusy`, `Retry-After: 1`), to test retries.
 */
export async function startThrottlingProxy(options: ThrottlingProxyOptions): Promise<ThrottlingProxy> {
  let target: URL;
  try {
    target = new URL(options.target);
  } catch (error) {
    throw invalidArgument("options.target", "must be an http URL", error);
  }
  let failCount = 0;
  let failStatus = 503;
  let failMatch: ((request: IncomingMessage) => boolean) | undefined;
  let always = false;
  let failed = 0;
  let forwarded = 0;
  const sockets = new Set<Socket>();

  const fail = (request: IncomingMessage, response: ServerResponse) => {
    failed++;
    // Read the whole request first, as a server does, so the client sees a clean answer.
    request.resume();
    request.once("end", () => {
      const code = failStatus === 429 || failStatus === 503 ? "ServerBusy" : "InternalError";
      response.writeHead(failStatus, { "x-ms-error-code": code, "retry-after": "1", "content-type": "application/xml", connection: "close" });
      response.end(`<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>The proxy refused the request.</Message></Error>`);
    });
  };

  const server = createServer((request, response) => {
    if (always || (failCount > 0 && (failMatch === undefined || failMatch(request)))) {
      if (!always) failCount--;
      return fail(request, response);
    }
    forwarded++;
    const upstream = httpRequest(
      { host: target.hostname, port: target.port, method: request.method, path: request.url, headers: request.headers },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.on("error", () => response.destroy());
    request.pipe(upstream);
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get failed() {
      return failed;
    },
    get forwarded() {
      return forwarded;
    },
    failNext(count, status, match) {
      failCount = count;
      failStatus = status;
      failMatch = match;
    },
    failAlways(status) {
      always = true;
      failStatus = status;
    },
    stopFailing() {
      always = false;
      failCount = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
