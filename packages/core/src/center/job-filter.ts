import { invalidArgument } from "../errors.js";
import type { JobOperation, JobStatus } from "../jobs/job.js";

/** Every job status, in the order the center numbers them. */
export const JOB_STATUSES: readonly JobStatus[] = ["InProgress", "Completed", "CompletedWithWarnings", "Failed", "Cancelled"];
/** Every job operation, in the order the center numbers them. */
export const JOB_OPERATIONS: readonly JobOperation[] = ["Backup", "Restore", "PlanRestore"];

/**
 * Which jobs a query of the backup center returns. Every field narrows; an absent one does not.
 * A list matches any of its values. Times are on the job's `startTime`.
 */
export interface JobFilter {
  vaultName?: string | readonly string[];
  /** The backup instance's name (`backupInstanceFriendlyName`), in any vault unless `vaultName` says which. */
  instanceName?: string | readonly string[];
  operation?: JobOperation | readonly JobOperation[];
  status?: JobStatus | readonly JobStatus[];
  /** Jobs started at or after this time. */
  from?: Date | string;
  /** Jobs started before this time. */
  to?: Date | string;
}

/** A {@link JobFilter} checked and reduced to what the job index compares. */
export interface NormalizedJobFilter {
  vaultNames: string[] | undefined;
  instanceNames: string[] | undefined;
  /** Bit `i` set: status `JOB_STATUSES[i]` matches. */
  statusMask: number;
  /** Bit `i` set: operation `JOB_OPERATIONS[i]` matches. */
  operationMask: number;
  fromMs: number;
  toMs: number;
}

function names(field: string, value: string | readonly string[] | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const list = typeof value === "string" ? [value] : value;
  if (!Array.isArray(list) || list.some((name) => typeof name !== "string" || name === "")) throw invalidArgument(field, "must be a non-empty name or a list of them");
  return [...new Set(list)].sort();
}

function mask<T extends string>(field: string, value: T | readonly T[] | undefined, known: readonly T[]): number {
  if (value === undefined) return (1 << known.length) - 1;
  const list: readonly T[] = typeof value === "string" ? [value] : value;
  if (!Array.isArray(list)) throw invalidArgument(field, `must be one of ${known.join(", ")} or a list of them`);
  let bits = 0;
  for (const item of list) {
    const index = known.indexOf(item);
    if (index < 0) throw invalidArgument(field, `"${String(item)}" is not one of ${known.join(", ")}`);
    bits |= 1 << index;
  }
  return bits;
}

function time(field: string, value: Date | string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const ms = value instanceof Date ? value.getTime() : typeof value === "string" ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) throw invalidArgument(field, "must be a Date or an ISO 8601 date-time");
  return ms;
}

/**
 * Checks a filter and reduces it to masks and a time window.
 * @throws InvalidArgument naming the field: an unknown status or operation, an empty name, a bad time,
 *   or `to` before `from`.
 */
export function normalizeJobFilter(filter: JobFilter = {}): NormalizedJobFilter {
  if (typeof filter !== "object" || filter === null) throw invalidArgument("filter", "must be an object");
  const fromMs = time("filter.from", filter.from, Number.NEGATIVE_INFINITY);
  const toMs = time("filter.to", filter.to, Number.POSITIVE_INFINITY);
  if (toMs < fromMs) throw invalidArgument("filter.to", "must not be before filter.from");
  return {
    vaultNames: names("filter.vaultName", filter.vaultName),
    instanceNames: names("filter.instanceName", filter.instanceName),
    statusMask: mask("filter.status", filter.status, JOB_STATUSES),
    operationMask: mask("filter.operation", filter.operation, JOB_OPERATIONS),
    fromMs,
    toMs,
  };
}

/** A short fingerprint of a normalized filter, which a continuation token carries so that it is not reused with another filter. */
export function filterFingerprint(filter: NormalizedJobFilter): string {
  const text = JSON.stringify([filter.vaultNames ?? null, filter.instanceNames ?? null, filter.statusMask, filter.operationMask, String(filter.fromMs), String(filter.toMs)]);
  // FNV-1a: a fingerprint, not a secret.
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(36);
}
