import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { failure, StatusError, type KubeStatus } from "./kube-status.js";

/** Request bodies larger than this are refused (413), as the API server refuses bodies over 3 MiB for objects. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

/**
 * Reads a request's body as JSON. Throws a `StatusError`: 415 for a protobuf body (the server speaks
 * JSON only), 413 for a body too large, 400 for one that is not JSON.
 */
export async function readJsonBody(request: IncomingMessage): Promise<unknown> {
  if ((request.headers["content-type"] ?? "").includes("protobuf")) {
    throw new StatusError(failure(415, "UnsupportedMediaType", "the body of the request was in an unknown format - accepted media types include: application/json"));
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new StatusError(failure(413, "RequestEntityTooLarge", "the request body is too large"));
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new StatusError(failure(400, "BadRequest", `the request body is not JSON: ${(error as Error).message}`));
  }
}

/** Answers with a JSON body. */
export function sendJson(response: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(code, { "Content-Type": "application/json", "Content-Length": String(Buffer.byteLength(text)), ...headers });
  response.end(text);
}

/** Answers with a `Status`, its code as the HTTP status. */
export function sendStatus(response: ServerResponse, status: KubeStatus, headers: Record<string, string> = {}): void {
  sendJson(response, status.code, status, headers);
}

/** Answers a connection that asked for an upgrade with a `Status`, without upgrading it. */
export function rejectUpgrade(socket: Duplex, status: KubeStatus): void {
  const text = JSON.stringify(status);
  const reason = status.reason ?? "Error";
  socket.end(`HTTP/1.1 ${status.code} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`);
}
