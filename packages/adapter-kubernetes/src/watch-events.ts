import type { IncomingMessage } from "node:http";
import { StringDecoder } from "node:string_decoder";
import { KBackupError, type KubeObject } from "@kbackup/core";
import { errorFromResponse } from "./kube-errors.js";

/** One event of a watch. */
export interface WatchEvent {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK";
  object: KubeObject;
}

/**
 * The events of a watch response, one JSON object a line, until the server ends the stream. An
 * `ERROR` event becomes the error its `Status` stands for (410 `Expired` when the watch's
 * resourceVersion is too old); a line that is not JSON is `Adapter`.
 */
export async function* watchEvents(response: IncomingMessage, path: string): AsyncGenerator<WatchEvent> {
  const decoder = new StringDecoder("utf8");
  let pending = "";
  for await (const chunk of response as AsyncIterable<Buffer>) {
    pending += decoder.write(chunk);
    let newline = pending.indexOf("\n");
    while (newline >= 0) {
      const line = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      if (line !== "") yield parseEvent(line, path);
      newline = pending.indexOf("\n");
    }
  }
  if (pending.trim() !== "") yield parseEvent(pending.trim(), path);
}

function parseEvent(line: string, path: string): WatchEvent {
  let event: { type?: unknown; object?: unknown };
  try {
    event = JSON.parse(line) as { type?: unknown; object?: unknown };
  } catch (error) {
    throw new KBackupError("Adapter", `GET ${path}: the watch sent a line that is not JSON`, { cause: error });
  }
  if (event.type === "ERROR") {
    const status = event.object as { code?: unknown };
    throw errorFromResponse(typeof status?.code === "number" ? status.code : 500, JSON.stringify(event.object), { method: "GET", path });
  }
  return event as WatchEvent;
}
