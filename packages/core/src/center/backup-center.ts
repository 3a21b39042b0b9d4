import { invalidArgument } from "../errors.js";
import type { BackupJob, JobStatus } from "../jobs/job.js";
import { systemClock, type Clock } from "../ports/clock.js";
import { silentLogger, type Logger } from "../ports/logger.js";
import type { OperationOptions } from "../ports/options.js";
import { pagedIterator, type PagedAsyncIterableIterator } from "../util/paged.js";
import type { BackupVault } from "../vault/backup-vault.js";
import { instanceKey, type CenterInstanceRecord, type CenterVaultRecord } from "./center-records.js";
import { complianceReport, type ComplianceReport } from "./compliance.js";
import { estimateCost, type CostEstimate } from "./cost-estimate.js";
import { AlertListeners, failedJobAlert, type JobAlert, type JobAlertListener } from "./job-alert.js";
import { jobsToCsv, jobsToJson } from "./job-export.js";
import { normalizeJobFilter, type JobFilter } from "./job-filter.js";
import { JobIndex } from "./job-index.js";
import { protectionStateOf, type InstanceProtectionState } from "./protection-overview.js";
import { storageGrowth, type GrowthSeries } from "./storage-growth.js";
import { usageReport, type UsageReport } from "./usage.js";
import { readVault } from "./vault-reader.js";

/** Options of {@link BackupCenter}. */
export interface BackupCenterOptions {
  /** The vaults `refresh` reads; more can be added with `addVault`. */
  vaults?: readonly BackupVault[];
  clock?: Clock;
  logger?: Logger;
  /** How late a backup or a vault copy may be before the compliance report names it; 1 hour by default. */
  graceInMs?: number;
  /** Jobs that failed (ended) before this time raise no alert; by default the time the center was made. */
  alertsSince?: Date;
  /** Read the latest manifest of instances that protect all namespaces to count them; true by default. */
  readManifests?: boolean;
}

/** Options of {@link BackupCenter.jobOutcomes}. */
export interface JobOutcomesOptions {
  /** The width of a bucket; a day by default. */
  bucketInMs?: number;
}

/** Job counts by status in one bucket of start time. */
export interface JobOutcomeBucket {
  /** The bucket's start. */
  start: string;
  counts: Record<JobStatus, number>;
}

/** Options of {@link BackupCenter.complianceReport}. */
export interface ComplianceReportOptions {
  /** The time to judge at; the center's clock by default. */
  now?: Date;
  /** Overrides the center's grace. */
  graceInMs?: number;
}

/** What a refresh read. */
export interface CenterRefreshResult {
  vaults: number;
  instances: number;
  jobs: number;
  alerts: JobAlert[];
}

/** The formats of {@link BackupCenter.exportJobs}. */
export type JobExportFormat = "csv" | "json";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function checkDuration(field: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw invalidArgument(field, `must be a number of milliseconds >= 0, got ${value}`);
  return value;
}

/**
 * Queries and reports across one or many backup vaults, Azure Backup center's way: jobs filtered
 * and paged, the protection state of every instance, a compliance report, usage, storage growth, a
 * cost estimate, alerts on failed jobs and exports. It answers from memory: `refresh` reads the
 * vaults it was given; `ingestVault`, `ingestInstance` and `ingestJobs` feed it directly (from any
 * source). Jobs are indexed so that a filtered page costs what it skips, not the number of jobs.
 */
export class BackupCenter {
  private readonly index = new JobIndex();
  private readonly vaults = new Map<string, CenterVaultRecord>();
  private readonly instances = new Map<string, CenterInstanceRecord>();
  private readonly sources: BackupVault[] = [];
  private readonly listeners: AlertListeners;
  private readonly namespaceCache = new Map<string, string[]>();
  private readonly clock: Clock;
  private readonly graceInMs: number;
  private readonly alertsSinceMs: number;
  private readonly readManifests: boolean;

  /** @throws InvalidArgument for a negative grace or a bad `alertsSince`. */
  constructor(options: BackupCenterOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.listeners = new AlertListeners(options.logger ?? silentLogger);
    this.graceInMs = checkDuration("graceInMs", options.graceInMs ?? HOUR);
    const since = options.alertsSince ?? this.clock.now();
    if (!(since instanceof Date) || Number.isNaN(since.getTime())) throw invalidArgument("alertsSince", "must be a valid Date");
    this.alertsSinceMs = since.getTime();
    this.readManifests = options.readManifests ?? true;
    for (const vault of options.vaults ?? []) this.addVault(vault);
  }

  /** Adds a vault for `refresh` to read. InvalidArgument when a vault of that name is already added. */
  addVault(vault: BackupVault): void {
    if (!vault || typeof vault.listJobs !== "function") throw invalidArgument("vault", "must be a BackupVault");
    if (this.sources.some((source) => source.name === vault.name)) throw invalidArgument("vault", `a vault named ${vault.name} is already in the center`);
    this.sources.push(vault);
  }

  /**
   * Reads every added vault afresh (`vault.refresh()`, then its settings, policies, instances with
   * their recovery points, and jobs) and returns the alerts raised: poll it to be told of failures.
   * Instances a vault no longer has are forgotten; their jobs stay.
   * @throws what the vaults' stores throw.
   */
  async refresh(options: OperationOptions = {}): Promise<CenterRefreshResult> {
    const alerts: JobAlert[] = [];
    let jobs = 0;
    let instances = 0;
    for (const vault of this.sources) {
      await vault.refresh(options);
      const reading = await readVault(vault, { ...options, readManifests: this.readManifests, namespaceCache: this.namespaceCache });
      this.ingestVault(reading.vault);
      for (const [key, instance] of this.instances) if (instance.vaultName === vault.name) this.instances.delete(key);
      for (const instance of reading.instances) this.ingestInstance(instance);
      instances += reading.instances.length;
      const vaultJobs = vault.listJobs();
      jobs += vaultJobs.length;
      alerts.push(...this.ingest(vaultJobs));
    }
    return { vaults: this.sources.length, instances, jobs, alerts };
  }

  /** Adds or replaces what the center knows of a vault. */
  ingestVault(vault: CenterVaultRecord): void {
    if (!vault || typeof vault.name !== "string" || !vault.settings) throw invalidArgument("vault", "must have a name and settings");
    this.vaults.set(vault.name, vault);
  }

  /** Adds or replaces what the center knows of an instance (kept as given: do not change it afterwards). */
  ingestInstance(instance: CenterInstanceRecord): void {
    if (!instance || typeof instance.vaultName !== "string" || typeof instance.name !== "string" || !Array.isArray(instance.recoveryPoints)) {
      throw invalidArgument("instance", "must have a vaultName, a name and recoveryPoints");
    }
    this.instances.set(instanceKey(instance.vaultName, instance.name), instance);
  }

  /**
   * Adds jobs, or replaces those already known by `jobId` (a job seen again once it ended). The center
   * keeps the objects given: do not change them afterwards. Returns the alerts raised: one for each job
   * seen failed for the first time that ended at or after `alertsSince`, also told to every listener.
   * @throws InvalidArgument for a job without a valid start time, status or operation.
   */
  ingestJobs(jobs: Iterable<BackupJob>): JobAlert[] {
    return this.ingest(jobs);
  }

  private ingest(jobs: Iterable<BackupJob>): JobAlert[] {
    const alerts: JobAlert[] = [];
    for (const job of jobs) {
      const { previousStatus } = this.index.upsert(job);
      if (job.status !== "Failed" || previousStatus === "Failed") continue;
      if (Date.parse(job.endTime ?? job.startTime) < this.alertsSinceMs) continue;
      const alert = failedJobAlert(job);
      alerts.push(alert);
      this.listeners.emit(alert);
    }
    return alerts;
  }

  /** Calls `listener` with every alert from now on; returns the function that stops it. */
  onAlert(listener: JobAlertListener): () => void {
    if (typeof listener !== "function") throw invalidArgument("listener", "must be a function");
    return this.listeners.add(listener);
  }

  /** How many jobs the center knows. */
  get jobCount(): number {
    return this.index.size;
  }

  /** A copy of the job with this id; undefined when unknown. */
  getJob(jobId: string): BackupJob | undefined {
    const job = this.index.get(jobId);
    return job && structuredClone(job);
  }

  /**
   * The jobs that match `filter`, newest first (by start time, then id), as copies; `byPage` takes
   * `maxPageSize` (100 by default, at most 10,000) and the `continuationToken` of the previous page.
   * @throws InvalidArgument for a bad filter (at once), a bad page size or a token of another filter (when a page is read).
   */
  listJobs(filter: JobFilter = {}): PagedAsyncIterableIterator<BackupJob> {
    const normalized = normalizeJobFilter(filter);
    return pagedIterator(async (token, maxPageSize) => {
      const page = this.index.page(normalized, maxPageSize, token);
      return { items: page.items.map((job) => structuredClone(job)), ...(page.continuationToken ? { continuationToken: page.continuationToken } : {}) };
    });
  }

  /** How many jobs match, by status. InvalidArgument for a bad filter. */
  countJobs(filter: JobFilter = {}): Record<JobStatus, number> {
    return this.index.countByStatus(normalizeJobFilter(filter));
  }

  /** Job counts by status over time (buckets of start time, oldest first, empty buckets left out). InvalidArgument for a bad filter or bucket. */
  jobOutcomes(filter: JobFilter = {}, options: JobOutcomesOptions = {}): JobOutcomeBucket[] {
    const bucket = options.bucketInMs ?? DAY;
    if (!Number.isSafeInteger(bucket) || bucket < 1000) throw invalidArgument("bucketInMs", "must be a whole number of milliseconds of at least 1000");
    return this.index.histogram(normalizeJobFilter(filter), bucket).map(({ start, counts }) => ({ start: new Date(start).toISOString(), counts }));
  }

  /** What the center knows of each vault, by name. */
  listVaults(): CenterVaultRecord[] {
    return [...this.vaults.values()].sort((a, b) => a.name.localeCompare(b.name)).map((vault) => structuredClone(vault));
  }

  /** What the center knows of each instance, by vault and name. */
  listInstances(): CenterInstanceRecord[] {
    return this.sortedInstances().map((instance) => structuredClone(instance));
  }

  private sortedInstances(): CenterInstanceRecord[] {
    return [...this.instances.values()].sort((a, b) => a.vaultName.localeCompare(b.vaultName) || a.name.localeCompare(b.name));
  }

  /** The protection state of every instance, by vault and name. */
  protectionStates(): InstanceProtectionState[] {
    return this.sortedInstances().map((instance) => protectionStateOf(instance, this.index.facts(instance.vaultName, instance.name)));
  }

  /** The compliance report (see `complianceReport`) of every vault and instance. InvalidArgument for a bad time or grace. */
  complianceReport(options: ComplianceReportOptions = {}): ComplianceReport {
    const now = options.now ?? this.clock.now();
    if (!(now instanceof Date) || Number.isNaN(now.getTime())) throw invalidArgument("now", "must be a valid Date");
    return complianceReport({
      vaults: [...this.vaults.values()],
      instances: this.sortedInstances(),
      facts: (vaultName, instanceName) => this.index.facts(vaultName, instanceName),
      now,
      graceInMs: checkDuration("graceInMs", options.graceInMs ?? this.graceInMs),
    });
  }

  /** Recovery points and bytes per store, snapshot bytes and namespaces, per instance and vault. */
  usage(): UsageReport {
    return usageReport([...this.vaults.values()], this.sortedInstances());
  }

  /** The growth of what is kept, per kind of storage (see `storageGrowth`). */
  storageGrowth(): GrowthSeries[] {
    return storageGrowth(this.sortedInstances());
  }

  /** A monthly cost estimate with `prices` (a `PriceTable`). InvalidArgument for a bad table. */
  estimateCost(prices: unknown): CostEstimate {
    return estimateCost(this.usage(), prices);
  }

  /** The jobs that match, newest first, as RFC 4180 CSV or a JSON array. InvalidArgument for a bad filter or format. */
  exportJobs(filter: JobFilter = {}, format: JobExportFormat = "csv"): string {
    if (format !== "csv" && format !== "json") throw invalidArgument("format", `must be "csv" or "json", got ${JSON.stringify(format)}`);
    const jobs: BackupJob[] = [];
    this.index.forEach(normalizeJobFilter(filter), (job) => void jobs.push(job));
    return format === "csv" ? jobsToCsv(jobs) : jobsToJson(jobs);
  }
}
