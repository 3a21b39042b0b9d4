import { KBackupError } from "../errors.js";

/** Where one chunk's blob lies in a pack. */
export interface PackEntry {
  /** Chunk id, 64 hex digits. */
  id: string;
  /** Byte offset of the blob (nonce ‖ ciphertext ‖ tag) in the pack. */
  offset: number;
  /** Byte length of the blob. */
  length: number;
  /** Length of the chunk's plain bytes. */
  rawLength: number;
}

/** One pack as an index describes it. */
export interface PackDescription {
  /** 32 hex digits. */
  packId: string;
  /** The pack object's size in bytes, trailer included. */
  size: number;
  entries: PackEntry[];
}

/** "KBPK", version 1, three zero bytes: the first 8 bytes of a pack. */
export const PACK_HEADER = Buffer.from([0x4b, 0x42, 0x50, 0x4b, 1, 0, 0, 0]);
/** "KBPE": the last 4 bytes of a pack, after the trailer's length. */
export const PACK_FOOTER_MAGIC = Buffer.from("KBPE", "latin1");
/** Bytes after the trailer: its length (u32 LE) and the footer magic. */
export const PACK_FOOTER_SIZE = 8;

const INDEX_MAGIC = Buffer.from("KBIX", "latin1");
const INDEX_VERSION = 1;
const ENTRY_SIZE = 32 + 4 + 4 + 4;
const PACK_HEAD_SIZE = 16 + 8 + 4;

/**
 * Encodes an index (the plaintext of an index object or a pack trailer):
 * "KBIX" ‖ version u8 (1) ‖ 3 zero bytes ‖ pack count u32, then per pack: pack id (16 bytes) ‖
 * pack size u64 ‖ entry count u32 ‖ entries of chunk id (32 bytes) ‖ offset u32 ‖ length u32 ‖
 * raw length u32. Integers are little-endian.
 */
export function encodeIndex(packs: readonly PackDescription[]): Uint8Array {
  let size = 12;
  for (const pack of packs) size += PACK_HEAD_SIZE + pack.entries.length * ENTRY_SIZE;
  const out = Buffer.alloc(size);
  INDEX_MAGIC.copy(out, 0);
  out.writeUInt8(INDEX_VERSION, 4);
  out.writeUInt32LE(packs.length, 8);
  let at = 12;
  for (const pack of packs) {
    at += out.write(pack.packId, at, 16, "hex");
    out.writeBigUInt64LE(BigInt(pack.size), at);
    out.writeUInt32LE(pack.entries.length, at + 8);
    at += 12;
    for (const entry of pack.entries) {
      at += out.write(entry.id, at, 32, "hex");
      out.writeUInt32LE(entry.offset, at);
      out.writeUInt32LE(entry.length, at + 4);
      out.writeUInt32LE(entry.rawLength, at + 8);
      at += 12;
    }
  }
  return out;
}

/** Decodes {@link encodeIndex}'s bytes; `Integrity` naming `key` when they are malformed. */
export function decodeIndex(bytes: Uint8Array, key: string): PackDescription[] {
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const damaged = (why: string) => new KBackupError("Integrity", `The index in ${key} is malformed: ${why}.`, { details: { key } });
  if (data.length < 12 || !data.subarray(0, 4).equals(INDEX_MAGIC)) throw damaged("no KBIX header");
  if (data.readUInt8(4) !== INDEX_VERSION) throw new KBackupError("Unsupported", `The index in ${key} has version ${data.readUInt8(4)}; this kbackup reads version ${INDEX_VERSION}.`, { details: { key } });
  const count = data.readUInt32LE(8);
  const packs: PackDescription[] = [];
  let at = 12;
  for (let p = 0; p < count; p++) {
    if (at + PACK_HEAD_SIZE > data.length) throw damaged("it ends inside a pack's header");
    const packId = data.toString("hex", at, at + 16);
    const size = Number(data.readBigUInt64LE(at + 16));
    const entryCount = data.readUInt32LE(at + 24);
    at += PACK_HEAD_SIZE;
    if (at + entryCount * ENTRY_SIZE > data.length) throw damaged("it ends inside a pack's entries");
    const entries: PackEntry[] = new Array(entryCount);
    for (let e = 0; e < entryCount; e++) {
      entries[e] = { id: data.toString("hex", at, at + 32), offset: data.readUInt32LE(at + 32), length: data.readUInt32LE(at + 36), rawLength: data.readUInt32LE(at + 40) };
      at += ENTRY_SIZE;
    }
    packs.push({ packId, size, entries });
  }
  if (at !== data.length) throw damaged("bytes follow its last pack");
  return packs;
}

/** The footer of a pack whose sealed trailer is `trailerLength` bytes. */
export function packFooter(trailerLength: number): Uint8Array {
  const footer = Buffer.alloc(PACK_FOOTER_SIZE);
  footer.writeUInt32LE(trailerLength, 0);
  PACK_FOOTER_MAGIC.copy(footer, 4);
  return footer;
}

/** The trailer's length from a pack's last 8 bytes; `Integrity` naming `key` when they are not a footer. */
export function trailerLengthOf(footer: Uint8Array, packSize: number, key: string): number {
  const data = Buffer.from(footer.buffer, footer.byteOffset, footer.byteLength);
  if (data.length !== PACK_FOOTER_SIZE || !data.subarray(4).equals(PACK_FOOTER_MAGIC)) {
    throw new KBackupError("Integrity", `The pack ${key} has no footer: it is truncated or damaged.`, { details: { key } });
  }
  const length = data.readUInt32LE(0);
  if (length + PACK_FOOTER_SIZE + PACK_HEADER.length > packSize) throw new KBackupError("Integrity", `The pack ${key} names a trailer longer than itself.`, { details: { key } });
  return length;
}
