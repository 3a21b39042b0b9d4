import { KBackupError, type KBackupErrorCode } from "@kbackup/core";

/** The parts of a Kubernetes `Status` the mapping reads. */
export interface KubeStatusBody {
  message?: string;
  reason?: string;
  code?: number;
  details?: { name?: string; kind?: string; causes?: Array<{ field?: string; message?: string; reason?: string }>; retryAfterSeconds?: number };
}

/** The `Status` in a response body, or `undefined` when the body is not one. */
export function parseStatus(body: string): KubeStatusBody | undefined {
  try {
    const parsed = JSON.parse(body) as unknown;
    if (typeof parsed === "object" && parsed !== null && (parsed as { kind?: unknown }).kind === "Status") return parsed as KubeStatusBody;
  } catch {
    // Not JSON: a proxy's or load balancer's page.
  }
  return undefined;
}

/**
 * The KBackupError code of an HTTP error answer of the Kubernetes API: 404 NotFound, 409
 * AlreadyExists (reason AlreadyExists) or Conflict, 400 and 422 InvalidArgument, 401 and 403
 * PermissionDenied, 405 and 415 Unsupported, 410 Expired, 429 Throttled, 408 and 5xx Unavailable.
 */
export function codeOfHttpStatus(status: number, reason: string | undefined): KBackupErrorCode {
  if (status === 404) return "NotFound";
  if (status === 409) return reason === "AlreadyExists" ? "AlreadyExists" : "Conflict";
  if (status === 400 || status === 422) return "InvalidArgument";
  if (status === 401 || status === 403) return "PermissionDenied";
  if (status === 405 || status === 415) return "Unsupported";
  if (status === 410) return "Expired";
  if (status === 429) return "Throttled";
  if (status === 408 || status >= 500) return "Unavailable";
  return "Adapter";
}

/** The KBackupError for an HTTP error answer, with the server's message, the status and reason in `details`. */
export function errorFromResponse(status: number, body: string, request: { method: string; path: string }): KBackupError {
  const parsed = parseStatus(body);
  const code = codeOfHttpStatus(status, parsed?.reason);
  const message = parsed?.message ?? (body.trim().slice(0, 200) || `HTTP ${status}`);
  const field = parsed?.details?.causes?.find((cause) => typeof cause.field === "string")?.field;
  return new KBackupError(code, `${request.method} ${request.path}: ${message}`, {
    ...(field === undefined ? {} : { field }),
    details: { httpStatus: status, ...(parsed?.reason === undefined ? {} : { reason: parsed.reason }), ...(parsed?.details?.name === undefined ? {} : { name: parsed.details.name }) },
  });
}

/** A lost or refused connection, a TLS failure or a reset: the server could not be reached. */
export function connectionError(error: unknown, request: { method: string; path: string }): KBackupError {
  const reason = error instanceof Error ? error.message : String(error);
  return new KBackupError("Unavailable", `${request.method} ${request.path}: the API server could not be reached: ${reason}`, { cause: error });
}
