import { BackupCenter, collect, isKBackupError, type BackupJob, type JobAlert, type JobFilter } from "@kbackup/core";
import { ManualClock } from "@kbackup/testing";
import { describe, expect, it } from "vitest";
import { HOUR, job } from "./fixtures.js";

const START = Date.parse("2026-03-01T00:00:00Z");

/** 600 jobs over 25 days, three vaults, four instances each, every status and both operations; fed out of order. */
function fleet(): BackupJob[] {
  const jobs: BackupJob[] = [];
  for (let n = 0; n < 600; n++) {
    const status = n % 10 === 3 ? "Failed" : n % 10 === 7 ? "CompletedWithWarnings" : n % 50 === 9 ? "Cancelled" : "Completed";
    jobs.push(job(`vault-${n % 3}`, `app-${n % 4}`, new Date(START + n * HOUR).toISOString(), status, n % 11 === 0 ? "Restore" : "Backup"));
  }
  // Same start as another job: ties are broken by job id.
  jobs.push(job("vault-0", "app-0", new Date(START + 42 * HOUR).toISOString(), "Completed"));
  return [...jobs.filter((_, i) => i % 2 === 1), ...jobs.filter((_, i) => i % 2 === 0)];
}

function expected(jobs: BackupJob[], filter: (job: BackupJob) => boolean): string[] {
  return jobs
    .filter(filter)
    .sort((a, b) => Date.parse(b.startTime) - Date.parse(a.startTime) || (a.jobId < b.jobId ? 1 : -1))
    .map((job) => job.jobId);
}

async function pagesOf(center: BackupCenter, filter: JobFilter, maxPageSize: number): Promise<string[][]> {
  const pages: string[][] = [];
  for await (const page of center.listJobs(filter).byPage({ maxPageSize })) pages.push(page.items.map((item) => item.jobId));
  return pages;
}

describe("the backup center's job queries", () => {
  const jobs = fleet();
  const center = new BackupCenter({ alertsSince: new Date(0) });
  center.ingestJobs(jobs);

  it("lists every job newest first, ties broken by id", async () => {
    const ids = (await collect(center.listJobs())).map((item) => item.jobId);
    expect(ids).toEqual(expected(jobs, () => true));
    expect(center.jobCount).toBe(601);
  });

  it.each<[string, JobFilter, (job: BackupJob) => boolean]>([
    ["a vault", { vaultName: "vault-1" }, (j) => j.vaultName === "vault-1"],
    ["an instance in every vault", { instanceName: "app-2" }, (j) => j.backupInstanceFriendlyName === "app-2"],
    ["an instance of one vault", { vaultName: "vault-0", instanceName: "app-0" }, (j) => j.vaultName === "vault-0" && j.backupInstanceFriendlyName === "app-0"],
    ["two instances of two vaults", { vaultName: ["vault-0", "vault-2"], instanceName: ["app-1", "app-3"] }, (j) => ["vault-0", "vault-2"].includes(j.vaultName) && ["app-1", "app-3"].includes(j.backupInstanceFriendlyName)],
    ["a status", { status: "Failed" }, (j) => j.status === "Failed"],
    ["an operation and statuses", { operation: "Restore", status: ["Completed", "CompletedWithWarnings"] }, (j) => j.operation === "Restore" && (j.status === "Completed" || j.status === "CompletedWithWarnings")],
    [
      "a time window (from inclusive, to exclusive)",
      { from: new Date(START + 100 * HOUR), to: new Date(START + 200 * HOUR).toISOString() },
      (j) => Date.parse(j.startTime) >= START + 100 * HOUR && Date.parse(j.startTime) < START + 200 * HOUR,
    ],
    [
      "everything at once",
      { vaultName: "vault-2", instanceName: "app-2", operation: "Backup", status: "Failed", from: new Date(START + 24 * HOUR) },
      (j) => j.vaultName === "vault-2" && j.backupInstanceFriendlyName === "app-2" && j.operation === "Backup" && j.status === "Failed" && Date.parse(j.startTime) >= START + 24 * HOUR,
    ],
    ["an unknown vault", { vaultName: "nowhere" }, () => false],
  ])("filters by %s, in pages that join up without gaps or repeats", async (_, filter, predicate) => {
    const want = expected(jobs, predicate);
    const pages = await pagesOf(center, filter, 7);
    expect(pages.flat()).toEqual(want);
    // Every page but the last is full, and the last page carries no token.
    expect(pages.slice(0, -1).every((page) => page.length === 7)).toBe(true);
    expect(center.countJobs(filter)).toMatchObject({ Failed: jobs.filter((j) => predicate(j) && j.status === "Failed").length });
  });

  it("resumes from a token after more jobs arrived, and returns copies", async () => {
    const local = new BackupCenter();
    local.ingestJobs(fleet());
    const first = (await local.listJobs({ vaultName: "vault-0" }).byPage({ maxPageSize: 5 }).next()).value!;
    // A newer job and an older one arrive between two pages: the next page goes on below the last item.
    const older = job("vault-0", "app-0", new Date(START - HOUR).toISOString());
    local.ingestJobs([job("vault-0", "app-9", new Date(START + 1000 * HOUR).toISOString()), older]);
    const rest = await collect(local.listJobs({ vaultName: "vault-0" }).byPage({ maxPageSize: 1000, continuationToken: first.continuationToken! }));
    const ids = [...first.items, ...rest.flatMap((page) => page.items)].map((item) => item.jobId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.at(-1)).toBe(older.jobId);
    first.items[0]!.status = "Cancelled";
    expect(local.getJob(first.items[0]!.jobId)?.status).not.toBe("Cancelled");
  });

  it("rejects a bad filter, page size or token with InvalidArgument naming the field", async () => {
    const fields = async (run: () => unknown) => {
      try {
        await run();
      } catch (error) {
        return isKBackupError(error, "InvalidArgument") ? error.field : `not InvalidArgument: ${String(error)}`;
      }
      return "no error";
    };
    expect(await fields(() => center.listJobs({ status: "Done" as never }))).toBe("filter.status");
    expect(await fields(() => center.listJobs({ operation: ["Backup", "Copy" as never] }))).toBe("filter.operation");
    expect(await fields(() => center.listJobs({ from: "yesterday" }))).toBe("filter.from");
    expect(await fields(() => center.listJobs({ from: new Date(START + HOUR), to: new Date(START) }))).toBe("filter.to");
    expect(await fields(() => center.listJobs({ vaultName: "" }))).toBe("filter.vaultName");
    expect(await fields(() => center.listJobs().byPage({ maxPageSize: 0 }).next())).toBe("maxPageSize");
    expect(await fields(() => center.listJobs().byPage({ continuationToken: "garbage" }).next())).toBe("continuationToken");
    const token = (await center.listJobs({ status: "Failed" }).byPage({ maxPageSize: 2 }).next()).value!.continuationToken!;
    expect(await fields(() => center.listJobs({ status: "Completed" }).byPage({ continuationToken: token }).next())).toBe("continuationToken");
  });

  it("counts outcomes per day", () => {
    const days = center.jobOutcomes({ vaultName: "vault-0" });
    expect(days[0]!.start).toBe("2026-03-01T00:00:00.000Z");
    const total = days.reduce((sum, day) => sum + Object.values(day.counts).reduce((a, b) => a + b, 0), 0);
    expect(total).toBe(jobs.filter((j) => j.vaultName === "vault-0").length);
    expect(days.map((day) => day.start)).toEqual([...days.map((day) => day.start)].sort());
  });
});

describe("alerts", () => {
  it("tell each listener once of each job seen failed, after alertsSince, until it unsubscribes", () => {
    const clock = new ManualClock("2026-03-10T00:00:00Z");
    const center = new BackupCenter({ clock });
    const seen: JobAlert[] = [];
    const other: string[] = [];
    const stop = center.onAlert((alert) => seen.push(alert));
    center.onAlert(() => {
      throw new Error("a listener that fails does not stop the others");
    });
    center.onAlert((alert) => other.push(alert.jobId));

    const old = job("vault", "web", "2026-03-01T00:00:00Z", "Failed");
    const running = job("vault", "web", "2026-03-10T01:00:00Z", "InProgress");
    expect(center.ingestJobs([old, running])).toEqual([]);
    const failed: BackupJob = { ...running, status: "Failed", endTime: "2026-03-10T01:05:00.000Z", errorDetails: [{ code: "Timeout", message: "The snapshot was not ready in time." }] };
    const raised = center.ingestJobs([failed]);
    expect(raised).toHaveLength(1);
    expect(seen).toEqual(raised);
    expect(seen[0]).toMatchObject({ alertId: `job-failed/${running.jobId}`, severity: "Error", vaultName: "vault", instanceName: "web", operation: "Backup", code: "Timeout", time: "2026-03-10T01:05:00.000Z" });
    expect(seen[0]!.message).toContain("The snapshot was not ready in time.");
    // Seen again: no second alert.
    expect(center.ingestJobs([failed])).toEqual([]);
    stop();
    center.ingestJobs([job("vault", "db", "2026-03-10T02:00:00Z", "Failed")]);
    expect(seen).toHaveLength(1);
    expect(other).toHaveLength(2);
  });
});
