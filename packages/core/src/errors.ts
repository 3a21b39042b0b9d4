/** Every failure kbackup reports carries one of these codes. */
export const KBACKUP_ERROR_CODES = [
  "InvalidArgument",
  "NotFound",
  "AlreadyExists",
  "PreconditionFailed",
  "Conflict",
  "Integrity",
  "Unsupported",
  "PermissionDenied",
  "Timeout",
  "Aborted",
  "Adapter",
  "Expired",
  "Throttled",
  "Unavailable",
] as const;

/** One of {@link KBACKUP_ERROR_CODES}: what kind of failure a {@link KBackupError} is. */
export type KBackupErrorCode = (typeof KBACKUP_ERROR_CODES)[number];

/** Options of the {@link KBackupError} constructor: what the error is about, beyond its code and message. */
export interface KBackupErrorOptions {
  /** The underlying error, kept for diagnosis. */
  cause?: unknown;
  /** The argument or item path the error is about, for example `datasourceParameters.labelSelectors[2]`. */
  field?: string;
  /** Extra machine-readable facts (HTTP status, object key, ...). */
  details?: Record<string, unknown>;
}

// A global symbol, so that two loaded copies of @kbackup/core recognise each other's errors.
const brand = Symbol.for("kbackup.error");

/** The one error class kbackup throws. Check it with {@link isKBackupError}, not `instanceof`. */
export class KBackupError extends Error {
  override readonly name = "KBackupError" as const;
  readonly code: KBackupErrorCode;
  readonly field: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: KBackupErrorCode, message: string, options: KBackupErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.field = options.field;
    this.details = options.details;
    Object.defineProperty(this, brand, { value: true });
  }
}

/** True for a KBackupError from any loaded copy of @kbackup/core; with `code`, also checks the code. */
export function isKBackupError(value: unknown, code?: KBackupErrorCode): value is KBackupError {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as { [brand]?: unknown; name?: unknown; code?: unknown };
  const branded = candidate[brand] === true || (candidate.name === "KBackupError" && typeof candidate.code === "string");
  return branded && (code === undefined || candidate.code === code);
}

/**
 * Codes of transient failures that an operation may retry with backoff: throttling (HTTP 429),
 * an unavailable server (5xx, a dropped connection) and a timeout of a single request.
 */
export const RETRYABLE_ERROR_CODES: readonly KBackupErrorCode[] = ["Throttled", "Unavailable", "Timeout"];

/** True when `error` is a KBackupError whose code says a retry may succeed. */
export function isRetryable(error: unknown): boolean {
  return isKBackupError(error) && RETRYABLE_ERROR_CODES.includes(error.code);
}

/** Shorthand for the most common error: a bad argument, naming its field. */
export function invalidArgument(field: string, message: string, cause?: unknown): KBackupError {
  return new KBackupError("InvalidArgument", `${field}: ${message}`, { field, cause });
}

/** The error to throw when an AbortSignal fired. */
export function abortedError(signal?: AbortSignal): KBackupError {
  return new KBackupError("Aborted", "The operation was aborted.", { cause: signal?.reason });
}

/** Throws an Aborted KBackupError if the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortedError(signal);
}
