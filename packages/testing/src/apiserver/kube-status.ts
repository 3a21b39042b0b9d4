import { isKBackupError } from "@kbackup/core";

/** A Kubernetes `meta/v1 Status`: what the API server answers a failed request (and some deletes) with. */
export interface KubeStatus {
  kind: "Status";
  apiVersion: "v1";
  metadata: Record<string, never>;
  status: "Success" | "Failure";
  message?: string;
  reason?: string;
  details?: { name?: string; group?: string; kind?: string; uid?: string; causes?: Array<{ reason?: string; message?: string; field?: string }>; retryAfterSeconds?: number };
  code: number;
}

/** A request that ends with a `Status` answer; thrown inside the server's handlers. */
export class StatusError extends Error {
  readonly status: KubeStatus;

  constructor(status: KubeStatus) {
    super(status.message);
    this.status = status;
  }
}

/** What a failed request was about, for the messages Kubernetes words around a resource and name. */
export interface StatusContext {
  /** The resource plural (`configmaps`), as Kubernetes names it in `details.kind`. */
  resource?: string;
  group?: string;
  name?: string;
  /** The patch type of a PATCH request, so that a refused strategic patch is a 415. */
  patchType?: string;
}

/** A failure `Status` with a code, reason and message. */
export function failure(code: number, reason: string, message: string, details?: KubeStatus["details"]): KubeStatus {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, ...(details === undefined ? {} : { details }), code };
}

/** A success `Status`, as a delete of an object that is gone at once answers. */
export function success(details?: KubeStatus["details"]): KubeStatus {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", ...(details === undefined ? {} : { details }), code: 200 };
}

/** `StatusError` for a path the server does not serve. */
export function pathNotFound(): StatusError {
  return new StatusError(failure(404, "NotFound", "the server could not find the requested resource", {}));
}

/** `StatusError` for a malformed request. */
export function badRequest(message: string): StatusError {
  return new StatusError(failure(400, "BadRequest", message));
}

/** `StatusError` for a verb a path does not serve. */
export function methodNotAllowed(method: string): StatusError {
  return new StatusError(failure(405, "MethodNotAllowed", `the server does not allow this method on the requested resource (${method})`));
}

/**
 * The `Status` Kubernetes answers for an error of the cluster behind the server: a KBackupError's
 * code becomes the HTTP code and reason Kubernetes uses for it (NotFound 404, AlreadyExists and
 * Conflict 409, InvalidArgument 422 for the object's fields and 400 otherwise, PermissionDenied
 * 403, Expired 410, Unsupported 415 for a strategic patch and 405 otherwise, Throttled 429,
 * Unavailable 503, Timeout 504); anything else is a 500 InternalError. A `StatusError` passes as is.
 */
export function statusOf(error: unknown, context: StatusContext = {}): KubeStatus {
  if (error instanceof StatusError) return error.status;
  const message = error instanceof Error ? error.message : String(error);
  const { resource, group, name } = context;
  const details = { ...(name === undefined ? {} : { name }), ...(group ? { group } : {}), ...(resource === undefined ? {} : { kind: resource }) };
  const subject = resource === undefined ? "object" : `${resource}${group ? `.${group}` : ""}`;
  if (!isKBackupError(error)) return failure(500, "InternalError", `Internal error occurred: ${message}`);
  switch (error.code) {
    case "NotFound":
      return failure(404, "NotFound", name === undefined ? message : `${subject} "${name}" not found`, details);
    case "AlreadyExists":
      return failure(409, "AlreadyExists", name === undefined ? message : `${subject} "${name}" already exists`, details);
    case "Conflict":
      return failure(409, "Conflict", `Operation cannot be fulfilled on ${subject} "${name ?? ""}": ${message}`, details);
    case "InvalidArgument":
    case "PreconditionFailed": {
      const field = error.field?.replace(/^(object|patch)\.?/, "");
      if (error.code === "InvalidArgument" && !isObjectField(error.field)) return failure(400, "BadRequest", message);
      return failure(422, "Invalid", `${subject} "${name ?? ""}" is invalid: ${message}`, {
        ...details,
        causes: [{ reason: "FieldValueInvalid", message, ...(field ? { field } : {}) }],
      });
    }
    case "PermissionDenied":
      return failure(403, "Forbidden", message, details);
    case "Expired":
      return failure(410, "Expired", message);
    case "Unsupported":
      return context.patchType === "strategic"
        ? failure(415, "UnsupportedMediaType", `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`)
        : failure(405, "MethodNotAllowed", message);
    case "Throttled":
      return failure(429, "TooManyRequests", message);
    case "Unavailable":
      return failure(503, "ServiceUnavailable", message);
    case "Timeout":
      return failure(504, "Timeout", message);
    default:
      return failure(500, "InternalError", `Internal error occurred: ${message}`);
  }
}

/** Fields of the object or patch a request sent are 422 Invalid; others (selectors, options) are 400. */
function isObjectField(field: string | undefined): boolean {
  return field === undefined || field.startsWith("object") || field.startsWith("patch") || field.startsWith("metadata");
}
