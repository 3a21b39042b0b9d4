import { invalidArgument, type ByteRange, type ObjectBody } from "@kbackup/core";

/** The top folder of the store's own files (sidecars, temporary files, locks); no key may start with it. */
export const RESERVED_FOLDER = ".kbackup";

// File systems limit a name, not a path, to 255 bytes.
const MAX_SEGMENT_BYTES = 255;

/**
 * Throws `InvalidArgument` unless `key` is a valid object key for a file system store: a non-empty
 * string of `/`-separated segments, none empty, `.` or `..`, with no NUL and no backslash, no segment
 * over 255 UTF-8 bytes, and not under the reserved top folder `.kbackup`. Such a key can never name a
 * path outside the root.
 */
export function assertValidObjectKey(key: unknown, field = "key"): asserts key is string {
  if (typeof key !== "string" || key === "") throw invalidArgument(field, "an object key must be a non-empty string");
  const quoted = JSON.stringify(key);
  if (key.includes("\0")) throw invalidArgument(field, `the object key ${quoted} contains a NUL character`);
  if (key.includes("\\")) throw invalidArgument(field, `the object key ${quoted} contains a backslash`);
  const segments = key.split("/");
  for (const segment of segments) {
    if (segment === "" || segment === "." || segment === "..") {
      throw invalidArgument(field, `the object key ${quoted} has an empty, "." or ".." segment`);
    }
    if (Buffer.byteLength(segment) > MAX_SEGMENT_BYTES) {
      throw invalidArgument(field, `the object key ${quoted} has a segment longer than ${MAX_SEGMENT_BYTES} bytes`);
    }
  }
  if (segments[0] === RESERVED_FOLDER) throw invalidArgument(field, `the object key ${quoted} is under the store's reserved folder ${RESERVED_FOLDER}`);
}

const METADATA_KEY = /^[a-z0-9_]+$/;

/** Throws `InvalidArgument` unless `metadata` maps lower-case letters, digits and `_` to strings. */
export function assertValidMetadata(metadata: unknown, field = "options.metadata"): asserts metadata is Record<string, string> | undefined {
  if (metadata === undefined) return;
  if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) {
    throw invalidArgument(field, "metadata must be an object of string values");
  }
  for (const [name, value] of Object.entries(metadata)) {
    if (!METADATA_KEY.test(name)) throw invalidArgument(`${field}.${name}`, "metadata keys are lower-case letters, digits and _");
    if (typeof value !== "string") throw invalidArgument(`${field}.${name}`, "metadata values must be strings");
  }
}

/** Throws `InvalidArgument` unless `range` is absent or a non-negative integer offset and length. */
export function assertValidRange(range: unknown, field = "options.range"): asserts range is ByteRange | undefined {
  if (range === undefined) return;
  const candidate = range as Partial<ByteRange> | null;
  if (typeof candidate !== "object" || candidate === null) throw invalidArgument(field, "a range must be { offset, length? }");
  if (!Number.isSafeInteger(candidate.offset) || (candidate.offset as number) < 0) {
    throw invalidArgument(`${field}.offset`, "must be a non-negative integer");
  }
  if (candidate.length !== undefined && (!Number.isSafeInteger(candidate.length) || candidate.length < 0)) {
    throw invalidArgument(`${field}.length`, "must be a non-negative integer");
  }
}

/** Throws `InvalidArgument` unless the page size is absent or a positive integer. */
export function assertValidPageSize(maxPageSize: unknown, field = "maxPageSize"): asserts maxPageSize is number | undefined {
  if (maxPageSize === undefined) return;
  if (!Number.isSafeInteger(maxPageSize) || (maxPageSize as number) < 1) throw invalidArgument(field, "must be a positive integer");
}

/** Throws `InvalidArgument` unless `body` is a Uint8Array or an async iterable of them. */
export function assertValidBody(body: unknown, field = "body"): asserts body is ObjectBody {
  if (body instanceof Uint8Array) return;
  if (typeof body === "object" && body !== null && Symbol.asyncIterator in body) return;
  throw invalidArgument(field, "a body must be a Uint8Array or an async iterable of Uint8Array chunks");
}

/** Throws `InvalidArgument` for contradictory or malformed write conditions. */
export function assertValidConditions(options: { ifNoneMatch?: unknown; ifMatch?: unknown }): void {
  if (options.ifNoneMatch !== undefined && options.ifNoneMatch !== "*") {
    throw invalidArgument("options.ifNoneMatch", 'the only supported value is "*"');
  }
  if (options.ifMatch !== undefined && (typeof options.ifMatch !== "string" || options.ifMatch === "")) {
    throw invalidArgument("options.ifMatch", "must be a non-empty ETag string");
  }
  if (options.ifNoneMatch !== undefined && options.ifMatch !== undefined) {
    throw invalidArgument("options.ifMatch", "cannot be combined with ifNoneMatch");
  }
}

/** The bytes `range` selects from an object of `size` bytes: cut at the end, empty past it. */
export function rangeBounds(size: number, range: ByteRange | undefined): { start: number; end: number } {
  const start = Math.min(range?.offset ?? 0, size);
  const end = range?.length === undefined ? size : Math.min(size, start + range.length);
  return { start, end };
}

/** True when two ETags name the same version, whether either is quoted or weak (`W/"..."`) or not. */
export function sameEtag(a: string, b: string): boolean {
  return bareEtag(a) === bareEtag(b);
}

function bareEtag(etag: string): string {
  const strong = etag.startsWith("W/") ? etag.slice(2) : etag;
  return strong.length >= 2 && strong.startsWith('"') && strong.endsWith('"') ? strong.slice(1, -1) : strong;
}
