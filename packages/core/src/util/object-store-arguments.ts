import { invalidArgument } from "../errors.js";
import type { ByteRange, ObjectBody } from "../ports/object-store.js";

/*
 * Checks of the arguments the ObjectStore contract defines, for adapter authors: an adapter that
 * calls them before any I/O rejects exactly what the conformance suite expects it to reject, with
 * the same fields and messages as every other adapter. An adapter with stricter rules of its own
 * (a name length limit, a reserved folder) checks those after these.
 */

/**
 * Throws `InvalidArgument` unless `key` is a valid object key: a non-empty string of `/`-separated
 * segments, none empty, `.` or `..`, with no NUL. (A leading or trailing `/` makes an empty segment.)
 */
export function assertValidObjectKey(key: unknown, field = "key"): asserts key is string {
  if (typeof key !== "string" || key === "") throw invalidArgument(field, "an object key must be a non-empty string");
  if (key.includes("\0")) throw invalidArgument(field, `the object key ${JSON.stringify(key)} contains a NUL character`);
  for (const segment of key.split("/")) {
    if (segment === "" || segment === "." || segment === "..") {
      throw invalidArgument(field, `the object key ${JSON.stringify(key)} has an empty, "." or ".." segment`);
    }
  }
}

const METADATA_KEY = /^[a-z0-9_]+$/;

/** Throws `InvalidArgument` unless `metadata` is absent or maps lower-case letters, digits and `_` to strings. */
export function assertValidObjectMetadata(metadata: unknown, field = "options.metadata"): asserts metadata is Record<string, string> | undefined {
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
export function assertValidByteRange(range: unknown, field = "options.range"): asserts range is ByteRange | undefined {
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

/** Throws `InvalidArgument` unless the page size a list is asked for is absent or a positive integer. */
export function assertValidPageSize(maxPageSize: unknown, field = "maxPageSize"): asserts maxPageSize is number | undefined {
  if (maxPageSize === undefined) return;
  if (!Number.isSafeInteger(maxPageSize) || (maxPageSize as number) < 1) throw invalidArgument(field, "must be a positive integer");
}

/** Throws `InvalidArgument` unless `body` is a Uint8Array or an async iterable (of Uint8Array chunks). */
export function assertValidObjectBody(body: unknown, field = "body"): asserts body is ObjectBody {
  if (body instanceof Uint8Array) return;
  if (typeof body === "object" && body !== null && Symbol.asyncIterator in body) return;
  throw invalidArgument(field, "a body must be a Uint8Array or an async iterable of Uint8Array chunks");
}

/**
 * Throws `InvalidArgument` for malformed or contradictory write conditions: `ifNoneMatch` other
 * than `"*"`, an `ifMatch` that is not a non-empty string, or both at once.
 */
export function assertValidWriteConditions(options: { ifNoneMatch?: unknown; ifMatch?: unknown }): void {
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

/**
 * The bytes `range` selects from an object of `size` bytes, as `[start, end)`: cut at the end, and
 * empty (`start === end === size`) for a range starting past it. No range selects the whole object.
 */
export function byteRangeBounds(size: number, range: ByteRange | undefined): { start: number; end: number } {
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
