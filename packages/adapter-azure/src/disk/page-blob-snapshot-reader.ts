import type { PageBlobClient } from "@azure/storage-blob";
import { invalidArgument, throwIfAborted, type OperationOptions, type SnapshotReader } from "@kbackup/core";
import { toKBackupError } from "../azure-errors.js";

/** How a reader finds the ranges that changed between two snapshots of a disk. */
export type ChangedRangesMethod = "service-diff" | "allocated-pages";

/** A byte range of a snapshot. */
export interface SnapshotRange {
  offset: number;
  length: number;
}

/** Read access to a snapshot, granted by the provider and ended by `release`. */
export interface SnapshotAccess {
  /** The SAS URL of the snapshot's page blob. */
  url: string;
  /** The ARM id of the disk the snapshot was taken of. */
  sourceDiskId: string | undefined;
  /** Ends the access (revokes the SAS once no other reader shares it). */
  release(): Promise<void>;
}

/** Options of the {@link PageBlobSnapshotReader} constructor. */
export interface PageBlobSnapshotReaderOptions {
  /** The ARM id of the snapshot read. */
  snapshotId: string;
  /** The read access the reader holds, released on `close`. */
  access: SnapshotAccess;
  /** A client of `access.url`. */
  blob: PageBlobClient;
  /** The snapshot's size. */
  sizeInBytes: number;
  /** Grants read access to another snapshot (the base of `changedRanges`). */
  openBase(snapshotHandle: string, options: OperationOptions): Promise<SnapshotAccess>;
  /** Makes a client of a SAS URL, with the provider's pipeline options. */
  clientOf(url: string): PageBlobClient;
  /** How `changedRanges` finds what changed. */
  changedRangesMethod: ChangedRangesMethod;
  /** Ranges read at once by `read`. */
  readConcurrency: number;
}

const RANGE_QUERY_SPAN = 64 * 1024 * 1024 * 1024;

/**
 * Reads an Azure disk snapshot through the SAS URL of its page blob: ranged reads in parallel,
 * and the ranges that changed since an earlier snapshot of the same disk, either from the
 * service's diff of managed disk snapshots (`service-diff`) or as the union of the pages written
 * in either snapshot (`allocated-pages`, a superset that needs only Get Page Ranges).
 */
export class PageBlobSnapshotReader implements SnapshotReader {
  readonly sizeInBytes: number;
  readonly #options: PageBlobSnapshotReaderOptions;
  #closed = false;

  constructor(options: PageBlobSnapshotReaderOptions) {
    this.#options = options;
    this.sizeInBytes = options.sizeInBytes;
  }

  /** `length` bytes at `offset`, fewer at the end, none from the end on. */
  async read(offset: number, length: number, options: OperationOptions = {}): Promise<Uint8Array> {
    if (!Number.isSafeInteger(offset) || offset < 0) throw invalidArgument("offset", "must be a non-negative integer");
    if (!Number.isSafeInteger(length) || length < 0) throw invalidArgument("length", "must be a non-negative integer");
    this.#assertOpen();
    throwIfAborted(options.abortSignal);
    const end = Math.min(this.sizeInBytes, offset + length);
    if (end <= offset) return new Uint8Array(0);
    const buffer = Buffer.alloc(end - offset);
    try {
      await this.#options.blob.downloadToBuffer(buffer, offset, buffer.length, {
        abortSignal: options.abortSignal,
        concurrency: this.#options.readConcurrency,
        blockSize: 4 * 1024 * 1024,
      });
    } catch (error) {
      throw toKBackupError(error, this.#context("read", options.abortSignal));
    }
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.length);
  }

  /**
   * Ranges that may differ from snapshot `baseSnapshotHandle`, sorted and merged; undefined when the
   * base was taken of another disk. `NotFound` when the base does not exist.
   */
  async changedRanges(baseSnapshotHandle: string, options: OperationOptions = {}): Promise<SnapshotRange[] | undefined> {
    this.#assertOpen();
    throwIfAborted(options.abortSignal);
    const base = await this.#options.openBase(baseSnapshotHandle, options);
    try {
      const ours = this.#options.access.sourceDiskId;
      if (ours === undefined || base.sourceDiskId?.toLowerCase() !== ours.toLowerCase()) return undefined;
      const ranges: SnapshotRange[] = [];
      for (let start = 0; start < this.sizeInBytes; start += RANGE_QUERY_SPAN) {
        const count = Math.min(RANGE_QUERY_SPAN, this.sizeInBytes - start);
        if (this.#options.changedRangesMethod === "service-diff") {
          const diff = await this.#call("changedRanges", options, () => this.#options.blob.getPageRangesDiffForManagedDisks(start, count, base.url, { abortSignal: options.abortSignal }));
          ranges.push(...toRanges(diff.pageRange), ...toRanges(diff.clearRange));
        } else {
          const baseBlob = this.#options.clientOf(base.url);
          const [now, before] = await Promise.all([
            this.#call("changedRanges", options, () => this.#options.blob.getPageRanges(start, count, { abortSignal: options.abortSignal })),
            this.#call("changedRanges", options, () => baseBlob.getPageRanges(start, count, { abortSignal: options.abortSignal })),
          ]);
          ranges.push(...toRanges(now.pageRange), ...toRanges(before.pageRange));
        }
      }
      return mergeRanges(ranges, this.sizeInBytes);
    } finally {
      await base.release();
    }
  }

  /** Revokes the read access. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#options.access.release();
  }

  async #call<T>(operation: string, options: OperationOptions, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw toKBackupError(error, this.#context(operation, options.abortSignal));
    }
  }

  #context(operation: string, abortSignal: AbortSignal | undefined) {
    return { operation: `${operation} of snapshot ${this.#options.snapshotId}`, resource: `the page blob of snapshot ${this.#options.snapshotId}`, abortSignal };
  }

  #assertOpen(): void {
    if (this.#closed) throw invalidArgument("reader", "is closed");
  }
}

/**
 * The SDK's page ranges as offset and length. The SDK reports `count` as end minus start, with an
 * inclusive end, so a range holds `count + 1` bytes.
 */
function toRanges(ranges: Array<{ offset: number; count?: number }> | undefined): SnapshotRange[] {
  return (ranges ?? []).map((range) => ({ offset: range.offset, length: (range.count ?? 0) + 1 }));
}

/** Ranges sorted, overlapping and touching ones merged, cut to `[0, size)`. */
export function mergeRanges(ranges: SnapshotRange[], size: number): SnapshotRange[] {
  const sorted = ranges
    .map((range) => ({ start: Math.max(0, range.offset), end: Math.min(size, range.offset + range.length) }))
    .filter((range) => range.end > range.start)
    .sort((a, b) => a.start - b.start);
  const merged: Array<{ start: number; end: number }> = [];
  for (const range of sorted) {
    const last = merged.at(-1);
    if (last && range.start <= last.end) last.end = Math.max(last.end, range.end);
    else merged.push({ ...range });
  }
  return merged.map((range) => ({ offset: range.start, length: range.end - range.start }));
}
