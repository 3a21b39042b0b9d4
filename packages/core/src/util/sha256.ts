import { hash } from "node:crypto";

/** The sha256 of `data`, as lower-case hex. One-shot hashing: no hash object per call. */
export function sha256Hex(data: Uint8Array | string): string {
  return hash("sha256", data, "hex");
}
