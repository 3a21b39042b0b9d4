import type { CenterInstanceRecord } from "./center-records.js";

/** Which storage a growth series is about. */
export type GrowthSeriesName = "OperationalStore" | "VaultStore" | "Snapshots";

/** Bytes held at a time. */
export interface GrowthPoint {
  time: string;
  bytes: number;
}

/** How much one kind of storage grew: what is held now, by when it was written. */
export interface GrowthSeries {
  name: GrowthSeriesName;
  points: GrowthPoint[];
}

/**
 * The growth of what the instances hold now, per kind of storage: each copy adds its bytes at its
 * creation (archives per data store; snapshots, by volume size, at their recovery point's time while
 * the operational copy exists). One point per distinct time, oldest first; the last is the total
 * held. Copies deleted since are not known, so the series show the history of what is kept.
 */
export function storageGrowth(instances: readonly CenterInstanceRecord[]): GrowthSeries[] {
  const events: Record<GrowthSeriesName, Array<[string, number]>> = { OperationalStore: [], VaultStore: [], Snapshots: [] };
  for (const instance of instances) {
    for (const point of instance.recoveryPoints) {
      const operational = point.dataStores.OperationalStore;
      const vault = point.dataStores.VaultStore;
      if (operational) {
        events.OperationalStore.push([operational.creationTime, point.archiveSizeInBytes]);
        if (point.volumeBytes > 0) events.Snapshots.push([point.recoveryPointTime, point.volumeBytes]);
      }
      if (vault) events.VaultStore.push([vault.creationTime, point.archiveSizeInBytes]);
    }
  }
  return (Object.keys(events) as GrowthSeriesName[]).map((name) => {
    const sorted = events[name].sort(([a], [b]) => Date.parse(a) - Date.parse(b));
    const points: GrowthPoint[] = [];
    let total = 0;
    for (const [time, bytes] of sorted) {
      total += bytes;
      const last = points[points.length - 1];
      if (last && last.time === time) last.bytes = total;
      else points.push({ time, bytes: total });
    }
    return { name, points };
  });
}
