/**
 * Frees the memory of an array this module made and no one else holds, at once rather than at the
 * next garbage collection (ArrayBuffer.prototype.transfer to length 0 detaches and releases it):
 * worker threads rarely collect, and a copy moves gigabytes through them. Arrays that share a
 * buffer with other data, and already detached ones, are left alone.
 */
export function releaseBytes(bytes: Uint8Array | undefined): void {
  if (bytes === undefined) return;
  const buffer = bytes.buffer as ArrayBuffer & { detached?: boolean; transfer?: (length: number) => ArrayBuffer };
  if (buffer.detached === true || typeof buffer.transfer !== "function") return;
  if (bytes.byteOffset !== 0 || bytes.byteLength !== buffer.byteLength || bytes.byteLength === 0) return;
  buffer.transfer(0);
}
