import { KBackupError } from "../errors.js";
import type { ChunkerParameters } from "./chunker.js";
import type { WrappedKey } from "./key-provider.js";

/** The `format` member of every repository config. */
export const REPOSITORY_FORMAT = "kbackup-repository";
/** The config version this code writes and reads. */
export const REPOSITORY_FORMAT_VERSION = 1;

/** The repository's `config` object: plain JSON, written once when the repository is created. */
export interface RepositoryConfig {
  format: typeof REPOSITORY_FORMAT;
  version: number;
  /** 32 hex digits; the HKDF salt of the repository's keys. */
  repositoryId: string;
  createdAt: string;
  chunker: ChunkerParameters;
  /** Target size of packs' chunk data in bytes. */
  packTargetSizeInBytes: number;
  /** The 32-byte master key, wrapped by the key provider. */
  key: WrappedKey;
  /** Base64 HMAC-SHA-256(chunk id key, "kbackup repository key check"). */
  keyCheck: string;
}

/** Parses the config object; `Integrity` naming `key` when malformed, `Unsupported` for another format or version. */
export function parseConfig(bytes: Uint8Array, key: string): RepositoryConfig {
  let value: Partial<RepositoryConfig>;
  try {
    value = JSON.parse(Buffer.from(bytes).toString("utf8")) as Partial<RepositoryConfig>;
  } catch (cause) {
    throw new KBackupError("Integrity", `The repository config ${key} is not JSON.`, { cause, details: { key } });
  }
  if (value?.format !== REPOSITORY_FORMAT) throw new KBackupError("Unsupported", `The object ${key} is not a kbackup repository config.`, { details: { key } });
  if (value.version !== REPOSITORY_FORMAT_VERSION) {
    throw new KBackupError("Unsupported", `The repository at ${key} has format version ${String(value.version)}; this kbackup reads version ${REPOSITORY_FORMAT_VERSION}.`, { details: { key } });
  }
  if (typeof value.repositoryId !== "string" || !/^[0-9a-f]{32}$/.test(value.repositoryId) || typeof value.keyCheck !== "string" || typeof value.key !== "object" || value.key === null || typeof value.chunker !== "object" || !Number.isSafeInteger(value.packTargetSizeInBytes)) {
    throw new KBackupError("Integrity", `The repository config ${key} lacks its id, key, key check, chunker or pack size.`, { details: { key } });
  }
  return value as RepositoryConfig;
}
