import type { JobDetail } from "../jobs/job.js";

/** Azure's `Status` of `ProtectionStatusDetails`: where a backup instance's protection stands. */
export const PROTECTION_STATUSES = ["ConfiguringProtection", "ConfiguringProtectionFailed", "ProtectionConfigured", "ProtectionStopped", "SoftDeleted", "SoftDeleting"] as const;
/** One of {@link PROTECTION_STATUSES}. */
export type ProtectionStatus = (typeof PROTECTION_STATUSES)[number];

/** Azure's `CurrentProtectionState`: the finer state a backup instance is in. */
export const CURRENT_PROTECTION_STATES = [
  "Invalid",
  "NotProtected",
  "ConfiguringProtection",
  "ProtectionConfigured",
  "BackupSchedulesSuspended",
  "RetentionSchedulesSuspended",
  "ProtectionStopped",
  "ProtectionError",
  "ConfiguringProtectionFailed",
  "SoftDeleting",
  "SoftDeleted",
  "UpdatingProtection",
] as const;
/** One of {@link CURRENT_PROTECTION_STATES}. */
export type CurrentProtectionState = (typeof CURRENT_PROTECTION_STATES)[number];

/** Azure's `ProtectionStatusDetails`. */
export interface ProtectionStatusDetails {
  status: ProtectionStatus;
  /** Why protection is in error, when it is. */
  errorDetails?: JobDetail;
}

/**
 * The `protectionStatus` Azure shows for a `currentProtectionState`: suspended schedules and stopped
 * protection both show `ProtectionStopped`; states kbackup never enters map to the nearest status.
 */
export function protectionStatusOf(state: CurrentProtectionState, errorDetails?: JobDetail): ProtectionStatusDetails {
  const status: ProtectionStatus =
    state === "ProtectionConfigured" || state === "UpdatingProtection" || state === "ProtectionError" || state === "RetentionSchedulesSuspended"
      ? "ProtectionConfigured"
      : state === "BackupSchedulesSuspended" || state === "ProtectionStopped" || state === "NotProtected" || state === "Invalid"
        ? "ProtectionStopped"
        : state;
  return errorDetails === undefined ? { status } : { status, errorDetails };
}

/** True when the scheduler takes the instance's scheduled backups in this state. */
export function takesScheduledBackups(state: CurrentProtectionState): boolean {
  return state === "ProtectionConfigured" || state === "RetentionSchedulesSuspended";
}

/** True when the scheduler applies the policy's retention (copies and expiries) in this state. */
export function appliesRetention(state: CurrentProtectionState): boolean {
  return state === "ProtectionConfigured" || state === "BackupSchedulesSuspended";
}
