import { KBackupError, isKBackupError, throwIfAborted } from "../errors.js";
import type { ObjectStore } from "../ports/object-store.js";
import { CATALOGUE_FORMAT_VERSION } from "./catalogue-records.js";

/** A JSON object read from a store, with the ETag a conditional update must name. */
export interface Versioned<T> {
  value: T;
  etag: string;
}

/** How often an update is tried again after losing a race before it gives up with Conflict. */
const MAX_UPDATE_ATTEMPTS = 100;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function encode(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

/**
 * Reads a catalogue object; `undefined` when it is missing.
 * @throws Integrity when it is not JSON; Unsupported for another format version.
 */
export async function readJson<T>(store: ObjectStore, key: string, abortSignal?: AbortSignal): Promise<Versioned<T> | undefined> {
  const object = await store.get(key, { abortSignal });
  if (object === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(object.body));
  } catch (cause) {
    throw new KBackupError("Integrity", `The catalogue object ${key} is not valid JSON.`, { cause, details: { key } });
  }
  const version = (value as { formatVersion?: unknown } | null)?.formatVersion;
  if (version !== undefined && version !== CATALOGUE_FORMAT_VERSION) {
    throw new KBackupError("Unsupported", `The catalogue object ${key} has format version ${String(version)}; this kbackup reads version ${CATALOGUE_FORMAT_VERSION}.`, { details: { key } });
  }
  return { value: value as T, etag: object.info.etag };
}

/** Creates a catalogue object; AlreadyExists when the key is taken. Returns its ETag. */
export async function createJson(store: ObjectStore, key: string, value: unknown, abortSignal?: AbortSignal): Promise<string> {
  const info = await store.put(key, encode(value), { ifNoneMatch: "*", contentType: "application/json", abortSignal });
  return info.etag;
}

/** Replaces a catalogue object if its ETag is still `etag`; PreconditionFailed otherwise. Returns the new ETag. */
export async function replaceJson(store: ObjectStore, key: string, value: unknown, etag: string, abortSignal?: AbortSignal): Promise<string> {
  const info = await store.put(key, encode(value), { ifMatch: etag, contentType: "application/json", abortSignal });
  return info.etag;
}

/**
 * Read-modify-write of a catalogue object that other processes may change at the same time: reads
 * it, calls `change` on the value read (which may change it in place, or return `false` to write
 * nothing), and writes it only if nobody wrote in between; when somebody did, it reads again and
 * calls `change` again, so `change` must be a function of what it is given.
 * @returns the value as stored, and its ETag.
 * @throws NotFound when the object is missing; Conflict after losing {@link MAX_UPDATE_ATTEMPTS} races
 *   in a row; whatever `change` throws.
 */
export async function updateJson<T>(store: ObjectStore, key: string, change: (value: T) => boolean | void, abortSignal?: AbortSignal): Promise<Versioned<T>> {
  for (let attempt = 1; ; attempt++) {
    throwIfAborted(abortSignal);
    const current = await readJson<T>(store, key, abortSignal);
    if (current === undefined) throw new KBackupError("NotFound", `The catalogue object ${key} does not exist.`, { details: { key } });
    if (change(current.value) === false) return current;
    try {
      const etag = await replaceJson(store, key, current.value, current.etag, abortSignal);
      return { value: current.value, etag };
    } catch (error) {
      if (!isKBackupError(error, "PreconditionFailed")) throw error;
      if (attempt >= MAX_UPDATE_ATTEMPTS) {
        throw new KBackupError("Conflict", `The catalogue object ${key} kept changing; gave up after ${attempt} attempts.`, { cause: error, details: { key } });
      }
    }
  }
}

/** Every key under `prefix`, in key order. */
export async function listKeys(store: ObjectStore, prefix: string, abortSignal?: AbortSignal): Promise<string[]> {
  const keys: string[] = [];
  for await (const info of store.list(prefix, { abortSignal })) keys.push(info.key);
  return keys;
}
