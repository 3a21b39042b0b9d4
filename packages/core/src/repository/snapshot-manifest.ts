import { KBackupError } from "../errors.js";
import type { ChunkRef, RepositoryContent, RepositorySnapshot } from "./repository-content.js";

/** The version of the snapshot manifest's JSON. */
export const SNAPSHOT_FORMAT_VERSION = 1;

const ROW = 36;

/** A content's chunks as bytes: per chunk, its id (32 bytes) and its length (u32 little-endian). */
export function encodeChunkTable(chunks: readonly ChunkRef[]): Uint8Array {
  const out = Buffer.alloc(chunks.length * ROW);
  let at = 0;
  for (const chunk of chunks) {
    out.write(chunk.id, at, 32, "hex");
    out.writeUInt32LE(chunk.length, at + 32);
    at += ROW;
  }
  return out;
}

/** The chunks of a table, offsets summed from 0; `Integrity` naming `key` unless they add up to `sizeInBytes`. */
export function decodeChunkTable(table: Uint8Array, sizeInBytes: number, key: string): ChunkRef[] {
  const data = Buffer.from(table.buffer, table.byteOffset, table.byteLength);
  if (data.length % ROW !== 0) throw new KBackupError("Integrity", `A chunk table in ${key} is cut short.`, { details: { key } });
  const chunks: ChunkRef[] = new Array(data.length / ROW);
  let offset = 0;
  for (let i = 0, at = 0; at < data.length; i++, at += ROW) {
    const length = data.readUInt32LE(at + 32);
    chunks[i] = { offset, length, id: data.toString("hex", at, at + 32) };
    offset += length;
  }
  if (offset !== sizeInBytes) throw new KBackupError("Integrity", `A chunk table in ${key} adds up to ${offset} bytes, not ${sizeInBytes}.`, { details: { key } });
  return chunks;
}

interface ManifestContent {
  sizeInBytes: number;
  chunks: string;
}

/** A snapshot as the UTF-8 JSON plaintext of its manifest, chunk tables in base64. */
export function encodeSnapshot(snapshot: RepositorySnapshot): Uint8Array {
  const contents = (record: Record<string, RepositoryContent>) =>
    Object.fromEntries(Object.entries(record).map(([name, content]) => [name, { sizeInBytes: content.sizeInBytes, chunks: Buffer.from(encodeChunkTable(content.chunks)).toString("base64") }]));
  const json = {
    formatVersion: SNAPSHOT_FORMAT_VERSION,
    id: snapshot.id,
    time: snapshot.time,
    copyId: snapshot.copyId,
    volumes: contents(snapshot.volumes),
    blobs: contents(snapshot.blobs),
    properties: snapshot.properties,
    tags: snapshot.tags,
  };
  return Buffer.from(JSON.stringify(json), "utf8");
}

/** Parses a manifest's plaintext; `Integrity` naming `key` when it is malformed, `Unsupported` for another version. */
export function decodeSnapshot(bytes: Uint8Array, key: string): RepositorySnapshot {
  const damaged = (why: string, cause?: unknown) => new KBackupError("Integrity", `The snapshot manifest ${key} is malformed: ${why}.`, { cause, details: { key } });
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(Buffer.from(bytes).toString("utf8")) as Record<string, unknown>;
  } catch (cause) {
    throw damaged("not JSON", cause);
  }
  if (typeof value !== "object" || value === null) throw damaged("not an object");
  if (value.formatVersion !== SNAPSHOT_FORMAT_VERSION) {
    throw new KBackupError("Unsupported", `The snapshot manifest ${key} has format version ${String(value.formatVersion)}; this kbackup reads version ${SNAPSHOT_FORMAT_VERSION}.`, { details: { key } });
  }
  for (const field of ["id", "time", "copyId"] as const) if (typeof value[field] !== "string") throw damaged(`no ${field}`);
  const contents = (field: "volumes" | "blobs"): Record<string, RepositoryContent> => {
    const record = value[field];
    if (typeof record !== "object" || record === null) throw damaged(`no ${field}`);
    const out: Record<string, RepositoryContent> = {};
    for (const [name, content] of Object.entries(record as Record<string, ManifestContent>)) {
      if (typeof content?.sizeInBytes !== "number" || typeof content.chunks !== "string") throw damaged(`${field}.${name} lacks its size or chunks`);
      out[name] = { sizeInBytes: content.sizeInBytes, chunks: decodeChunkTable(Buffer.from(content.chunks, "base64"), content.sizeInBytes, key) };
    }
    return out;
  };
  return {
    id: value.id as string,
    time: value.time as string,
    copyId: value.copyId as string,
    volumes: contents("volumes"),
    blobs: contents("blobs"),
    properties: (value.properties ?? {}) as Record<string, unknown>,
    tags: (value.tags ?? {}) as Record<string, string>,
  };
}
