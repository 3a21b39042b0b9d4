import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto";

/** The keys a repository works with, all derived from its one 32-byte master key. */
export interface RepositoryKeys {
  /** AES-256-GCM key of chunks, packs' trailers, indexes and snapshots. */
  encryptionKey: Uint8Array;
  /** HMAC-SHA-256 key of chunk ids. */
  idKey: Uint8Array;
}

/** HKDF-SHA-256 of the master key, salted with the repository id, for each purpose. */
export function deriveRepositoryKeys(masterKey: Uint8Array, repositoryId: string): RepositoryKeys {
  const derive = (purpose: string) => new Uint8Array(hkdfSync("sha256", masterKey, Buffer.from(repositoryId, "utf8"), `kbackup repository ${purpose}`, 32));
  return { encryptionKey: derive("encryption"), idKey: derive("chunk id") };
}

/** Base64 of HMAC-SHA-256(idKey, "kbackup repository key check"): lets `open` tell a wrong key from damage. */
export function keyCheck(keys: RepositoryKeys): string {
  return createHmac("sha256", keys.idKey).update("kbackup repository key check").digest("base64");
}

/** True when `check` (from the config) was made with these keys. */
export function keyCheckMatches(keys: RepositoryKeys, check: string): boolean {
  const expected = Buffer.from(keyCheck(keys), "base64");
  const actual = Buffer.from(check, "base64");
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
