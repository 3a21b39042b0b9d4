import { invalidArgument } from "../errors.js";
import type { ChunkRef, RepositoryContent } from "./repository-content.js";

/** A part of a new volume snapshot: chunks kept from the parent, or a span to read and cut again. */
export type VolumeSegment = { reuse: ChunkRef[] } | { read: { start: number; end: number } };

/** A byte range of a volume. */
export interface ByteSpan {
  offset: number;
  length: number;
}

/** Sorted, merged ranges clipped to `[0, size)`; `InvalidArgument` naming `field` for a bad range. */
export function normalizeRanges(ranges: readonly ByteSpan[], size: number, field: string): Array<{ start: number; end: number }> {
  if (!Array.isArray(ranges)) throw invalidArgument(field, "must be an array of { offset, length }");
  const spans: Array<{ start: number; end: number }> = [];
  ranges.forEach((range, i) => {
    if (!Number.isSafeInteger(range?.offset) || range.offset < 0) throw invalidArgument(`${field}[${i}].offset`, "must be a non-negative integer");
    if (!Number.isSafeInteger(range.length) || range.length < 0) throw invalidArgument(`${field}[${i}].length`, "must be a non-negative integer");
    const end = Math.min(size, range.offset + range.length);
    if (range.offset < end) spans.push({ start: range.offset, end });
  });
  spans.sort((a, b) => a.start - b.start);
  const merged: Array<{ start: number; end: number }> = [];
  for (const span of spans) {
    const last = merged.at(-1);
    if (last && span.start <= last.end) last.end = Math.max(last.end, span.end);
    else merged.push({ ...span });
  }
  return merged;
}

/**
 * Which parts of a volume of `size` bytes must be read again, given its parent snapshot and the
 * ranges that changed since: every parent chunk that overlaps a change, runs past the new size, or is
 * no longer stored (`isStored` false) is read again, merged with its dirty neighbours into spans that
 * start and end on the parent's chunk boundaries; bytes past the parent's end are read too. Other
 * chunks are reused as they are.
 */
export function planVolume(parent: RepositoryContent, size: number, changed: Array<{ start: number; end: number }>, isStored: (id: string) => boolean): VolumeSegment[] {
  const segments: VolumeSegment[] = [];
  let reuse: ChunkRef[] = [];
  let readStart: number | undefined;
  let change = 0;
  const flushReuse = () => {
    if (reuse.length > 0) segments.push({ reuse });
    reuse = [];
  };
  for (const chunk of parent.chunks) {
    if (chunk.offset >= size) break;
    const end = chunk.offset + chunk.length;
    while (change < changed.length && (changed[change] as { end: number }).end <= chunk.offset) change++;
    const next = changed[change];
    const dirty = end > size || (next !== undefined && next.start < end) || !isStored(chunk.id);
    if (dirty) {
      if (readStart === undefined) {
        flushReuse();
        readStart = chunk.offset;
      }
    } else {
      if (readStart !== undefined) {
        segments.push({ read: { start: readStart, end: chunk.offset } });
        readStart = undefined;
      }
      reuse.push(chunk);
    }
  }
  const covered = Math.min(size, parent.sizeInBytes);
  if (readStart !== undefined) {
    segments.push({ read: { start: readStart, end: size > parent.sizeInBytes ? size : covered } });
  } else {
    flushReuse();
    if (size > covered) segments.push({ read: { start: covered, end: size } });
  }
  return segments;
}

/** Checks that `content` is a well-formed chunk list (contiguous from 0, summing to its size); `InvalidArgument` naming `field`. */
export function assertContent(content: RepositoryContent, field: string): void {
  if (typeof content !== "object" || content === null || !Number.isSafeInteger(content.sizeInBytes) || content.sizeInBytes < 0 || !Array.isArray(content.chunks)) {
    throw invalidArgument(field, "must be { sizeInBytes, chunks } as a repository returned it");
  }
  let offset = 0;
  content.chunks.forEach((chunk, i) => {
    if (chunk?.offset !== offset || !Number.isSafeInteger(chunk.length) || chunk.length <= 0 || typeof chunk.id !== "string" || !/^[0-9a-f]{64}$/.test(chunk.id)) {
      throw invalidArgument(`${field}.chunks[${i}]`, "must be { offset, length, id } contiguous with the chunk before it");
    }
    offset += chunk.length;
  });
  if (offset !== content.sizeInBytes) throw invalidArgument(field, `its chunks add up to ${offset} bytes, not ${content.sizeInBytes}`);
}
