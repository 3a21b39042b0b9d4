export type {
  AbsoluteDeleteOption,
  AzureBackupRule,
  AzureRetentionRule,
  BackupPolicy,
  BackupSchedule,
  CopyOption,
  DataStoreInfoBase,
  DataStoreType,
  Day,
  PolicyRule,
  RetentionTag,
  ScheduleBasedBackupCriteria,
  ScheduleBasedTriggerContext,
  SourceLifeCycle,
  TaggingCriteria,
  TargetCopySetting,
} from "./policy-schema.js";
export {
  ABSOLUTE_MARKERS,
  AKS_DATASOURCE_TYPE,
  DATA_STORE_TYPES,
  DAYS_OF_WEEK,
  MONTHS_OF_YEAR,
  WEEKS_OF_MONTH,
  absoluteDeleteOptionSchema,
  azureBackupParamsSchema,
  azureBackupRuleSchema,
  azureRetentionRuleSchema,
  backupPolicySchema,
  backupScheduleSchema,
  copyOptionSchema,
  dataStoreInfoSchema,
  daySchema,
  policyRuleSchema,
  retentionTagSchema,
  scheduleBasedBackupCriteriaSchema,
  scheduleBasedTriggerContextSchema,
  sourceLifeCycleSchema,
  taggingCriteriaSchema,
  targetCopySettingSchema,
} from "./policy-schema.js";
export type { IsoDuration } from "./iso-duration.js";
export { addIsoDuration, parseIsoDuration, tryParseIsoDuration } from "./iso-duration.js";
export { tryParseIsoDateTime } from "./iso-date-time.js";
export type { BackupFrequency, RepeatingInterval } from "./repeating-interval.js";
export { BACKUP_FREQUENCIES, parseRepeatingInterval } from "./repeating-interval.js";
export { WINDOWS_TIME_ZONES, resolveTimeZone, tryResolveTimeZone } from "./time-zone.js";
export type { ScheduleInput } from "./schedule.js";
export { nextScheduledTime, scheduledTimes } from "./schedule.js";
export { OPERATIONAL_RETENTION_MAX_DAYS, VAULT_RETENTION_MAX_YEARS, validateBackupPolicy } from "./validate-policy.js";
export { backupRuleOf, policyTimeZone } from "./policy-rules.js";
export { aksDefaultPolicy } from "./default-policy.js";
export type { TaggablePoint, TaggingHistoryPoint } from "./tagging.js";
export { WEEK_STARTS_ON, tagRecoveryPoint, tagRecoveryPoints } from "./tagging.js";
export type {
  PlannedCopy,
  PlannedDeletion,
  RetentionDataStore,
  RetentionPlan,
  RetentionPoint,
  RetentionWarning,
  RetentionWarningCode,
  StoreCopyState,
  StoreExpiries,
} from "./retention.js";
export { VAULT_VOLUME_LIMIT_BYTES, evaluateRetention } from "./retention.js";
