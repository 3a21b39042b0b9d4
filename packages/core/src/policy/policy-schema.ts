import { z } from "zod";

/**
 * The shape of Azure's backup policy JSON (Microsoft.DataProtection `BackupPolicy`), so that a policy
 * exported from Azure is accepted as it is. Every object keeps the fields Azure may add that kbackup
 * does not read (`z.looseObject`); the fields kbackup reads are checked. Values such as durations and
 * time zones are checked by `validateBackupPolicy`, not here.
 */

/** Where a recovery point is kept: snapshots beside the cluster, the vault, or the vault's archive tier. */
export const DATA_STORE_TYPES = ["OperationalStore", "VaultStore", "ArchiveStore"] as const;
/** One of {@link DATA_STORE_TYPES}. */
export type DataStoreType = (typeof DATA_STORE_TYPES)[number];

/** Azure's `AbsoluteMarker`: which backups of a period a tagging criterion picks. */
export const ABSOLUTE_MARKERS = ["AllBackup", "FirstOfDay", "FirstOfWeek", "FirstOfMonth", "FirstOfYear"] as const;
/** Days of the week, as Azure spells them. */
export const DAYS_OF_WEEK = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"] as const;
/** Weeks of the month, as Azure spells them (`Last` is the month's last seven days). */
export const WEEKS_OF_MONTH = ["First", "Second", "Third", "Fourth", "Last"] as const;
/** Months, as Azure spells them. */
export const MONTHS_OF_YEAR = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
] as const;

/** The only datasource type kbackup protects. */
export const AKS_DATASOURCE_TYPE = "Microsoft.ContainerService/managedClusters";

/** Azure's `DataStoreInfoBase`. */
export const dataStoreInfoSchema = z.looseObject({
  dataStoreType: z.enum(DATA_STORE_TYPES),
  objectType: z.literal("DataStoreInfoBase"),
});

/** Azure's `AbsoluteDeleteOption`. */
export const absoluteDeleteOptionSchema = z.looseObject({
  objectType: z.literal("AbsoluteDeleteOption"),
  duration: z.string(),
});

/** Azure's `CopyOption`: `ImmediateCopyOption`, `CopyOnExpiryOption` or `CustomCopyOption`. */
export const copyOptionSchema = z.discriminatedUnion("objectType", [
  z.looseObject({ objectType: z.literal("ImmediateCopyOption") }),
  z.looseObject({ objectType: z.literal("CopyOnExpiryOption") }),
  z.looseObject({ objectType: z.literal("CustomCopyOption"), duration: z.string() }),
]);

/** Azure's `TargetCopySetting`. */
export const targetCopySettingSchema = z.looseObject({
  copyAfter: copyOptionSchema,
  dataStore: dataStoreInfoSchema,
});

/** Azure's `SourceLifeCycle`. */
export const sourceLifeCycleSchema = z.looseObject({
  deleteAfter: absoluteDeleteOptionSchema,
  sourceDataStore: dataStoreInfoSchema,
  targetDataStoreCopySettings: z.array(targetCopySettingSchema).optional(),
});

/** Azure's `AzureRetentionRule`. */
export const azureRetentionRuleSchema = z.looseObject({
  name: z.string().min(1),
  objectType: z.literal("AzureRetentionRule"),
  isDefault: z.boolean().optional(),
  lifecycles: z.array(sourceLifeCycleSchema).min(1),
});

/** Azure's `Day` (a day of the month). */
export const daySchema = z.looseObject({
  date: z.number().int().optional(),
  isLast: z.boolean().optional(),
});

/** Azure's `ScheduleBasedBackupCriteria`. */
export const scheduleBasedBackupCriteriaSchema = z.looseObject({
  objectType: z.literal("ScheduleBasedBackupCriteria"),
  absoluteCriteria: z.array(z.enum(ABSOLUTE_MARKERS)).optional(),
  daysOfMonth: z.array(daySchema).optional(),
  daysOfTheWeek: z.array(z.enum(DAYS_OF_WEEK)).optional(),
  monthsOfYear: z.array(z.enum(MONTHS_OF_YEAR)).optional(),
  scheduleTimes: z.array(z.string()).optional(),
  weeksOfTheMonth: z.array(z.enum(WEEKS_OF_MONTH)).optional(),
});

/** Azure's `RetentionTag` (a tagging criterion's `tagInfo`). */
export const retentionTagSchema = z.looseObject({
  tagName: z.string().min(1),
  id: z.string().optional(),
});

/** Azure's `TaggingCriteria`. */
export const taggingCriteriaSchema = z.looseObject({
  tagInfo: retentionTagSchema,
  taggingPriority: z.number().int(),
  isDefault: z.boolean(),
  criteria: z.array(scheduleBasedBackupCriteriaSchema).optional(),
});

/** Azure's `BackupSchedule`. */
export const backupScheduleSchema = z.looseObject({
  repeatingTimeIntervals: z.array(z.string()).min(1),
  timeZone: z.string().optional(),
});

/** Azure's `ScheduleBasedTriggerContext`. */
export const scheduleBasedTriggerContextSchema = z.looseObject({
  objectType: z.literal("ScheduleBasedTriggerContext"),
  schedule: backupScheduleSchema,
  taggingCriteria: z.array(taggingCriteriaSchema).min(1),
});

/** Azure's `AzureBackupParams`; Kubernetes backups are incremental. */
export const azureBackupParamsSchema = z.looseObject({
  objectType: z.literal("AzureBackupParams"),
  backupType: z.literal("Incremental"),
});

/** Azure's `AzureBackupRule`, with the schedule-based trigger Kubernetes backups use. */
export const azureBackupRuleSchema = z.looseObject({
  name: z.string().min(1),
  objectType: z.literal("AzureBackupRule"),
  backupParameters: azureBackupParamsSchema.optional(),
  dataStore: dataStoreInfoSchema,
  trigger: scheduleBasedTriggerContextSchema,
});

/** A backup rule or a retention rule, told apart by `objectType`. */
export const policyRuleSchema = z.discriminatedUnion("objectType", [azureBackupRuleSchema, azureRetentionRuleSchema]);

/** Azure's `BackupPolicy` (the bare policy; `validateBackupPolicy` also takes the resource envelope). */
export const backupPolicySchema = z.looseObject({
  objectType: z.literal("BackupPolicy"),
  datasourceTypes: z.array(z.string()).min(1),
  policyRules: z.array(policyRuleSchema).min(1),
});

/** `{ dataStoreType, objectType: "DataStoreInfoBase" }`. */
export type DataStoreInfoBase = z.infer<typeof dataStoreInfoSchema>;
/** `{ objectType: "AbsoluteDeleteOption", duration }`: delete a recovery point this long after it was taken. */
export type AbsoluteDeleteOption = z.infer<typeof absoluteDeleteOptionSchema>;
/** When to copy to another data store: at once, when the source copy expires, or after a duration. */
export type CopyOption = z.infer<typeof copyOptionSchema>;
/** One copy of a lifecycle: when, and to which data store. */
export type TargetCopySetting = z.infer<typeof targetCopySettingSchema>;
/** How long a recovery point stays in one data store, and where it is copied from there. */
export type SourceLifeCycle = z.infer<typeof sourceLifeCycleSchema>;
/** A retention rule: the lifecycles of the recovery points that carry the tag of the same name. */
export type AzureRetentionRule = z.infer<typeof azureRetentionRuleSchema>;
/** A day of the month: `{ date: 15 }` or `{ isLast: true }`. */
export type Day = z.infer<typeof daySchema>;
/** One criterion of a tag: all the conditions it names must hold. */
export type ScheduleBasedBackupCriteria = z.infer<typeof scheduleBasedBackupCriteriaSchema>;
/** A tag a recovery point can carry: `{ tagName, id? }`. */
export type RetentionTag = z.infer<typeof retentionTagSchema>;
/** A tag and the criteria that give it to a recovery point; the lowest `taggingPriority` wins. */
export type TaggingCriteria = z.infer<typeof taggingCriteriaSchema>;
/** `{ repeatingTimeIntervals: ["R/<start>/<period>"], timeZone? }`. */
export type BackupSchedule = z.infer<typeof backupScheduleSchema>;
/** A backup rule's trigger: a schedule and the tagging criteria of the backups it takes. */
export type ScheduleBasedTriggerContext = z.infer<typeof scheduleBasedTriggerContextSchema>;
/** The backup rule: when to back up, and into which data store. */
export type AzureBackupRule = z.infer<typeof azureBackupRuleSchema>;
/** A backup rule or a retention rule. */
export type PolicyRule = z.infer<typeof policyRuleSchema>;
/** A backup policy in Azure's shape (the `properties` of an Azure `BackupPolicy` resource). */
export type BackupPolicy = z.infer<typeof backupPolicySchema>;
