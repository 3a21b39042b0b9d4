import { assertValidObjectKey, invalidArgument } from "@kbackup/core";

/** The top folder of the store's own files (sidecars, temporary files, locks); no key may start with it. */
export const RESERVED_FOLDER = ".kbackup";

// File systems limit a name, not a path, to 255 bytes.
const MAX_SEGMENT_BYTES = 255;

/**
 * Throws `InvalidArgument` unless `key` is a valid object key (`assertValidObjectKey`) that also suits a
 * file system store: no backslash, no segment over 255 UTF-8 bytes, and not under the reserved top
 * folder `.kbackup`. Such a key can never name a path outside the root.
 */
export function assertValidFileSystemKey(key: unknown, field = "key"): asserts key is string {
  assertValidObjectKey(key, field);
  const quoted = JSON.stringify(key);
  if (key.includes("\\")) throw invalidArgument(field, `the object key ${quoted} contains a backslash`);
  const segments = key.split("/");
  for (const segment of segments) {
    if (Buffer.byteLength(segment) > MAX_SEGMENT_BYTES) {
      throw invalidArgument(field, `the object key ${quoted} has a segment longer than ${MAX_SEGMENT_BYTES} bytes`);
    }
  }
  if (segments[0] === RESERVED_FOLDER) throw invalidArgument(field, `the object key ${quoted} is under the store's reserved folder ${RESERVED_FOLDER}`);
}
