import { KBackupError, isKBackupError, type KBackupErrorCode } from "@kbackup/core";

const CODES: Record<string, KBackupErrorCode> = {
  EACCES: "PermissionDenied",
  EPERM: "PermissionDenied",
  EROFS: "PermissionDenied",
  // A full disk or an exhausted quota refuses writes as a cloud store's quota does (HTTP 403); retrying
  // a large upload into it would only fill the disk again.
  ENOSPC: "PermissionDenied",
  EDQUOT: "PermissionDenied",
  EMFILE: "Unavailable",
  ENFILE: "Unavailable",
  EAGAIN: "Unavailable",
  EBUSY: "Unavailable",
  ENAMETOOLONG: "InvalidArgument",
  // A key that needs a folder where an object is, or names a folder of other objects.
  ENOTDIR: "Conflict",
  EISDIR: "Conflict",
  ENOTEMPTY: "Conflict",
};

/** The errno code of a Node file system error, if it is one. */
export function errnoOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/**
 * A `KBackupError` for a failed file system call, naming what was done and to which key:
 * EACCES, EPERM, EROFS, ENOSPC, EDQUOT → PermissionDenied; EMFILE, ENFILE, EAGAIN, EBUSY → Unavailable;
 * ENAMETOOLONG → InvalidArgument; ENOTDIR, EISDIR, ENOTEMPTY → Conflict; anything else → Adapter.
 * A `KBackupError` is returned as it is.
 */
export function fsError(error: unknown, action: string, key: string | undefined): KBackupError {
  if (isKBackupError(error)) return error;
  const errno = errnoOf(error);
  const code = (errno !== undefined ? CODES[errno] : undefined) ?? "Adapter";
  const what = key === undefined ? action : `${action} ${key}`;
  const reason = error instanceof Error ? error.message : String(error);
  const conflict = code === "Conflict" ? " (a key cannot be both an object and a folder of other objects)" : "";
  return new KBackupError(code, `${what} failed: ${reason}${conflict}`, {
    cause: error,
    ...(code === "InvalidArgument" ? { field: "key" } : {}),
    details: { ...(key === undefined ? {} : { key }), ...(errno === undefined ? {} : { errno }) },
  });
}
