// Measures evaluateRetention on ten years of 4-hourly recovery points under a grandfather-father-son
// policy, from the built package: `pnpm run build:all` (or core's build:js), then
// `node bench/retention.bench.ts`.
import { readFileSync } from "node:fs";
import type { RetentionPoint } from "@kbackup/core";
import { evaluateRetention, scheduledTimes, tagRecoveryPoints, validateBackupPolicy } from "@kbackup/core";

const RUNS = 15;

const gfs = JSON.parse(readFileSync(new URL("../packages/core/test/policy/fixtures/gfs-policy.json", import.meta.url), "utf8"));
const from = new Date("2016-01-01T00:00:00Z");
const now = new Date("2026-01-01T00:00:00Z");

function measure(timeZone: string): void {
  gfs.properties.policyRules[0].trigger.schedule.timeZone = timeZone;
  const policy = validateBackupPolicy(gfs);
  const times = scheduledTimes({ repeatingTimeIntervals: ["R/2016-01-01T00:00:00Z/PT4H"], timeZone }, from, now);

  const tagStart = performance.now();
  const tags = tagRecoveryPoints(policy, times.map((time) => ({ time })));
  const tagMs = performance.now() - tagStart;

  // Every point still held in the operational store, and the vaulted tags in the vault store: the most
  // work retention can be given, since nothing has been deleted yet.
  const points: RetentionPoint[] = times.map((time, i) => {
    const tag = tags[i]?.tagName ?? "Default";
    const vaulted = tag === "Weekly" || tag === "Monthly" || tag === "Yearly";
    return {
      id: time.toISOString(),
      time,
      tag,
      dataStores: { OperationalStore: { present: true }, ...(vaulted ? { VaultStore: { present: true } } : {}) },
      volumeBytes: [64 * 1024 ** 3],
    };
  });

  const coldStart = performance.now();
  let plan = evaluateRetention(policy, points, now);
  const coldMs = performance.now() - coldStart;
  const durations: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const start = performance.now();
    plan = evaluateRetention(policy, points, now);
    durations.push(performance.now() - start);
  }
  durations.sort((a, b) => a - b);
  const median = durations[Math.floor(RUNS / 2)] as number;

  console.log(`${points.length} points (10 years, every 4 hours), grandfather-father-son policy in ${timeZone}`);
  console.log(`  tagRecoveryPoints: ${tagMs.toFixed(1)} ms (first run)`);
  console.log(
    `  evaluateRetention: first run ${coldMs.toFixed(1)} ms; then median ${median.toFixed(1)} ms, min ${(durations[0] as number).toFixed(1)} ms, max ${(durations[RUNS - 1] as number).toFixed(1)} ms over ${RUNS} runs`,
  );
  console.log(`  plan: ${plan.deletions.length} deletions, ${plan.copies.length} copies, ${plan.warnings.length} warnings`);
  console.log(`  under 200 ms: ${Math.max(coldMs, median) < 200 ? "yes" : "NO"}`);
}

measure("UTC");
measure("Europe/Amsterdam");
