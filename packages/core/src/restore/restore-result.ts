/** What a restore did, or (when planning) would do, with one object. */
export type RestoreItemOutcome = "Created" | "Patched" | "Skipped" | "Failed";

/** What a restore did (or, when planning, would do) with one backed-up object. */
export interface RestoreItemResult {
  group: string;
  version: string;
  resource: string;
  kind: string;
  /** The namespace in the target cluster (after mapping). */
  namespace?: string;
  /** The namespace in the backup, when it differs. */
  sourceNamespace?: string;
  name: string;
  outcome: RestoreItemOutcome;
  /** Why it was skipped or failed, or how it was made (a volume from a snapshot). */
  reason?: string;
  /** For Patched: the merge patch applied (or, when planning, that would be applied). */
  patch?: Record<string, unknown>;
  /** Resource modifier rules that applied, and those that failed. */
  appliedRules?: number[];
  warnings?: string[];
}

/** Counts of a restore's results, by outcome. */
export interface RestoreCounts {
  created: number;
  patched: number;
  skipped: number;
  failed: number;
}

/** How many of `results` ended in each outcome; zeros for none. */
export function countOutcomes(results: readonly RestoreItemResult[]): RestoreCounts {
  const counts: RestoreCounts = { created: 0, patched: 0, skipped: 0, failed: 0 };
  for (const result of results) {
    if (result.outcome === "Created") counts.created++;
    else if (result.outcome === "Patched") counts.patched++;
    else if (result.outcome === "Skipped") counts.skipped++;
    else counts.failed++;
  }
  return counts;
}
