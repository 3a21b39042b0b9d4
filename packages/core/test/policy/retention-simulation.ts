import type { BackupPolicy, RetentionPlan, RetentionPoint } from "@kbackup/core";
import { backupRuleOf, evaluateRetention, scheduledTimes, tagRecoveryPoint } from "@kbackup/core";

/** What a simulated backup instance holds after a tick. */
export interface Stores {
  operational: string[];
  vault: string[];
}

export interface SimulationOptions {
  from: Date;
  to: Date;
  /** ISO times of the scheduled backups that fail. */
  failed?: ReadonlySet<string>;
  /** Called after every tick, once the plan has been carried out. */
  onTick?: (now: Date, stores: Stores, plan: RetentionPlan) => void;
}

function storesOf(points: readonly RetentionPoint[]): Stores {
  const holding = (store: "OperationalStore" | "VaultStore") =>
    points.filter((point) => point.dataStores[store]?.present === true).map((point) => point.time.toISOString());
  return { operational: holding("OperationalStore"), vault: holding("VaultStore") };
}

/**
 * Runs a backup instance through its schedule: at every scheduled time a backup is taken (unless it
 * fails) and tagged, retention is evaluated, and its due copies and deletions are carried out.
 * Fails when a plan deletes a copy before its expiry or an operational copy that has a due copy.
 */
export function simulate(policy: BackupPolicy, options: SimulationOptions): RetentionPoint[] {
  let points: RetentionPoint[] = [];
  let lastSuccess: Date | undefined;
  for (const now of scheduledTimes(backupRuleOf(policy).trigger.schedule, options.from, options.to)) {
    if (options.failed?.has(now.toISOString()) !== true) {
      const tag = tagRecoveryPoint(policy, { time: now }, lastSuccess === undefined ? [] : [{ time: lastSuccess }]);
      points.push({ id: now.toISOString(), time: now, tag: tag.tagName, dataStores: { OperationalStore: { present: true } } });
      lastSuccess = now;
    }
    const plan = evaluateRetention(policy, points, now);
    const byId = new Map(points.map((point) => [point.id, point]));
    const dueCopies = new Set(plan.copies.filter((copy) => copy.due).map((copy) => copy.pointId));
    for (const deletion of plan.deletions) {
      if (deletion.expiredAt > now) throw new Error(`${deletion.pointId} deleted before it expired`);
      if (deletion.dataStore === "OperationalStore" && dueCopies.has(deletion.pointId)) throw new Error(`${deletion.pointId} deleted before its copy`);
      (byId.get(deletion.pointId)?.dataStores[deletion.dataStore] as { present: boolean }).present = false;
    }
    for (const copy of plan.copies) {
      if (copy.due) (byId.get(copy.pointId) as RetentionPoint).dataStores.VaultStore = { present: true, expiresAt: copy.expiresAt };
    }
    points = points.filter((point) => point.dataStores.OperationalStore?.present === true || point.dataStores.VaultStore?.present === true);
    options.onTick?.(now, storesOf(points), plan);
  }
  return points;
}
