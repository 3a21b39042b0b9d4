import { invalidArgument } from "../errors.js";
import type { AzureBackupRule, AzureRetentionRule, BackupPolicy } from "./policy-schema.js";
import { resolveTimeZone } from "./time-zone.js";

/**
 * The policy's backup rule (the first `AzureBackupRule`; a valid policy has exactly one).
 * @throws InvalidArgument naming `policyRules` when the policy has none.
 */
export function backupRuleOf(policy: BackupPolicy): AzureBackupRule {
  for (const rule of policy.policyRules) if (rule.objectType === "AzureBackupRule") return rule;
  throw invalidArgument("policyRules", "the policy has no AzureBackupRule");
}

/**
 * The IANA time zone the policy's schedule, tags and daily vault limit are reckoned in (UTC when the
 * schedule names none).
 * @throws InvalidArgument when the policy has no backup rule or names an unknown zone.
 */
export function policyTimeZone(policy: BackupPolicy): string {
  return resolveTimeZone(backupRuleOf(policy).trigger.schedule.timeZone, "policyRules.trigger.schedule.timeZone");
}

/** The policy's retention rules by name (the first of a name wins), and the default one (undefined if none). */
export function retentionRulesOf(policy: BackupPolicy): { byName: Map<string, AzureRetentionRule>; defaultRule: AzureRetentionRule | undefined } {
  const byName = new Map<string, AzureRetentionRule>();
  let defaultRule: AzureRetentionRule | undefined;
  for (const rule of policy.policyRules) {
    if (rule.objectType !== "AzureRetentionRule") continue;
    if (!byName.has(rule.name)) byName.set(rule.name, rule);
    if (rule.isDefault === true && defaultRule === undefined) defaultRule = rule;
  }
  return { byName, defaultRule };
}
