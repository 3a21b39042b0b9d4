import { createHash, randomUUID } from "node:crypto";
import { join, resolve } from "node:path";
import { RESERVED_FOLDER } from "./object-store-arguments.js";

/**
 * Where a file system object store keeps what. An object's bytes are the plain file `<root>/<key>`,
 * so a store can be read with ordinary tools. The store's own files live under `<root>/.kbackup/`,
 * which no key can reach and listing skips:
 * - `meta/<h>/<hash of key>.json`: the sidecar with the object's ETag, content type and metadata;
 * - `tmp/`: bodies and sidecars being written, renamed into place once whole;
 * - `locks/<hash of key>.lock`: held while a write or delete of that key commits.
 * Sidecars and locks are named by a hash of the key, so their folders never clash with key folders.
 */
export class StoreLayout {
  readonly root: string;
  readonly reserved: string;
  readonly temporary: string;
  readonly sidecars: string;
  readonly locks: string;

  constructor(root: string) {
    this.root = resolve(root);
    this.reserved = join(this.root, RESERVED_FOLDER);
    this.temporary = join(this.reserved, "tmp");
    this.sidecars = join(this.reserved, "meta");
    this.locks = join(this.reserved, "locks");
  }

  /** The file holding the object's bytes. `key` must have been validated. */
  objectPath(key: string): string {
    return join(this.root, ...key.split("/"));
  }

  /** The sidecar file of `key`. */
  sidecarPath(key: string): string {
    const hash = hashOf(key);
    return join(this.sidecars, hash.slice(0, 2), `${hash}.json`);
  }

  /** The lock file of `key`. */
  lockPath(key: string): string {
    return join(this.locks, `${hashOf(key)}.lock`);
  }

  /** A new, unique temporary file name. */
  temporaryPath(): string {
    return join(this.temporary, `${randomUUID()}.tmp`);
  }
}

function hashOf(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}
