import { KBackupError, invalidArgument } from "../errors.js";
import type { BackupJob, JobStatus } from "../jobs/job.js";
import type { Page } from "../util/paged.js";
import { instanceKey } from "./center-records.js";
import { JOB_OPERATIONS, JOB_STATUSES, filterFingerprint, type NormalizedJobFilter } from "./job-filter.js";

/** The page size of a job query that names none. */
export const DEFAULT_JOB_PAGE_SIZE = 100;
/** The largest page a job query returns. */
export const MAX_JOB_PAGE_SIZE = 10_000;

const SUCCESS = (1 << JOB_STATUSES.indexOf("Completed")) | (1 << JOB_STATUSES.indexOf("CompletedWithWarnings"));
const BACKUP = JOB_OPERATIONS.indexOf("Backup");
const RESTORE = JOB_OPERATIONS.indexOf("Restore");
const NONE = -1;

/** The latest jobs of one instance, as the index tracks them on every upsert. */
export interface InstanceJobFacts {
  lastBackup?: BackupJob;
  lastSuccessfulBackup?: BackupJob;
  lastRestore?: BackupJob;
  /** The start of the instance's oldest known job. */
  firstJobTime?: string;
}

/** What an upsert changed: the status the job had before (undefined for a new job). */
export interface JobUpsert {
  previousStatus: JobStatus | undefined;
}

interface TokenBody {
  v: 1;
  t: number;
  id: string;
  f: string;
}

function grown<T extends Float64Array | Uint32Array | Uint8Array | Int32Array>(array: T, needed: number, make: (size: number) => T): T {
  if (needed <= array.length) return array;
  const next = make(Math.max(needed, array.length * 2));
  next.set(array);
  return next;
}

/**
 * Every job the center knows, in columns (start time, status, operation, vault, instance) and in
 * start-time order, with the ranks of each instance's and each vault's jobs in that order. A query
 * walks the smallest source that its filter allows (one instance's ranks, a vault's ranks, or every
 * rank) from its time window's newest end, comparing small integers, and stops one match after a
 * full page: a page costs what it skips, never the size of the index. Jobs that arrive in start-time
 * order are appended to the order as they come; an older one marks the order stale, and the next
 * query sorts once.
 */
export class JobIndex {
  private count = 0;
  private jobs: BackupJob[] = [];
  private times = new Float64Array(1024);
  private statuses = new Uint8Array(1024);
  private operations = new Uint8Array(1024);
  private vaultOf = new Uint32Array(1024);
  private instanceOf = new Uint32Array(1024);
  private readonly slotById = new Map<string, number>();
  private readonly vaultIds = new Map<string, number>();
  private readonly instanceIds = new Map<string, number>();
  private readonly instanceIdsByName = new Map<string, number[]>();
  private readonly instanceVault: number[] = [];
  /** Slot at each rank, for the first `ordered` ranks. */
  private order = new Uint32Array(1024);
  private ordered = 0;
  private stale = false;
  private byInstance: number[][] = [];
  private byVault: number[][] = [];
  private lastBackup = new Int32Array(64).fill(NONE);
  private lastSuccess = new Int32Array(64).fill(NONE);
  private lastRestore = new Int32Array(64).fill(NONE);
  private firstJob = new Int32Array(64).fill(NONE);

  /** How many jobs the index holds. */
  get size(): number {
    return this.count;
  }

  /** Adds a job, or replaces the one with its `jobId` (a job seen again once it ended). The index keeps `job` itself: do not change it afterwards. */
  upsert(job: BackupJob): JobUpsert {
    const timeMs = Date.parse(job.startTime);
    if (Number.isNaN(timeMs)) throw invalidArgument("job.startTime", `job ${job.jobId} has no valid start time`);
    const status = JOB_STATUSES.indexOf(job.status);
    const operation = JOB_OPERATIONS.indexOf(job.operation);
    if (status < 0) throw invalidArgument("job.status", `job ${job.jobId} has an unknown status "${job.status}"`);
    if (operation < 0) throw invalidArgument("job.operation", `job ${job.jobId} has an unknown operation "${job.operation}"`);
    const existing = this.slotById.get(job.jobId);
    if (existing !== undefined) {
      const previousStatus = JOB_STATUSES[this.statuses[existing] as number];
      this.jobs[existing] = job;
      this.statuses[existing] = status;
      if (this.times[existing] !== timeMs) {
        this.times[existing] = timeMs;
        this.stale = true;
      }
      this.track(existing);
      return { previousStatus };
    }
    const slot = this.count++;
    this.ensureCapacity(this.count);
    const vault = this.vaultId(job.vaultName);
    const instance = this.instanceId(vault, job.vaultName, job.backupInstanceFriendlyName);
    this.jobs[slot] = job;
    this.times[slot] = timeMs;
    this.statuses[slot] = status;
    this.operations[slot] = operation;
    this.vaultOf[slot] = vault;
    this.instanceOf[slot] = instance;
    this.slotById.set(job.jobId, slot);
    const last = this.ordered > 0 ? (this.order[this.ordered - 1] as number) : NONE;
    if (!this.stale && this.ordered === slot && (last === NONE || this.after(slot, last))) {
      this.order[slot] = slot;
      this.byInstance[instance]!.push(slot);
      this.byVault[vault]!.push(slot);
      this.ordered++;
    } else {
      this.stale = true;
    }
    this.track(slot);
    return { previousStatus: undefined };
  }

  /** The job with this id as last upserted; undefined when unknown. */
  get(jobId: string): BackupJob | undefined {
    const slot = this.slotById.get(jobId);
    return slot === undefined ? undefined : this.jobs[slot];
  }

  /** The latest jobs of an instance; empty when it has none. */
  facts(vaultName: string, instanceName: string): InstanceJobFacts {
    const id = this.instanceIds.get(instanceKey(vaultName, instanceName));
    if (id === undefined) return {};
    const job = (slot: number) => (slot === NONE ? undefined : this.jobs[slot]);
    const lastBackup = job(this.lastBackup[id] as number);
    const lastSuccessfulBackup = job(this.lastSuccess[id] as number);
    const lastRestore = job(this.lastRestore[id] as number);
    const first = job(this.firstJob[id] as number);
    return { ...(lastBackup ? { lastBackup } : {}), ...(lastSuccessfulBackup ? { lastSuccessfulBackup } : {}), ...(lastRestore ? { lastRestore } : {}), ...(first ? { firstJobTime: first.startTime } : {}) };
  }

  /**
   * One page of the jobs that match, newest first (by start time, then job id), and the token of the
   * next page when more match. The jobs are the index's own: copy them before handing them out.
   * @throws InvalidArgument for a bad page size, or a token that is not this filter's.
   */
  page(filter: NormalizedJobFilter, maxPageSize: number | undefined, continuationToken: string | undefined): Page<BackupJob> {
    const size = maxPageSize ?? DEFAULT_JOB_PAGE_SIZE;
    if (!Number.isSafeInteger(size) || size < 1 || size > MAX_JOB_PAGE_SIZE) throw invalidArgument("maxPageSize", `must be a whole number from 1 to ${MAX_JOB_PAGE_SIZE}`);
    const fingerprint = filterFingerprint(filter);
    const resume = continuationToken === undefined ? undefined : decodeToken(continuationToken, fingerprint);
    const items: BackupJob[] = [];
    let more = false;
    this.scan(filter, resume, (slot) => {
      if (items.length === size) {
        more = true;
        return false;
      }
      items.push(this.jobs[slot] as BackupJob);
      return true;
    });
    const last = items[items.length - 1];
    return { items, ...(more && last ? { continuationToken: encodeToken({ v: 1, t: Date.parse(last.startTime), id: last.jobId, f: fingerprint }) } : {}) };
  }

  /** Calls `visit` with every job that matches, newest first, until it returns false. */
  forEach(filter: NormalizedJobFilter, visit: (job: BackupJob) => boolean | void): void {
    this.scan(filter, undefined, (slot) => visit(this.jobs[slot] as BackupJob) !== false);
  }

  /** How many jobs match, by status. */
  countByStatus(filter: NormalizedJobFilter): Record<JobStatus, number> {
    const counts = new Array<number>(JOB_STATUSES.length).fill(0);
    this.scan(filter, undefined, (slot) => {
      counts[this.statuses[slot] as number]!++;
      return true;
    });
    return Object.fromEntries(JOB_STATUSES.map((status, i) => [status, counts[i] as number])) as Record<JobStatus, number>;
  }

  /** Counts of the jobs that match, by status, in buckets of `bucketInMs` of start time (keyed by the bucket's start), oldest first. */
  histogram(filter: NormalizedJobFilter, bucketInMs: number): Array<{ start: number; counts: Record<JobStatus, number> }> {
    const buckets = new Map<number, number[]>();
    this.scan(filter, undefined, (slot) => {
      const start = Math.floor((this.times[slot] as number) / bucketInMs) * bucketInMs;
      let counts = buckets.get(start);
      if (!counts) buckets.set(start, (counts = new Array<number>(JOB_STATUSES.length).fill(0)));
      counts[this.statuses[slot] as number]!++;
      return true;
    });
    return [...buckets]
      .sort(([a], [b]) => a - b)
      .map(([start, counts]) => ({ start, counts: Object.fromEntries(JOB_STATUSES.map((status, i) => [status, counts[i] as number])) as Record<JobStatus, number> }));
  }

  private scan(filter: NormalizedJobFilter, resume: TokenBody | undefined, visit: (slot: number) => boolean): void {
    this.sortIfStale();
    const lo = this.firstRankAtOrAfter(filter.fromMs, undefined);
    let hi = filter.toMs === Number.POSITIVE_INFINITY ? this.count : this.firstRankAtOrAfter(filter.toMs, undefined);
    if (resume) hi = Math.min(hi, this.firstRankAtOrAfter(resume.t, resume.id));
    if (hi <= lo) return;
    const { statusMask, operationMask } = filter;
    const statuses = this.statuses;
    const operations = this.operations;
    const matches = (slot: number) => ((statusMask >> (statuses[slot] as number)) & 1) === 1 && ((operationMask >> (operations[slot] as number)) & 1) === 1;
    const lists = this.sourceLists(filter);
    if (lists === undefined) {
      const order = this.order;
      for (let rank = hi - 1; rank >= lo; rank--) {
        const slot = order[rank] as number;
        if (matches(slot) && !visit(slot)) return;
      }
      return;
    }
    // Each list holds ranks in ascending order; walk them together from the window's newest end.
    const cursors = lists.map((list) => upperIndex(list, hi) - 1);
    for (;;) {
      let best = NONE;
      let bestRank = lo - 1;
      for (let i = 0; i < lists.length; i++) {
        const cursor = cursors[i] as number;
        if (cursor < 0) continue;
        const rank = (lists[i] as number[])[cursor] as number;
        if (rank > bestRank) {
          bestRank = rank;
          best = i;
        }
      }
      if (best === NONE) return;
      cursors[best]!--;
      const slot = this.order[bestRank] as number;
      if (matches(slot) && !visit(slot)) return;
    }
  }

  /** The rank lists a filter can be answered from; undefined for every rank. */
  private sourceLists(filter: NormalizedJobFilter): number[][] | undefined {
    const vaults = filter.vaultNames?.map((name) => this.vaultIds.get(name)).filter((id): id is number => id !== undefined);
    if (filter.instanceNames !== undefined) {
      const ids = filter.instanceNames.flatMap((name) => this.instanceIdsByName.get(name) ?? []);
      return ids.filter((id) => vaults === undefined || vaults.includes(this.instanceVault[id] as number)).map((id) => this.byInstance[id] as number[]);
    }
    return vaults?.map((id) => this.byVault[id] as number[]);
  }

  /** The first rank whose job starts at or after `timeMs` (after `jobId` too, when given, at equal times). */
  private firstRankAtOrAfter(timeMs: number, jobId: string | undefined): number {
    if (timeMs === Number.NEGATIVE_INFINITY) return 0;
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const slot = this.order[mid] as number;
      const t = this.times[slot] as number;
      const before = t < timeMs || (t === timeMs && jobId !== undefined && (this.jobs[slot] as BackupJob).jobId < jobId);
      if (before) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private after(a: number, b: number): boolean {
    const ta = this.times[a] as number;
    const tb = this.times[b] as number;
    return ta > tb || (ta === tb && (this.jobs[a] as BackupJob).jobId > (this.jobs[b] as BackupJob).jobId);
  }

  private sortIfStale(): void {
    if (!this.stale) return;
    const slots = Array.from({ length: this.count }, (_, i) => i);
    const times = this.times;
    const jobs = this.jobs;
    slots.sort((a, b) => (times[a] as number) - (times[b] as number) || ((jobs[a] as BackupJob).jobId < (jobs[b] as BackupJob).jobId ? -1 : 1));
    this.order = Uint32Array.from(slots);
    this.order = grown(this.order, this.times.length, (n) => new Uint32Array(n));
    this.byInstance = this.byInstance.map(() => []);
    this.byVault = this.byVault.map(() => []);
    for (let rank = 0; rank < this.count; rank++) {
      const slot = this.order[rank] as number;
      this.byInstance[this.instanceOf[slot] as number]!.push(rank);
      this.byVault[this.vaultOf[slot] as number]!.push(rank);
    }
    this.ordered = this.count;
    this.stale = false;
  }

  private track(slot: number): void {
    const instance = this.instanceOf[slot] as number;
    const operation = this.operations[slot] as number;
    const later = (current: number) => current === NONE || current === slot || this.after(slot, current);
    if (operation === BACKUP) {
      if (later(this.lastBackup[instance] as number)) this.lastBackup[instance] = slot;
      if (((SUCCESS >> (this.statuses[slot] as number)) & 1) === 1 && later(this.lastSuccess[instance] as number)) this.lastSuccess[instance] = slot;
    } else if (operation === RESTORE && later(this.lastRestore[instance] as number)) {
      this.lastRestore[instance] = slot;
    }
    const first = this.firstJob[instance] as number;
    if (first === NONE || this.after(first, slot)) this.firstJob[instance] = slot;
  }

  private vaultId(name: string): number {
    let id = this.vaultIds.get(name);
    if (id === undefined) {
      id = this.vaultIds.size;
      this.vaultIds.set(name, id);
      this.byVault.push([]);
    }
    return id;
  }

  private instanceId(vault: number, vaultName: string, name: string): number {
    const key = instanceKey(vaultName, name);
    let id = this.instanceIds.get(key);
    if (id === undefined) {
      id = this.instanceIds.size;
      this.instanceIds.set(key, id);
      this.instanceVault.push(vault);
      this.byInstance.push([]);
      const sameName = this.instanceIdsByName.get(name);
      if (sameName) sameName.push(id);
      else this.instanceIdsByName.set(name, [id]);
      const capacity = this.lastBackup.length;
      if (id >= capacity) {
        const make = (n: number) => new Int32Array(n).fill(NONE);
        this.lastBackup = grown(this.lastBackup, id + 1, make);
        this.lastSuccess = grown(this.lastSuccess, id + 1, make);
        this.lastRestore = grown(this.lastRestore, id + 1, make);
        this.firstJob = grown(this.firstJob, id + 1, make);
      }
    }
    return id;
  }

  private ensureCapacity(needed: number): void {
    this.times = grown(this.times, needed, (n) => new Float64Array(n));
    this.statuses = grown(this.statuses, needed, (n) => new Uint8Array(n));
    this.operations = grown(this.operations, needed, (n) => new Uint8Array(n));
    this.vaultOf = grown(this.vaultOf, needed, (n) => new Uint32Array(n));
    this.instanceOf = grown(this.instanceOf, needed, (n) => new Uint32Array(n));
    this.order = grown(this.order, needed, (n) => new Uint32Array(n));
  }
}

/** The index in `list` (ascending) of the first value at or above `value`. */
function upperIndex(list: readonly number[], value: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((list[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function encodeToken(body: TokenBody): string {
  return Buffer.from(JSON.stringify(body)).toString("base64url");
}

function decodeToken(token: string, fingerprint: string): TokenBody {
  let body: Partial<TokenBody> | undefined;
  try {
    body = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as Partial<TokenBody>;
  } catch {
    body = undefined;
  }
  if (!body || body.v !== 1 || typeof body.t !== "number" || typeof body.id !== "string" || typeof body.f !== "string") {
    throw invalidArgument("continuationToken", "is not a token that listJobs returned");
  }
  if (body.f !== fingerprint) throw new KBackupError("InvalidArgument", "continuationToken: was returned for another filter; use it with the filter it came from.", { field: "continuationToken" });
  return body as TokenBody;
}
