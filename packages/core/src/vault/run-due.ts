import { invalidArgument, isKBackupError, throwIfAborted } from "../errors.js";
import type { BackupJob } from "../jobs/job.js";
import { backupRuleOf, type RetentionWarning } from "../policy/index.js";
import type { OperationOptions } from "../ports/options.js";
import { forEachConcurrently } from "../util/concurrency.js";
import { applyRetention } from "./apply-retention.js";
import { MAX_RECORDED_MISSED_SLOTS, type VaultDataStore } from "./catalogue-records.js";
import { dueSlot } from "./due-slot.js";
import type { InstanceHandle } from "./instance-handle.js";
import { createJson } from "./json-objects.js";
import { appliesRetention, takesScheduledBackups } from "./protection-state.js";
import { purgeInstance } from "./protection-lifecycle.js";
import { purgeDueRecoveryPoints } from "./recovery-point-deletion.js";
import { takeBackup } from "./take-backup.js";

/** Options of `BackupVault.runDue`. */
export interface RunDueOptions extends OperationOptions {
  /** The time to run for; the vault's clock by default. Backups are stamped by the clock. */
  now?: Date;
  /** Instances worked on at once; 4 by default. */
  concurrency?: number;
}

/** What one `runDue` did, instance by instance. */
export interface RunDueResult {
  now: string;
  /** The scheduled backups it took (failed ones included). */
  backups: BackupJob[];
  /** Recovery points copied to the vault store. */
  copies: Array<{ instanceName: string; recoveryPointId: string }>;
  /** Copies deleted on expiry. */
  deletions: Array<{ instanceName: string; recoveryPointId: string; dataStore: VaultDataStore }>;
  /** Soft-deleted instances and recovery points purged for good (`recoveryPointId` absent for a whole instance). */
  purged: Array<{ instanceName: string; recoveryPointId?: string }>;
  warnings: Array<RetentionWarning & { instanceName: string }>;
  /** Instances whose work failed, and why; the others went on. */
  errors: Array<{ instanceName: string; code: string; message: string }>;
}

/** What the scheduler needs of the vault. */
export interface SchedulerHost {
  /** The names of every instance, read afresh. */
  instanceNames(abortSignal?: AbortSignal): Promise<string[]>;
  /** An instance with its record read afresh; undefined when it is gone. */
  instance(name: string, abortSignal?: AbortSignal): Promise<InstanceHandle | undefined>;
}

/**
 * Claims a slot for one instance: a create-only object per instance and slot, then the slot recorded
 * on the instance (only if no later one is), so that two schedulers, in one process or two, never
 * both take it. Records the slots missed before it. Returns false when another scheduler has the slot.
 */
async function claimSlot(handle: InstanceHandle, slot: Date, missedSlots: Date[], abortSignal?: AbortSignal): Promise<boolean> {
  const { vault } = handle;
  try {
    await createJson(vault.store, vault.keys.slot(handle.name, slot), { slot: slot.toISOString(), claimedAt: vault.clock.now().toISOString() }, abortSignal);
  } catch (error) {
    if (isKBackupError(error, "AlreadyExists")) return false;
    throw error;
  }
  let won = true;
  const previousSlot = handle.record.schedule.lastSlot;
  await handle.update((record) => {
    if (record.schedule.lastSlot !== undefined && record.schedule.lastSlot >= slot.toISOString()) {
      won = false;
      return false;
    }
    record.schedule.lastSlot = slot.toISOString();
    record.schedule.missedSlotCount += missedSlots.length;
    record.schedule.lastMissedSlots = missedSlots.slice(-MAX_RECORDED_MISSED_SLOTS).map((time) => time.toISOString());
    return true;
  }, abortSignal);
  // The claim of the slot before is no longer needed: the record now says a later one was taken.
  if (won && previousSlot !== undefined) await vault.store.delete(vault.keys.slot(handle.name, new Date(previousSlot)), { abortSignal }).catch(() => undefined);
  return won;
}

async function runInstance(handle: InstanceHandle, now: Date, result: RunDueResult, abortSignal?: AbortSignal): Promise<void> {
  const name = handle.name;
  const record = handle.record;
  if (record.softDeleted) {
    if (record.softDeleted.purgeAt <= now.toISOString()) {
      await purgeInstance(handle, abortSignal);
      result.purged.push({ instanceName: name });
    }
    return;
  }
  for (const recoveryPointId of await purgeDueRecoveryPoints(handle, now, abortSignal)) result.purged.push({ instanceName: name, recoveryPointId });
  if (record.policyName === undefined) return;
  const policy = await handle.vault.policy(record.policyName, abortSignal);

  if (takesScheduledBackups(handle.record.currentProtectionState)) {
    const schedule = handle.record.schedule;
    const due = dueSlot(backupRuleOf(policy).trigger.schedule, new Date(schedule.from), schedule.lastSlot === undefined ? undefined : new Date(schedule.lastSlot), now);
    if (due && (await claimSlot(handle, due.slot, due.missed, abortSignal))) {
      result.backups.push(await takeBackup(handle, { scheduled: { slot: due.slot, missed: due.missed, missedCount: due.missed.length }, ...(abortSignal ? { abortSignal } : {}) }));
    }
  }
  if (appliesRetention(handle.record.currentProtectionState)) {
    const outcome = await applyRetention(handle, policy, now, abortSignal);
    for (const recoveryPointId of outcome.copies) result.copies.push({ instanceName: name, recoveryPointId });
    for (const deletion of outcome.deletions) result.deletions.push({ instanceName: name, ...deletion });
    for (const warning of outcome.warnings) result.warnings.push({ instanceName: name, ...warning });
  }
}

/**
 * One tick of the scheduler over every instance of a vault: see `BackupVault.runDue`.
 * @throws InvalidArgument for a bad `now` or `concurrency`; Aborted when the signal fires.
 */
export async function runDue(host: SchedulerHost, options: RunDueOptions & { now: Date }): Promise<RunDueResult> {
  const { now, abortSignal } = options;
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) throw invalidArgument("now", "must be a valid Date");
  const concurrency = options.concurrency ?? 4;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw invalidArgument("concurrency", "must be a whole number of at least 1");
  throwIfAborted(abortSignal);
  const result: RunDueResult = { now: now.toISOString(), backups: [], copies: [], deletions: [], purged: [], warnings: [], errors: [] };
  const names = await host.instanceNames(abortSignal);
  await forEachConcurrently(
    names,
    concurrency,
    async (name) => {
      try {
        const handle = await host.instance(name, abortSignal);
        if (handle) await runInstance(handle, now, result, abortSignal);
      } catch (error) {
        if (isKBackupError(error, "Aborted") || abortSignal?.aborted) throw error;
        const code = isKBackupError(error) ? error.code : "Internal";
        result.errors.push({ instanceName: name, code, message: error instanceof Error ? error.message : String(error) });
      }
    },
    abortSignal,
  );
  return result;
}
