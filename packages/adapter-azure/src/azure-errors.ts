import { KBackupError, abortedError, isKBackupError, type KBackupErrorCode } from "@kbackup/core";

/** What a failed Azure call was doing, for the message of the error it becomes. */
export interface AzureErrorContext {
  /** What was being done, e.g. `put of backups/manifest.json`. */
  operation: string;
  /** The resource in question, e.g. `container "backups"` or `snapshot /subscriptions/...`. */
  resource: string;
  /** The caller's abort signal: when it fired, the failure is `Aborted` whatever the SDK said. */
  abortSignal?: AbortSignal | undefined;
}

/** The parts of an Azure SDK error (RestError, AbortError, a network error) that kbackup reads. */
interface AzureErrorShape {
  name?: string;
  code?: string;
  statusCode?: number;
  message?: string;
  details?: { errorCode?: string };
  response?: { headers?: { get?(name: string): string | undefined } };
}

const NETWORK_CODES = ["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "ESOCKETTIMEDOUT", "EPIPE", "ENOTFOUND", "EAI_AGAIN", "REQUEST_SEND_ERROR", "UND_ERR_SOCKET"];

/** The service's error code (`x-ms-error-code`, or an ARM error body's code) of an SDK error, if any. */
export function azureErrorCode(error: unknown): string | undefined {
  const shape = error as AzureErrorShape | null;
  if (typeof shape !== "object" || shape === null) return undefined;
  return shape.details?.errorCode ?? shape.response?.headers?.get?.("x-ms-error-code") ?? (shape.statusCode !== undefined ? shape.code : undefined);
}

/** The HTTP status of an SDK error, if it got that far. */
export function azureStatus(error: unknown): number | undefined {
  const status = (error as AzureErrorShape | null)?.statusCode;
  return typeof status === "number" ? status : undefined;
}

/**
 * The `KBackupError` for an error of an Azure SDK call, with a message that says what to check.
 * KBackupErrors pass through. Status codes: 401/403 → PermissionDenied; 404 → NotFound (a missing
 * container says to create it); 409 → Conflict or AlreadyExists; 412 → PreconditionFailed;
 * 429/503 → Throttled; other 5xx and network failures → Unavailable; aborts → Aborted.
 */
export function toKBackupError(error: unknown, context: AzureErrorContext): KBackupError {
  if (isKBackupError(error)) return error;
  if (context.abortSignal?.aborted) return abortedError(context.abortSignal);
  const shape = (typeof error === "object" && error !== null ? error : {}) as AzureErrorShape;
  if (shape.name === "AbortError") return abortedError(context.abortSignal);
  const status = azureStatus(error);
  const code = azureErrorCode(error);
  const details = { ...(status !== undefined ? { statusCode: status } : {}), ...(code !== undefined ? { azureErrorCode: code } : {}) };
  const make = (kind: KBackupErrorCode, message: string) => new KBackupError(kind, `${message} (${context.operation})`, { cause: error, details });
  const said = code ? ` Azure said ${code}${shape.message ? `: ${firstLine(shape.message)}` : ""}.` : "";

  if (status === undefined) {
    const network = NETWORK_CODES.find((candidate) => shape.code === candidate || `${shape.name} ${shape.message}`.toUpperCase().includes(candidate));
    if (network) return make("Unavailable", `Cannot reach ${context.resource} (${network}): check the endpoint and the network; the request was retried.`);
    return make("Adapter", `Azure call on ${context.resource} failed: ${shape.message ?? String(error)}`);
  }
  if (status === 401 || status === 403) {
    return make(
      "PermissionDenied",
      `Access to ${context.resource} was denied (HTTP ${status}).${said} Check that the credential is valid and not expired, that a SAS grants the needed permissions and has not expired, and that the identity has a role on it (for blobs: Storage Blob Data Contributor).`,
    );
  }
  if (code === "ContainerNotFound") {
    return make("NotFound", `The container of ${context.resource} does not exist: create it first (az storage container create), or check its name.`);
  }
  if (status === 404) return make("NotFound", `${capitalise(context.resource)} was not found.${said}`);
  if (code === "BlobAlreadyExists" || code === "ResourceAlreadyExists") return make("AlreadyExists", `${capitalise(context.resource)} already exists.`);
  if (code?.startsWith("Lease") || code === "LeaseIdMissing") {
    return make("Conflict", `${capitalise(context.resource)} is leased, or the lease id does not match.${said} Pass the current lease id, or wait for the lease to expire.`);
  }
  if (status === 412) return make("PreconditionFailed", `${capitalise(context.resource)} did not match the condition (its ETag changed, or it does not exist).${said}`);
  if (status === 409) return make("Conflict", `${capitalise(context.resource)} is in a conflicting state.${said}`);
  if (status === 429 || status === 503) {
    return make("Throttled", `Azure is throttling requests to ${context.resource} (HTTP ${status}) and retries did not get through.${said} Lower the concurrency or try later.`);
  }
  if (status >= 500) return make("Unavailable", `Azure failed on ${context.resource} (HTTP ${status}) and retries did not get through.${said}`);
  if (status === 416) return make("InvalidArgument", `The range is outside ${context.resource}.${said}`);
  if (status === 400) return make("InvalidArgument", `Azure refused the request on ${context.resource}.${said}`);
  return make("Adapter", `Azure call on ${context.resource} failed with HTTP ${status}.${said}`);
}

function firstLine(message: string): string {
  return message.split("\n", 1)[0] ?? message;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
