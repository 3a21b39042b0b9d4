import { invalidArgument } from "../errors.js";
import type { IsoDuration } from "./iso-duration.js";
import { addIsoDuration, parseIsoDuration } from "./iso-duration.js";
import { policyTimeZone, retentionRulesOf } from "./policy-rules.js";
import type { AzureRetentionRule, BackupPolicy, CopyOption } from "./policy-schema.js";
import { DAY_MS, toWallMs } from "./zoned-time.js";

/** Persistent volumes larger than this (1 TiB) keep a recovery point out of the vault store, as in Azure. */
export const VAULT_VOLUME_LIMIT_BYTES = 1024 ** 4;

/** The data stores retention manages for Kubernetes clusters. */
export type RetentionDataStore = "OperationalStore" | "VaultStore";

/** A recovery point's copy in one data store. */
export interface StoreCopyState {
  /** True while the copy exists in the store. */
  present: boolean;
  /** The expiry fixed when the copy was made; absent means "as the policy says". */
  expiresAt?: Date | undefined;
}

/** A recovery point as retention sees it. */
export interface RetentionPoint {
  id: string;
  /** When its backup was taken; retention durations count from it. */
  time: Date;
  /** The tag it got when it was taken (see `tagRecoveryPoint`), which names its retention rule. */
  tag: string;
  /** Its copies; a store left out holds no copy. */
  dataStores: Partial<Record<RetentionDataStore, StoreCopyState>>;
  /** True for a backup taken on demand: it is not counted in the vault store's one scheduled point a day. */
  onDemand?: boolean | undefined;
  /** The retention rule chosen for an on-demand backup; it wins over `tag`. */
  retentionTagOverride?: string | undefined;
  /** The size in bytes of each persistent volume in the point. */
  volumeBytes?: readonly number[] | undefined;
}

/** A copy from the operational store to the vault store. */
export interface PlannedCopy {
  pointId: string;
  from: "OperationalStore";
  to: "VaultStore";
  /** The policy's copy option that set `at`. */
  copyOption: CopyOption["objectType"];
  /** When the copy is to be made: the backup time (immediate), the operational copy's expiry, or the backup time plus a custom duration. */
  at: Date;
  /** True when `at` is not after `now`: make the copy now. */
  due: boolean;
  /** When the vault copy will expire. */
  expiresAt: Date;
}

/** A copy whose retention is over. */
export interface PlannedDeletion {
  pointId: string;
  dataStore: RetentionDataStore;
  expiredAt: Date;
}

/** When a point's copies expire, for the stores that hold it or will. */
export type StoreExpiries = Partial<Record<RetentionDataStore, Date>>;

/** Why retention did not do what the policy asks for a point. */
export type RetentionWarningCode = "VolumesTooLargeForVault" | "VaultDailyLimit" | "SourceMissing" | "UnknownRetentionTag";

/** A point retention handles differently from what its rule asks, and why. */
export interface RetentionWarning {
  pointId: string;
  code: RetentionWarningCode;
  message: string;
}

/** What to do to bring the stores in line with the policy at `now`. */
export interface RetentionPlan {
  /** Copies to the vault store, due ones and later ones, in order of `at`. */
  copies: PlannedCopy[];
  /** Copies to delete now, in order of the points' times. */
  deletions: PlannedDeletion[];
  /** Every point's expiry per store, by point id. */
  expiries: Map<string, StoreExpiries>;
  warnings: RetentionWarning[];
}

interface CopyPlan {
  option: CopyOption["objectType"];
  /** For a custom copy: how long after the backup. */
  after: IsoDuration | undefined;
}

interface RulePlan {
  operational: IsoDuration | undefined;
  vault: IsoDuration | undefined;
  copy: CopyPlan | undefined;
}

function planRule(rule: AzureRetentionRule, index: number, fallbackOperational: IsoDuration | undefined): RulePlan {
  let operational = fallbackOperational;
  let vault: IsoDuration | undefined;
  let copy: CopyPlan | undefined;
  rule.lifecycles.forEach((lifecycle, j) => {
    const path = `policyRules[${index}].lifecycles[${j}]`;
    const duration = parseIsoDuration(lifecycle.deleteAfter.duration, `${path}.deleteAfter.duration`);
    if (lifecycle.sourceDataStore.dataStoreType === "OperationalStore") {
      operational = duration;
      const k = (lifecycle.targetDataStoreCopySettings ?? []).findIndex((setting) => setting.dataStore.dataStoreType === "VaultStore");
      const option = lifecycle.targetDataStoreCopySettings?.[k]?.copyAfter;
      if (option !== undefined) {
        const field = `${path}.targetDataStoreCopySettings[${k}].copyAfter.duration`;
        copy = { option: option.objectType, after: option.objectType === "CustomCopyOption" ? parseIsoDuration(option.duration, field) : undefined };
      }
    } else if (lifecycle.sourceDataStore.dataStoreType === "VaultStore") {
      vault = duration;
    }
  });
  // A copy to a store without its own lifecycle keeps the lifecycle it was copied under.
  if (copy !== undefined && vault === undefined) vault = operational;
  return { operational, vault, copy };
}

function planRules(policy: BackupPolicy): { plans: Map<string, RulePlan>; fallback: RulePlan; defaultName: string } {
  const { defaultRule } = retentionRulesOf(policy);
  if (defaultRule === undefined) throw invalidArgument("policyRules", "the policy has no default retention rule");
  const defaultIndex = policy.policyRules.indexOf(defaultRule);
  const fallback = planRule(defaultRule, defaultIndex, undefined);
  const plans = new Map<string, RulePlan>();
  policy.policyRules.forEach((rule, i) => {
    if (rule.objectType === "AzureRetentionRule" && !plans.has(rule.name)) plans.set(rule.name, planRule(rule, i, fallback.operational));
  });
  return { plans, fallback, defaultName: defaultRule.name };
}

function timeOf(value: Date | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = value instanceof Date ? value.getTime() : Number.NaN;
  if (Number.isNaN(ms)) throw invalidArgument(field, "must be a valid Date");
  return ms;
}

function copyTime(copy: CopyPlan, takenMs: number, operationalExpiry: number | undefined): number | undefined {
  if (copy.option === "CopyOnExpiryOption") return operationalExpiry;
  return copy.after === undefined ? takenMs : addIsoDuration(new Date(takenMs), copy.after).getTime();
}

/**
 * Works out what retention asks at `now` for a backup instance's recovery points. Pure: it reads its
 * arguments and returns a plan; carrying it out is the caller's.
 *
 * Each point follows the retention rule named by its `retentionTagOverride`, else its `tag` (an unknown
 * name falls back to the default rule, with a warning). A copy's expiry is the one it carries, else the
 * backup time plus its rule's `deleteAfter` for that store (a rule without an OperationalStore lifecycle
 * uses the default rule's; a vault copy without a VaultStore lifecycle keeps the duration of the
 * lifecycle that copied it). Durations count from the backup time: days and weeks as whole 24-hour days,
 * months and years on the UTC calendar.
 *
 * Copies to the vault store follow the rule's copy option: at the backup time (`ImmediateCopyOption`),
 * when the operational copy expires (`CopyOnExpiryOption`), or after a custom duration
 * (`CustomCopyOption`). The vault store takes at most one scheduled point per day of the policy's time
 * zone (the day's earliest eligible point, or the one already there) and any number of on-demand ones;
 * a point with a volume over {@link VAULT_VOLUME_LIMIT_BYTES} is not copied, with a warning, nor is one
 * whose operational copy is gone. A copy whose vault expiry is already past is not made.
 *
 * A deletion is returned only for a present copy whose expiry is at or before `now`, and never for an
 * operational copy that still has a copy to the vault store to make (it is deleted on a later run,
 * once the vault holds it). A copy without a known expiry is kept.
 *
 * @throws InvalidArgument for an invalid `now` or point time, a repeated point id, or a policy without
 *   a backup rule, a default retention rule or with malformed durations (validate it first).
 */
export function evaluateRetention(policy: BackupPolicy, points: readonly RetentionPoint[], now: Date): RetentionPlan {
  const nowMs = timeOf(now, "now") as number;
  const zone = policyTimeZone(policy);
  const { plans, fallback, defaultName } = planRules(policy);
  const takenMs = points.map((point, i) => timeOf(point.time, `points[${i}].time`) as number);
  const days = takenMs.map((ms) => Math.floor(toWallMs(ms, zone) / DAY_MS));
  const order = takenMs.map((_, i) => i).sort((a, b) => (takenMs[a] as number) - (takenMs[b] as number));

  const ids = new Set<string>();
  const vaultDays = new Set<number>();
  points.forEach((point, i) => {
    if (ids.has(point.id)) throw invalidArgument(`points[${i}].id`, `point id "${point.id}" is repeated`);
    ids.add(point.id);
    if (point.onDemand !== true && point.dataStores.VaultStore?.present === true) vaultDays.add(days[i] as number);
  });

  const copies: PlannedCopy[] = [];
  const deletions: PlannedDeletion[] = [];
  const expiries = new Map<string, StoreExpiries>();
  const warnings: RetentionWarning[] = [];
  const warn = (pointId: string, code: RetentionWarningCode, message: string) => warnings.push({ pointId, code, message });

  for (const i of order) {
    const point = points[i] as RetentionPoint;
    const taken = takenMs[i] as number;
    const tagName = point.retentionTagOverride ?? point.tag;
    let plan = plans.get(tagName);
    if (plan === undefined) {
      warn(point.id, "UnknownRetentionTag", `no retention rule is named "${tagName}"; the default rule "${defaultName}" applies`);
      plan = fallback;
    }
    const after = (duration: IsoDuration | undefined) => (duration === undefined ? undefined : addIsoDuration(new Date(taken), duration).getTime());
    const operational = point.dataStores.OperationalStore;
    const vault = point.dataStores.VaultStore;
    const operationalExpiry = timeOf(operational?.expiresAt, `points[${i}].dataStores.OperationalStore.expiresAt`) ?? after(plan.operational);
    const vaultExpiry = timeOf(vault?.expiresAt, `points[${i}].dataStores.VaultStore.expiresAt`) ?? after(plan.vault);
    const pointExpiries: StoreExpiries = {};
    let copyPending = false;

    if (operational?.present === true && operationalExpiry !== undefined) pointExpiries.OperationalStore = new Date(operationalExpiry);
    if (vault?.present === true) {
      if (vaultExpiry !== undefined) pointExpiries.VaultStore = new Date(vaultExpiry);
    } else if (plan.copy !== undefined && vaultExpiry !== undefined && vaultExpiry > nowMs) {
      const day = days[i] as number;
      const largest = Math.max(0, ...(point.volumeBytes ?? []));
      if (operational?.present !== true) {
        warn(point.id, "SourceMissing", "the point is to be copied to the vault store, but its operational copy is gone");
      } else if (largest > VAULT_VOLUME_LIMIT_BYTES) {
        warn(point.id, "VolumesTooLargeForVault", `a persistent volume of ${largest} bytes is over the vault store's limit of ${VAULT_VOLUME_LIMIT_BYTES} bytes; the point stays in the operational store only`);
      } else if (point.onDemand !== true && vaultDays.has(day)) {
        warn(point.id, "VaultDailyLimit", "the vault store already has this day's scheduled recovery point; this one is not copied");
      } else {
        const at = copyTime(plan.copy, taken, operationalExpiry);
        if (at !== undefined && at < vaultExpiry) {
          copies.push({ pointId: point.id, from: "OperationalStore", to: "VaultStore", copyOption: plan.copy.option, at: new Date(at), due: at <= nowMs, expiresAt: new Date(vaultExpiry) });
          pointExpiries.VaultStore = new Date(vaultExpiry);
          if (point.onDemand !== true) vaultDays.add(day);
          copyPending = true;
        }
      }
    }

    if (operational?.present === true && operationalExpiry !== undefined && operationalExpiry <= nowMs && !copyPending) {
      deletions.push({ pointId: point.id, dataStore: "OperationalStore", expiredAt: new Date(operationalExpiry) });
    }
    if (vault?.present === true && vaultExpiry !== undefined && vaultExpiry <= nowMs) {
      deletions.push({ pointId: point.id, dataStore: "VaultStore", expiredAt: new Date(vaultExpiry) });
    }
    expiries.set(point.id, pointExpiries);
  }
  copies.sort((a, b) => a.at.getTime() - b.at.getTime());
  return { copies, deletions, expiries, warnings };
}
