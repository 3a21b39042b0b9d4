import { KBackupError } from "../errors.js";

// POSIX ustar with pax extended headers for long paths: what GNU tar, bsdtar and Velero read.
const BLOCK = 512;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

// Fields every header shares: mode 0644, uid 0, gid 0; and from the checksum on, the checksum
// placeholder (spaces), the type byte (set per entry), no link name, and the ustar magic.
const HEADER_MODE_OWNER = (() => {
  const bytes = new Uint8Array(24);
  writeOctal(bytes, 0, 8, 0o644);
  writeOctal(bytes, 8, 8, 0);
  writeOctal(bytes, 16, 8, 0);
  return bytes;
})();
const HEADER_TEMPLATE_TAIL = (() => {
  const bytes = new Uint8Array(265 - 148);
  bytes.fill(0x20, 0, 8);
  writeString(bytes, 257 - 148, 6, "ustar");
  writeString(bytes, 263 - 148, 2, "00");
  return bytes;
})();

/** One file of a tar archive. */
export interface TarEntry {
  path: string;
  data: Uint8Array;
}

/** Serialises files into tar blocks; feed the chunks it returns to a compressor or a store. */
export class TarWriter {
  private readonly mtimeField: Uint8Array;

  constructor(mtimeInSeconds = Math.floor(Date.now() / 1000)) {
    this.mtimeField = new Uint8Array(12);
    writeOctal(this.mtimeField, 0, 12, mtimeInSeconds);
  }

  /** The blocks of one regular file: header(s), content, padding. */
  entry(path: string, data: Uint8Array): Uint8Array[] {
    const chunks: Uint8Array[] = [];
    const split = splitUstarPath(path);
    if (!split) {
      const record = paxRecord("path", path);
      chunks.push(this.header({ name: "PaxHeader", size: record.length, type: "x" }), record, padding(record.length));
    }
    const { prefix, name } = split ?? { prefix: "", name: truncateUtf8(path, 100) };
    chunks.push(this.header({ name, prefix, size: data.length, type: "0" }));
    if (data.length > 0) chunks.push(data, padding(data.length));
    return chunks.filter((chunk) => chunk.length > 0);
  }

  /** The two zero blocks that end an archive. */
  end(): Uint8Array {
    return new Uint8Array(BLOCK * 2);
  }

  private header(fields: { name: string; prefix?: string; size: number; type: string }): Uint8Array {
    const block = new Uint8Array(BLOCK);
    writeString(block, 0, 100, fields.name);
    block.set(HEADER_MODE_OWNER, 100);
    writeOctal(block, 124, 12, fields.size);
    block.set(this.mtimeField, 136);
    block.set(HEADER_TEMPLATE_TAIL, 148);
    block[156] = fields.type.charCodeAt(0);
    writeString(block, 345, 155, fields.prefix ?? "");
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += block[i]!;
    writeOctal(block, 148, 7, sum);
    block[155] = 0x20;
    return block;
  }
}

/**
 * Reads a tar stream: yields each regular file with its full path (pax `path` honoured).
 * A corrupt header is an Integrity error; the stream may end after the zero blocks or without them.
 */
export async function* readTar(chunks: AsyncIterable<Uint8Array>): AsyncIterableIterator<TarEntry> {
  const buffer = new ByteQueue();
  const source = chunks[Symbol.asyncIterator]();
  const fill = async (bytes: number): Promise<boolean> => {
    while (buffer.length < bytes) {
      const next = await source.next();
      if (next.done) return false;
      buffer.push(next.value);
    }
    return true;
  };
  let paxPath: string | undefined;
  for (;;) {
    if (!(await fill(BLOCK))) {
      if (buffer.length === 0) return;
      throw new KBackupError("Integrity", "The archive ends inside a tar header.");
    }
    const header = buffer.take(BLOCK);
    if (header.every((byte) => byte === 0)) return;
    verifyChecksum(header);
    const size = readOctal(header, 124, 12);
    const type = String.fromCharCode(header[156] ?? 0x30);
    const padded = Math.ceil(size / BLOCK) * BLOCK;
    if (!(await fill(padded))) throw new KBackupError("Integrity", "The archive ends inside a tar entry.");
    const body = buffer.take(padded).subarray(0, size);
    if (type === "x") {
      paxPath = parsePax(body).get("path") ?? paxPath;
      continue;
    }
    if (type !== "0" && type !== "\0") {
      paxPath = undefined;
      continue;
    }
    const name = readString(header, 0, 100);
    const prefix = readString(header, 345, 155);
    const path = paxPath ?? (prefix ? `${prefix}/${name}` : name);
    paxPath = undefined;
    yield { path, data: body };
  }
}

function splitUstarPath(path: string): { prefix: string; name: string } | undefined {
  const bytes = Buffer.byteLength(path, "utf8");
  if (bytes <= 100) return { prefix: "", name: path };
  if (bytes > 256 || bytes !== path.length) return undefined;
  for (let slash = path.indexOf("/"); slash >= 0; slash = path.indexOf("/", slash + 1)) {
    if (slash <= 155 && path.length - slash - 1 <= 100) return { prefix: path.slice(0, slash), name: path.slice(slash + 1) };
  }
  return undefined;
}

function paxRecord(key: string, value: string): Uint8Array {
  // A record's length counts its own digits, so grow the guess until it fits.
  const rest = ` ${key}=${value}\n`;
  const restLength = encoder.encode(rest).length;
  let length = restLength + 1;
  while (String(length).length + restLength !== length) length = String(length).length + restLength;
  return encoder.encode(`${length}${rest}`);
}

function parsePax(body: Uint8Array): Map<string, string> {
  const records = new Map<string, string>();
  let offset = 0;
  while (offset < body.length) {
    const space = body.indexOf(0x20, offset);
    if (space < 0) break;
    const length = Number(decoder.decode(body.subarray(offset, space)));
    if (!Number.isInteger(length) || length <= 0) throw new KBackupError("Integrity", "A pax header record is malformed.");
    const record = decoder.decode(body.subarray(space + 1, offset + length - 1));
    const equals = record.indexOf("=");
    if (equals > 0) records.set(record.slice(0, equals), record.slice(equals + 1));
    offset += length;
  }
  return records;
}

function verifyChecksum(header: Uint8Array): void {
  const stored = readOctal(header, 148, 8);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (header[i] ?? 0);
  if (sum !== stored) throw new KBackupError("Integrity", "A tar header's checksum does not match: the archive is corrupt.");
}

// Padding is only ever read (copied into a member), so one block of zeros serves every entry.
const ZEROS = new Uint8Array(BLOCK);

function padding(size: number): Uint8Array {
  return ZEROS.subarray(0, (BLOCK - (size % BLOCK)) % BLOCK);
}

function truncateUtf8(text: string, bytes: number): string {
  let out = text;
  while (encoder.encode(out).length > bytes) out = out.slice(0, -1);
  return out;
}

function writeString(block: Uint8Array, offset: number, length: number, value: string): void {
  // Header fields are mostly ASCII: copy those directly, encode only what is not.
  let ascii = true;
  for (let i = 0; i < value.length && ascii; i++) ascii = value.charCodeAt(i) < 0x80;
  if (!ascii) {
    block.set(encoder.encode(value).subarray(0, length), offset);
    return;
  }
  const end = Math.min(length, value.length);
  for (let i = 0; i < end; i++) block[offset + i] = value.charCodeAt(i);
}

function writeOctal(block: Uint8Array, offset: number, length: number, value: number): void {
  writeString(block, offset, length - 1, value.toString(8).padStart(length - 1, "0"));
}

function readString(block: Uint8Array, offset: number, length: number): string {
  const field = block.subarray(offset, offset + length);
  const end = field.indexOf(0);
  return decoder.decode(end < 0 ? field : field.subarray(0, end));
}

function readOctal(block: Uint8Array, offset: number, length: number): number {
  const text = readString(block, offset, length).trim();
  const value = text === "" ? 0 : parseInt(text, 8);
  if (!Number.isFinite(value)) throw new KBackupError("Integrity", "A tar header holds a malformed number.");
  return value;
}

/** A FIFO of byte chunks that hands out exact lengths without copying more than needed. */
class ByteQueue {
  private chunks: Uint8Array[] = [];
  private head = 0;
  length = 0;

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  take(count: number): Uint8Array {
    const first = this.chunks[0];
    if (first && first.length - this.head >= count) {
      const out = first.subarray(this.head, this.head + count);
      this.head += count;
      if (this.head === first.length) {
        this.chunks.shift();
        this.head = 0;
      }
      this.length -= count;
      return out;
    }
    const out = new Uint8Array(count);
    let filled = 0;
    while (filled < count) {
      const chunk = this.chunks[0]!;
      const part = Math.min(count - filled, chunk.length - this.head);
      out.set(chunk.subarray(this.head, this.head + part), filled);
      filled += part;
      this.head += part;
      if (this.head === chunk.length) {
        this.chunks.shift();
        this.head = 0;
      }
    }
    this.length -= count;
    return out;
  }
}
