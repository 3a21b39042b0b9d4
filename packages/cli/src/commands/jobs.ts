import { JOB_OPERATIONS, JOB_STATUSES, type BackupJob, type JobFilter } from "@kbackup/core";
import { EXIT_CODES, type ExitCode } from "../exit-codes.js";
import { choiceOption, integerOption, timeOption } from "../option-values.js";
import type { Session } from "../session.js";
import { textTable } from "../text-table.js";

/** The options of `kbackup jobs`. */
export interface JobsCommandOptions {
  instance?: string[];
  operation?: string[];
  status?: string[];
  since?: string;
  until?: string;
  limit?: string;
  all?: boolean;
  csv?: boolean;
}

/** The center's job filter from the options; InvalidArgument naming the option for a bad value. */
export function jobFilter(options: JobsCommandOptions, now: Date): JobFilter {
  return {
    ...(options.instance?.length ? { instanceName: options.instance } : {}),
    ...(options.operation?.length ? { operation: options.operation.map((value) => choiceOption("--operation", value, JOB_OPERATIONS)) } : {}),
    ...(options.status?.length ? { status: options.status.map((value) => choiceOption("--status", value, JOB_STATUSES)) } : {}),
    ...(options.since ? { from: timeOption("--since", options.since, now) } : {}),
    ...(options.until ? { to: timeOption("--until", options.until, now) } : {}),
  };
}

/** `kbackup jobs`: the vault's jobs, newest first, filtered; a table, `--json`, or `--csv` (RFC 4180). */
export async function jobsCommand(session: Session, options: JobsCommandOptions): Promise<ExitCode> {
  const filter = jobFilter(options, new Date());
  const limit = options.all ? Number.POSITIVE_INFINITY : options.limit ? integerOption("--limit", options.limit, 1, 1_000_000) : 50;
  const vault = await session.openVault();
  const center = await session.center(vault);
  if (options.csv || (session.options.json && options.all)) {
    session.io.stdout.write(center.exportJobs(filter, options.csv ? "csv" : "json"));
    return EXIT_CODES.ok;
  }
  const jobs: BackupJob[] = [];
  for await (const page of center.listJobs(filter).byPage({ maxPageSize: Math.min(1000, limit) })) {
    jobs.push(...page.items.slice(0, limit - jobs.length));
    if (jobs.length >= limit) break;
  }
  if (session.options.json) {
    session.printJson(jobs);
    return EXIT_CODES.ok;
  }
  if (jobs.length === 0) {
    session.print("No jobs match.");
    return EXIT_CODES.ok;
  }
  session.print(
    textTable(
      ["started", "operation", "instance", "status", "duration", "recovery point", "job", "error"],
      jobs.map((job) => [job.startTime, job.operation, job.backupInstanceFriendlyName, job.status, job.duration, job.extendedInfo.recoveryPointId, job.jobId, job.errorDetails?.[0]?.message]),
    ),
  );
  const counts = center.countJobs(filter);
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  if (total > jobs.length) session.print(`${jobs.length} of ${total} jobs shown; --limit or --all shows more.`);
  return EXIT_CODES.ok;
}
