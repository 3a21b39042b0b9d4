/**
 * What a chunk codec needs of Node, passed in rather than imported so that the same function can
 * be sent, as source text, to a worker thread.
 */
export interface CodecModules {
  crypto: typeof import("node:crypto");
  zlib: typeof import("node:zlib");
}

/** How a chunk is stored: its id, and its blob (nonce ‖ ciphertext ‖ tag) as a pack holds it. */
export interface SealedChunk {
  blob: Uint8Array;
  compressed: boolean;
}

/** Hashing, sealing and opening of chunks under one repository's keys. */
export interface ChunkCodec {
  /** The chunk id: HMAC-SHA-256 of the bytes under the id key. */
  id(bytes: Uint8Array): Uint8Array;
  /** Compresses (when it pays) and encrypts the chunk whose id is `id`. */
  seal(bytes: Uint8Array, id: Uint8Array): SealedChunk;
  /**
   * Decrypts and decompresses a blob and checks that it is `expectedLength` bytes with id `id`.
   * Throws an Error whose `integrity` property is true when it is not.
   */
  open(blob: Uint8Array, id: Uint8Array, expectedLength: number): Uint8Array;
}

/** Codec settings that writers choose (readers need none of them). */
export interface CodecSettings {
  /** zstd level. */
  compressionLevel: number;
  /** A chunk is stored raw when compression leaves at least this fraction of its size. */
  rawRatio: number;
}

/**
 * Builds a codec. This function must stay self-contained (it refers only to its parameters and
 * language built-ins) because the worker pool ships it to workers with `Function.prototype.toString`.
 *
 * Blob layout: 12-byte random nonce ‖ AES-256-GCM ciphertext of (1 flag byte ‖ payload) ‖ 16-byte
 * tag, with the 32-byte chunk id as associated data. Flag 0: payload is the raw chunk; flag 1:
 * payload is one zstd frame of it.
 */
export function createChunkCodec(modules: CodecModules, encryptionKey: Uint8Array, idKey: Uint8Array, settings: CodecSettings): ChunkCodec {
  const { crypto, zlib } = modules;
  const NONCE = 12;
  const TAG = 16;
  const SAMPLE = 32 * 1024;
  const zstdOptions = { params: { [zlib.constants.ZSTD_c_compressionLevel]: settings.compressionLevel } };
  const flagRaw = new Uint8Array([0]);
  const flagZstd = new Uint8Array([1]);

  // Temporary buffers are freed at once (detached by a zero-length transfer): a worker thread
  // collects garbage rarely, and gigabytes of chunks pass through it.
  function release(bytes: Uint8Array): void {
    const buffer = bytes.buffer as ArrayBuffer & { detached?: boolean; transfer?: (length: number) => ArrayBuffer };
    if (buffer.detached !== true && typeof buffer.transfer === "function" && bytes.byteOffset === 0 && bytes.byteLength === buffer.byteLength && bytes.byteLength > 4096) {
      buffer.transfer(0);
    }
  }

  function integrityError(message: string): Error {
    const error = new Error(message) as Error & { integrity: boolean };
    error.integrity = true;
    return error;
  }

  // Incompressible data costs a full zstd pass for nothing; two samples predict it well enough.
  function worthCompressing(bytes: Uint8Array): boolean {
    if (bytes.length < 4 * SAMPLE) return true;
    const middle = (bytes.length >>> 1) - (SAMPLE >>> 1);
    for (const start of [0, middle]) {
      const sample = bytes.subarray(start, start + SAMPLE);
      const packed = zlib.zstdCompressSync(sample, zstdOptions);
      const pays = packed.length < sample.length * settings.rawRatio;
      release(packed);
      if (pays) return true;
    }
    return false;
  }

  return {
    id(bytes) {
      return crypto.createHmac("sha256", idKey).update(bytes).digest();
    },
    seal(bytes, id) {
      let payload: Uint8Array = bytes;
      let flag = flagRaw;
      if (bytes.length > 0 && worthCompressing(bytes)) {
        const packed = zlib.zstdCompressSync(bytes, zstdOptions);
        if (packed.length < bytes.length * settings.rawRatio) {
          payload = packed;
          flag = flagZstd;
        } else release(packed);
      }
      const blob = new Uint8Array(NONCE + 1 + payload.length + TAG);
      crypto.randomFillSync(blob, 0, NONCE);
      const cipher = crypto.createCipheriv("aes-256-gcm", encryptionKey, blob.subarray(0, NONCE));
      cipher.setAAD(id);
      let at = NONCE;
      for (const part of [cipher.update(flag), cipher.update(payload), cipher.final()]) {
        blob.set(part, at);
        at += part.length;
        release(part);
      }
      blob.set(cipher.getAuthTag(), at);
      if (payload !== bytes) release(payload);
      return { blob, compressed: flag === flagZstd };
    },
    open(blob, id, expectedLength) {
      if (blob.length < NONCE + 1 + TAG) throw integrityError(`the blob is ${blob.length} bytes, shorter than any sealed chunk`);
      const decipher = crypto.createDecipheriv("aes-256-gcm", encryptionKey, blob.subarray(0, NONCE));
      decipher.setAAD(id);
      decipher.setAuthTag(blob.subarray(blob.length - TAG));
      let plain: Uint8Array;
      try {
        const head = decipher.update(blob.subarray(NONCE, blob.length - TAG));
        const tail = decipher.final();
        plain = tail.length === 0 ? head : Buffer.concat([head, tail]);
      } catch {
        throw integrityError("the blob fails authentication");
      }
      const flag = plain[0];
      let bytes: Uint8Array;
      if (flag === 0) bytes = plain.subarray(1);
      else if (flag === 1) {
        try {
          bytes = zlib.zstdDecompressSync(plain.subarray(1), { maxOutputLength: Math.max(1, expectedLength) });
        } catch {
          throw integrityError("the blob's zstd frame does not decompress to the recorded length");
        }
        release(plain);
      } else throw integrityError(`the blob has an unknown compression flag ${String(flag)}`);
      if (bytes.length !== expectedLength) throw integrityError(`the chunk is ${bytes.length} bytes, not the recorded ${expectedLength}`);
      const actual = crypto.createHmac("sha256", idKey).update(bytes).digest();
      if (!crypto.timingSafeEqual(actual, id)) throw integrityError("the chunk's content does not match its id");
      return bytes;
    },
  };
}
