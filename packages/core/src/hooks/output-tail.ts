const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The end of `text` that fits in `maxBytes` bytes of UTF-8, starting at a character boundary
 * (so possibly a few bytes shorter). The whole text when it fits.
 */
export function tailOfText(text: string, maxBytes: number): string {
  // A UTF-16 unit is at most 3 UTF-8 bytes: short texts need no encoding.
  if (text.length * 3 <= maxBytes) return text;
  const bytes = encoder.encode(text);
  if (bytes.length <= maxBytes) return text;
  let start = bytes.length - maxBytes;
  // Continuation bytes (10xxxxxx) are the middle of a character: begin at the next one.
  while (start < bytes.length && (bytes[start]! & 0xc0) === 0x80) start++;
  return decoder.decode(bytes.subarray(start));
}
