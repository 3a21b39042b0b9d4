import type { z } from "zod";
import type { Fault } from "../selection/faults.js";
import { faultsError } from "../selection/faults.js";
import { tryParseIsoDateTime } from "./iso-date-time.js";
import type { IsoDuration } from "./iso-duration.js";
import { approximateDays, approximateYears, hasTimePart, tryParseIsoDuration } from "./iso-duration.js";
import type {
  AzureBackupRule,
  AzureRetentionRule,
  BackupPolicy,
  ScheduleBasedBackupCriteria,
  SourceLifeCycle,
  TaggingCriteria,
} from "./policy-schema.js";
import { AKS_DATASOURCE_TYPE, backupPolicySchema } from "./policy-schema.js";
import { checkRepeatingInterval } from "./repeating-interval.js";
import { tryResolveTimeZone } from "./time-zone.js";

/** The longest an operational (snapshot) recovery point may be kept, in days: Azure's 360. */
export const OPERATIONAL_RETENTION_MAX_DAYS = 360;
/** The longest a vault recovery point may be kept, in years: Azure's 10. */
export const VAULT_RETENTION_MAX_YEARS = 10;

type Indexed<T> = { rule: T; path: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function pathOf(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) out += typeof part === "number" ? `[${part}]` : `${out === "" ? "" : "."}${String(part)}`;
  return out;
}

function schemaFaults(issues: readonly z.core.$ZodIssue[]): Fault[] {
  return issues.map((issue) => {
    if (issue.code === "invalid_union" && issue.discriminator !== undefined) {
      return { field: pathOf(issue.path), message: "is missing or names an object type this field does not take" };
    }
    return { field: pathOf(issue.path), message: issue.message };
  });
}

function checkDatasourceTypes(policy: BackupPolicy, faults: Fault[]): void {
  policy.datasourceTypes.forEach((type, i) => {
    if (type.toLowerCase() !== AKS_DATASOURCE_TYPE.toLowerCase()) {
      faults.push({ field: `datasourceTypes[${i}]`, message: `"${type}" is not a Kubernetes cluster: use "${AKS_DATASOURCE_TYPE}"` });
    }
  });
}

function checkCriterion(criterion: ScheduleBasedBackupCriteria, path: string, faults: Fault[]): void {
  const conditions = [criterion.absoluteCriteria, criterion.daysOfTheWeek, criterion.weeksOfTheMonth, criterion.monthsOfYear, criterion.daysOfMonth, criterion.scheduleTimes];
  if (!conditions.some((condition) => condition !== undefined && condition.length > 0)) {
    faults.push({ field: path, message: "names no condition: give absoluteCriteria, daysOfTheWeek, weeksOfTheMonth, monthsOfYear, daysOfMonth or scheduleTimes" });
  }
  criterion.daysOfMonth?.forEach((day, k) => {
    if (day.isLast === true) return;
    if (day.date === undefined) faults.push({ field: `${path}.daysOfMonth[${k}]`, message: "needs a date (1 to 28) or isLast: true" });
    else if (day.date < 1 || day.date > 28) {
      faults.push({ field: `${path}.daysOfMonth[${k}].date`, message: `${day.date} is not a day every month has: use 1 to 28, or isLast: true for the last day` });
    }
  });
  criterion.scheduleTimes?.forEach((time, k) => {
    if (tryParseIsoDateTime(time) === undefined) {
      faults.push({ field: `${path}.scheduleTimes[${k}]`, message: `"${time}" is not an ISO 8601 date-time with an offset, such as 2026-01-01T06:00:00+00:00` });
    }
  });
}

function checkTagging(criteria: readonly TaggingCriteria[], path: string, faults: Fault[]): void {
  const defaults = criteria.filter((tag) => tag.isDefault).length;
  if (defaults !== 1) faults.push({ field: path, message: `needs exactly one default tag (isDefault: true); found ${defaults}` });
  const names = new Map<string, number>();
  const priorities = new Map<number, string>();
  criteria.forEach((tag, i) => {
    const tagPath = `${path}[${i}]`;
    const { tagName } = tag.tagInfo;
    if (names.has(tagName)) faults.push({ field: `${tagPath}.tagInfo.tagName`, message: `tag "${tagName}" is named more than once` });
    else names.set(tagName, i);
    const other = priorities.get(tag.taggingPriority);
    if (other !== undefined) {
      faults.push({ field: `${tagPath}.taggingPriority`, message: `priority ${tag.taggingPriority} is also the priority of tag "${other}"` });
    } else priorities.set(tag.taggingPriority, tagName);
    if (!tag.isDefault && (tag.criteria === undefined || tag.criteria.length === 0)) {
      faults.push({ field: `${tagPath}.criteria`, message: `tag "${tagName}" is not the default, so it needs at least one criterion` });
    }
    tag.criteria?.forEach((criterion, j) => checkCriterion(criterion, `${tagPath}.criteria[${j}]`, faults));
  });
}

function checkBackupRule(rule: AzureBackupRule, path: string, faults: Fault[]): void {
  if (rule.dataStore.dataStoreType !== "OperationalStore") {
    faults.push({
      field: `${path}.dataStore.dataStoreType`,
      message: `backups are taken into OperationalStore, not ${rule.dataStore.dataStoreType}; copy them to VaultStore with a retention rule`,
    });
  }
  const { schedule } = rule.trigger;
  const intervalsPath = `${path}.trigger.schedule.repeatingTimeIntervals`;
  if (schedule.repeatingTimeIntervals.length > 1) {
    faults.push({ field: intervalsPath, message: `takes exactly one repeating interval; found ${schedule.repeatingTimeIntervals.length}` });
  }
  schedule.repeatingTimeIntervals.forEach((text, i) => faults.push(...checkRepeatingInterval(text, `${intervalsPath}[${i}]`).faults));
  if (schedule.timeZone !== undefined && tryResolveTimeZone(schedule.timeZone) === undefined) {
    faults.push({
      field: `${path}.trigger.schedule.timeZone`,
      message: `time zone "${schedule.timeZone}" does not exist: use an IANA name (Europe/Amsterdam) or a Windows name (W. Europe Standard Time)`,
    });
  }
  checkTagging(rule.trigger.taggingCriteria, `${path}.trigger.taggingCriteria`, faults);
}

/** Parses a retention duration (days, weeks, months or years), adding a fault and returning undefined if it is not one. */
function retentionDuration(text: string, field: string, faults: Fault[]): IsoDuration | undefined {
  const duration = tryParseIsoDuration(text);
  if (duration === undefined) {
    faults.push({ field, message: `"${text}" is not an ISO 8601 duration such as P7D, P4W, P12M or P10Y` });
    return undefined;
  }
  if (hasTimePart(duration)) {
    faults.push({ field, message: `"${text}" has hours, minutes or seconds: retention is counted in days, weeks, months or years` });
    return undefined;
  }
  if (approximateDays(duration) <= 0) {
    faults.push({ field, message: `"${text}" is zero: a retention must be at least one day` });
    return undefined;
  }
  return duration;
}

function checkLifecycle(lifecycle: SourceLifeCycle, path: string, faults: Fault[]): void {
  const source = lifecycle.sourceDataStore.dataStoreType;
  if (source === "ArchiveStore") {
    faults.push({ field: `${path}.sourceDataStore.dataStoreType`, message: "ArchiveStore is not offered for Kubernetes clusters: use OperationalStore or VaultStore" });
  }
  const durationPath = `${path}.deleteAfter.duration`;
  const duration = retentionDuration(lifecycle.deleteAfter.duration, durationPath, faults);
  const days = duration === undefined ? undefined : approximateDays(duration);
  if (days !== undefined && source === "OperationalStore" && days > OPERATIONAL_RETENTION_MAX_DAYS) {
    faults.push({
      field: durationPath,
      message: `"${lifecycle.deleteAfter.duration}" is longer than OperationalStore keeps recovery points: at most ${OPERATIONAL_RETENTION_MAX_DAYS} days (P360D, P51W or P12M)`,
    });
  }
  // A tolerance, as P3650D is 10 years only up to floating-point rounding.
  if (duration !== undefined && source === "VaultStore" && approximateYears(duration) > VAULT_RETENTION_MAX_YEARS + 1e-9) {
    faults.push({
      field: durationPath,
      message: `"${lifecycle.deleteAfter.duration}" is longer than VaultStore keeps recovery points: at most ${VAULT_RETENTION_MAX_YEARS} years (P10Y, P120M or P3650D)`,
    });
  }
  lifecycle.targetDataStoreCopySettings?.forEach((copy, k) => {
    const copyPath = `${path}.targetDataStoreCopySettings[${k}]`;
    if (source !== "OperationalStore") faults.push({ field: copyPath, message: `only OperationalStore copies to VaultStore; this lifecycle is for ${source}` });
    if (copy.dataStore.dataStoreType !== "VaultStore") {
      faults.push({ field: `${copyPath}.dataStore.dataStoreType`, message: `copies go to VaultStore, not ${copy.dataStore.dataStoreType}` });
    }
    if (copy.copyAfter.objectType === "CustomCopyOption") {
      const after = retentionDuration(copy.copyAfter.duration, `${copyPath}.copyAfter.duration`, faults);
      if (after !== undefined && days !== undefined && approximateDays(after) > days) {
        faults.push({
          field: `${copyPath}.copyAfter.duration`,
          message: `"${copy.copyAfter.duration}" comes after the source copy expires (${lifecycle.deleteAfter.duration}): copy before it, or use CopyOnExpiryOption`,
        });
      }
    }
  });
}

function checkRetentionRule(rule: AzureRetentionRule, path: string, faults: Fault[]): void {
  const seen = new Set<string>();
  rule.lifecycles.forEach((lifecycle, j) => {
    const source = lifecycle.sourceDataStore.dataStoreType;
    if (seen.has(source)) {
      faults.push({ field: `${path}.lifecycles[${j}].sourceDataStore.dataStoreType`, message: `another lifecycle of rule "${rule.name}" is already for ${source}` });
    }
    seen.add(source);
    checkLifecycle(lifecycle, `${path}.lifecycles[${j}]`, faults);
  });
  if (!seen.has("OperationalStore")) {
    faults.push({ field: `${path}.lifecycles`, message: `rule "${rule.name}" needs a lifecycle for OperationalStore, where backups are taken` });
  }
  const copiesToVault = rule.lifecycles.some((lifecycle) => lifecycle.targetDataStoreCopySettings?.some((copy) => copy.dataStore.dataStoreType === "VaultStore"));
  const vaultIndex = rule.lifecycles.findIndex((lifecycle) => lifecycle.sourceDataStore.dataStoreType === "VaultStore");
  if (vaultIndex >= 0 && !copiesToVault) {
    faults.push({
      field: `${path}.lifecycles[${vaultIndex}]`,
      message: `nothing copies to VaultStore in rule "${rule.name}": add a targetDataStoreCopySettings entry to its OperationalStore lifecycle`,
    });
  }
}

function checkRetentionRules(rules: readonly Indexed<AzureRetentionRule>[], faults: Fault[]): void {
  const defaults = rules.filter(({ rule }) => rule.isDefault === true).length;
  if (defaults !== 1) faults.push({ field: "policyRules", message: `needs exactly one default retention rule (isDefault: true); found ${defaults}` });
  const names = new Set<string>();
  for (const { rule, path } of rules) {
    if (names.has(rule.name)) faults.push({ field: `${path}.name`, message: `retention rule "${rule.name}" is named more than once` });
    names.add(rule.name);
    checkRetentionRule(rule, path, faults);
  }
}

function checkTagsAgainstRules(backupRules: readonly Indexed<AzureBackupRule>[], retentionRules: readonly Indexed<AzureRetentionRule>[], faults: Fault[]): void {
  const rulesByName = new Map(retentionRules.map(({ rule }) => [rule.name, rule]));
  const tagNames = new Set<string>();
  for (const { rule, path } of backupRules) {
    rule.trigger.taggingCriteria.forEach((tag, i) => {
      const { tagName } = tag.tagInfo;
      tagNames.add(tagName);
      const field = `${path}.trigger.taggingCriteria[${i}].tagInfo.tagName`;
      const retention = rulesByName.get(tagName);
      if (retention === undefined) faults.push({ field, message: `tag "${tagName}" has no retention rule named "${tagName}"` });
      else if (tag.isDefault && retention.isDefault !== true) {
        faults.push({ field, message: `the default tag "${tagName}" names retention rule "${tagName}", which is not the default retention rule` });
      } else if (!tag.isDefault && retention.isDefault === true) {
        faults.push({ field, message: `tag "${tagName}" is not the default tag but names the default retention rule` });
      }
    });
  }
  for (const { rule, path } of retentionRules) {
    if (rule.isDefault !== true && !tagNames.has(rule.name)) {
      faults.push({ field: `${path}.name`, message: `retention rule "${rule.name}" is not the default and no tag of the backup rule names it` });
    }
  }
}

function semanticFaults(policy: BackupPolicy): Fault[] {
  const faults: Fault[] = [];
  checkDatasourceTypes(policy, faults);
  const backupRules: Indexed<AzureBackupRule>[] = [];
  const retentionRules: Indexed<AzureRetentionRule>[] = [];
  policy.policyRules.forEach((rule, i) => {
    if (rule.objectType === "AzureBackupRule") backupRules.push({ rule, path: `policyRules[${i}]` });
    else retentionRules.push({ rule, path: `policyRules[${i}]` });
  });
  if (backupRules.length !== 1) faults.push({ field: "policyRules", message: `needs exactly one AzureBackupRule with a schedule; found ${backupRules.length}` });
  for (const { rule, path } of backupRules) checkBackupRule(rule, path, faults);
  checkRetentionRules(retentionRules, faults);
  checkTagsAgainstRules(backupRules, retentionRules, faults);
  return faults;
}

/**
 * Checks a backup policy in Azure's shape and returns it typed. Takes the bare policy
 * (`{ objectType: "BackupPolicy", datasourceTypes, policyRules }`) or Azure's resource envelope
 * (`{ name?, id?, properties: { ...policy } }`), and returns the bare policy either way, with the fields
 * kbackup does not read kept as they were.
 *
 * Checked: the shape and object types of every rule; `datasourceTypes` is the Kubernetes cluster type;
 * exactly one `AzureBackupRule`, taking backups into OperationalStore, with one `R/<start>/<period>`
 * interval whose start is a date-time with an offset and whose period is PT4H, PT6H, PT8H, PT12H or
 * P1D; a time zone that exists (IANA or one of `WINDOWS_TIME_ZONES`); exactly one default tag, tag
 * names and priorities not repeated, criteria that name a condition, days of the month 1 to 28 or
 * `isLast`; exactly one default retention rule, rule names not repeated, every rule with an
 * OperationalStore lifecycle and no second lifecycle for the same store; retention durations in days,
 * weeks, months or years, above zero, at most 360 days for OperationalStore (a month counted as 30
 * days, a year as 365) and 10 years for VaultStore (a month counted as a twelfth of a year); ArchiveStore is refused; copies go from
 * OperationalStore to VaultStore, a custom copy no later than the source copy expires, and a VaultStore
 * lifecycle needs such a copy; a retention rule named like every tag (the default tag naming the default
 * rule) and a tag for every rule but the default. Cross-field checks run once the shape is right.
 *
 * @throws InvalidArgument listing every fault with its JSON path (`policyRules[0].trigger.schedule.
 *   repeatingTimeIntervals[0]: ...`, under `properties.` for an envelope); `details.faults` holds them.
 */
export function validateBackupPolicy(input: unknown): BackupPolicy {
  const envelope = isRecord(input) && input.objectType === undefined && isRecord(input.properties);
  const body = envelope ? (input as { properties: unknown }).properties : input;
  const prefix = envelope ? "properties." : "";
  const parsed = backupPolicySchema.safeParse(body);
  const faults = parsed.success ? semanticFaults(parsed.data) : schemaFaults(parsed.error.issues);
  if (faults.length > 0) {
    const root = envelope ? "properties" : "policy";
    throw faultsError(root, faults.map((fault) => ({ field: fault.field === "" ? root : prefix + fault.field, message: fault.message })));
  }
  return (parsed as { data: BackupPolicy }).data;
}
