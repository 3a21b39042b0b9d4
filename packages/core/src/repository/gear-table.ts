import { createHash } from "node:crypto";

/**
 * The 256 32-bit values of the gear hash, derived from `seed` so that every writer of a repository
 * cuts the same content at the same places: entry `i` is the first four bytes, little-endian, of
 * SHA-256(seed ‖ i as a 32-bit little-endian integer).
 */
export function gearTable(seed: Uint8Array): Uint32Array {
  const table = new Uint32Array(256);
  const counter = Buffer.alloc(4);
  for (let i = 0; i < 256; i++) {
    counter.writeUInt32LE(i, 0);
    const digest = createHash("sha256").update(seed).update(counter).digest();
    table[i] = digest.readUInt32LE(0);
  }
  return table;
}
