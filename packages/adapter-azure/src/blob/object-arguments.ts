import { assertValidObjectKey, assertValidObjectMetadata, assertValidWriteConditions, invalidArgument } from "@kbackup/core";

/**
 * Throws `InvalidArgument` unless `key` is a valid object key (`assertValidObjectKey`) of at most
 * 1,024 characters, Azure's limit on a blob name.
 */
export function assertValidKey(key: unknown, field = "key"): asserts key is string {
  assertValidObjectKey(key, field);
  // Blob names are at most 1,024 characters; the prefix is checked with the whole name.
  if (key.length > 1024) throw invalidArgument(field, "an object key has at most 1,024 characters");
}

// Metadata travels in HTTP headers, which carry visible ASCII and inner spaces only.
const METADATA_VALUE = /^(?:[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?)?$/;

/**
 * Throws `InvalidArgument` unless `metadata` is valid object metadata (`assertValidObjectMetadata`)
 * whose values are printable ASCII without leading or trailing spaces (what an HTTP header keeps exactly).
 */
export function assertValidMetadata(metadata: unknown, field = "options.metadata"): asserts metadata is Record<string, string> | undefined {
  assertValidObjectMetadata(metadata, field);
  if (metadata === undefined) return;
  for (const [name, value] of Object.entries(metadata)) {
    if (!METADATA_VALUE.test(value)) {
      throw invalidArgument(`${field}.${name}`, "Azure keeps metadata values of printable ASCII without leading or trailing spaces only");
    }
  }
}

/** Throws `InvalidArgument` for malformed or contradictory write conditions (`assertValidWriteConditions`) or an empty lease id. */
export function assertValidConditions(options: { ifNoneMatch?: unknown; ifMatch?: unknown; leaseId?: unknown }): void {
  assertValidWriteConditions(options);
  if (options.leaseId !== undefined && (typeof options.leaseId !== "string" || options.leaseId === "")) {
    throw invalidArgument("options.leaseId", "must be a non-empty lease id");
  }
}
