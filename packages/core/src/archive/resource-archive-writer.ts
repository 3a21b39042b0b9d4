import { createHash } from "node:crypto";
import { sha256Hex } from "../util/sha256.js";
import { promisify } from "node:util";
import { gzip, gzipSync } from "node:zlib";
import { TarWriter } from "./tar.js";
import type { ArchiveMember } from "./archive-format.js";

const gzipAsync = promisify(gzip);

/** Uncompressed bytes gathered before a gzip member is cut: big enough to compress well, small enough to read by range. */
export const ARCHIVE_MEMBER_TARGET_BYTES = 1024 * 1024;

const MAX_MEMBERS_IN_FLIGHT = 3;

// Below this, a trip to the thread pool costs more than compressing in place.
const SYNC_COMPRESSION_BELOW_BYTES = 64 * 1024;

/** gzip of one member: small ones at once, big ones on the thread pool with output chunks sized to them. */
function compress(raw: Buffer, level: number): Promise<Buffer> {
  if (raw.length < SYNC_COMPRESSION_BELOW_BYTES) return Promise.resolve(gzipSync(raw, { level }));
  return gzipAsync(raw, { level, chunkSize: Math.min(256 * 1024, raw.length) });
}

/** Where the compressed bytes go, in order. */
export type ArchiveSink = (chunk: Uint8Array) => Promise<void>;

/**
 * Writes a tar archive as a sequence of gzip members, each holding whole tar entries of one
 * group. Concatenated gzip members are one valid `.tar.gz`, while the member table lets a
 * reader fetch one group by byte range. Compression runs on libuv's thread pool, overlapping
 * with the caller's serialisation.
 */
export class ResourceArchiveWriter {
  private readonly tar: TarWriter;
  private readonly archiveHash = createHash("sha256");
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private pendingGroup: string | undefined;
  private pendingEntries = 0;
  private offset = 0;
  private inFlight: Promise<void> = Promise.resolve();
  readonly members: ArchiveMember[] = [];
  uncompressedBytes = 0;

  constructor(
    private readonly sink: ArchiveSink,
    private readonly compressionLevel = 1,
    mtime?: Date,
  ) {
    this.tar = new TarWriter(Math.floor((mtime?.getTime() ?? Date.now()) / 1000));
  }

  /** Adds one file to `group`; returns the index of the member it will be in. */
  async add(group: string, path: string, data: Uint8Array): Promise<number> {
    if (this.pendingGroup !== undefined && (this.pendingGroup !== group || this.pendingBytes >= ARCHIVE_MEMBER_TARGET_BYTES)) {
      await this.cut();
    }
    this.pendingGroup = group;
    for (const chunk of this.tar.entry(path, data)) {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
    }
    this.pendingEntries++;
    return this.membersCut;
  }

  /** Writes what is pending and the end-of-archive blocks; returns the archive's size and sha256. */
  async finish(): Promise<{ sizeInBytes: number; sha256: string }> {
    await this.cut();
    this.pendingGroup = "";
    this.pending.push(this.tar.end());
    this.pendingBytes += 1024;
    await this.cut();
    await this.inFlight;
    return { sizeInBytes: this.offset, sha256: this.archiveHash.digest("hex") };
  }

  private readonly pendingCuts: Promise<void>[] = [];
  /** Members handed to compression so far; the pending one will get this index. */
  private membersCut = 0;

  /** Compresses the pending entries as one member and chains its write after the previous one. */
  private async cut(): Promise<void> {
    if (this.pendingBytes === 0 || this.pendingGroup === undefined) return;
    const raw = Buffer.concat(this.pending, this.pendingBytes);
    const group = this.pendingGroup;
    const entries = this.pendingEntries;
    this.uncompressedBytes += raw.length;
    this.pending = [];
    this.pendingBytes = 0;
    this.pendingEntries = 0;
    this.pendingGroup = undefined;
    this.membersCut++;
    const compressed = compress(raw, this.compressionLevel);
    compressed.catch(() => undefined);
    const previous = this.inFlight;
    // Members compress on the thread pool while the caller goes on; they are written in order.
    this.inFlight = (async () => {
      const bytes = new Uint8Array(await compressed);
      await previous;
      this.members.push({
        group,
        offset: this.offset,
        length: bytes.length,
        entries,
        sha256: sha256Hex(bytes),
      });
      this.archiveHash.update(bytes);
      this.offset += bytes.length;
      await this.sink(bytes);
    })();
    // Awaited by a later cut or by finish; this keeps an abandoned writer from an unhandled rejection.
    this.inFlight.catch(() => undefined);
    this.pendingCuts.push(this.inFlight);
    // Bounded: at most a few members in flight, so memory stays small when the sink is slow.
    if (this.pendingCuts.length > MAX_MEMBERS_IN_FLIGHT) await this.pendingCuts.shift();
  }
}
