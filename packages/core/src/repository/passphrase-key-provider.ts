import { createCipheriv, createDecipheriv, randomBytes, scrypt } from "node:crypto";
import { invalidArgument, KBackupError, throwIfAborted } from "../errors.js";
import type { OperationOptions } from "../ports/options.js";
import type { KeyProvider, WrappedKey } from "./key-provider.js";

/** scrypt's cost parameters. */
export interface ScryptParameters {
  /** CPU and memory cost, a power of two (memory ≈ 128 · N · r bytes). */
  N: number;
  /** Block size. */
  r: number;
  /** Parallelism. */
  p: number;
}

/** The defaults: N = 2^17, r = 8, p = 1 (128 MiB and a few hundred milliseconds per unwrap). */
export const DEFAULT_SCRYPT_PARAMETERS: Readonly<ScryptParameters> = { N: 2 ** 17, r: 8, p: 1 };

/** The scheme name a passphrase-wrapped key carries in the config. */
export const PASSPHRASE_KEY_SCHEME = "scrypt-aes-256-gcm";

const AAD = Buffer.from("kbackup repository key", "utf8");

/** A repository key wrapped by {@link PassphraseKeyProvider}. */
export interface PassphraseWrappedKey extends WrappedKey {
  scheme: typeof PASSPHRASE_KEY_SCHEME;
  /** scrypt parameters and the base64 16-byte salt. */
  kdf: ScryptParameters & { salt: string };
  /** Base64 12-byte AES-256-GCM nonce. */
  nonce: string;
  /** Base64 ciphertext of the key followed by the 16-byte tag. */
  ciphertext: string;
}

function assertScrypt(parameters: ScryptParameters, field: string): void {
  const { N, r, p } = parameters;
  if (!Number.isSafeInteger(N) || N < 2 ** 10 || N > 2 ** 22 || (N & (N - 1)) !== 0) throw invalidArgument(`${field}.N`, "must be a power of two from 1024 to 4194304");
  if (!Number.isSafeInteger(r) || r < 1 || r > 32) throw invalidArgument(`${field}.r`, "must be an integer from 1 to 32");
  if (!Number.isSafeInteger(p) || p < 1 || p > 16) throw invalidArgument(`${field}.p`, "must be an integer from 1 to 16");
}

function deriveKek(passphrase: string, salt: Uint8Array, parameters: ScryptParameters): Promise<Buffer> {
  const { N, r, p } = parameters;
  return new Promise((resolve, reject) => {
    scrypt(passphrase, salt, 32, { N, r, p, maxmem: 256 * N * r * p + 1024 * 1024 }, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/**
 * Wraps repository keys with a key derived from a passphrase by scrypt, then AES-256-GCM. A wrong
 * passphrase fails GCM authentication, so `unwrapKey` says `PermissionDenied` rather than returning
 * another key.
 */
export class PassphraseKeyProvider implements KeyProvider {
  readonly #passphrase: string;
  readonly #parameters: ScryptParameters;

  /**
   * `scrypt` sets the cost of keys this provider wraps (default {@link DEFAULT_SCRYPT_PARAMETERS});
   * unwrapping uses the parameters stored with the key. Throws `InvalidArgument` for an empty
   * passphrase or parameters outside N 2^10..2^22, r 1..32, p 1..16.
   */
  constructor(passphrase: string, options: { scrypt?: ScryptParameters } = {}) {
    if (typeof passphrase !== "string" || passphrase.length === 0) throw invalidArgument("passphrase", "must be a non-empty string");
    const parameters = options.scrypt ?? DEFAULT_SCRYPT_PARAMETERS;
    assertScrypt(parameters, "scrypt");
    this.#passphrase = passphrase;
    this.#parameters = { N: parameters.N, r: parameters.r, p: parameters.p };
  }

  /** Wraps `key` under a fresh salt and nonce. */
  async wrapKey(key: Uint8Array, options: OperationOptions = {}): Promise<PassphraseWrappedKey> {
    throwIfAborted(options.abortSignal);
    const salt = randomBytes(16);
    const kek = await deriveKek(this.#passphrase, salt, this.#parameters);
    throwIfAborted(options.abortSignal);
    const nonce = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", kek, nonce);
    cipher.setAAD(AAD);
    const ciphertext = Buffer.concat([cipher.update(key), cipher.final(), cipher.getAuthTag()]);
    return {
      scheme: PASSPHRASE_KEY_SCHEME,
      kdf: { ...this.#parameters, salt: salt.toString("base64") },
      nonce: nonce.toString("base64"),
      ciphertext: ciphertext.toString("base64"),
    };
  }

  /**
   * The key inside `wrapped`. `PermissionDenied` when the passphrase is wrong; `Unsupported` for
   * another scheme; `Integrity` when the wrapped key is malformed.
   */
  async unwrapKey(wrapped: WrappedKey, options: OperationOptions = {}): Promise<Uint8Array> {
    throwIfAborted(options.abortSignal);
    if (wrapped?.scheme !== PASSPHRASE_KEY_SCHEME) {
      throw new KBackupError("Unsupported", `The repository key is wrapped with "${String(wrapped?.scheme)}", not with a passphrase.`);
    }
    const { kdf, nonce, ciphertext } = wrapped as PassphraseWrappedKey;
    if (typeof kdf !== "object" || kdf === null || typeof kdf.salt !== "string" || typeof nonce !== "string" || typeof ciphertext !== "string") {
      throw new KBackupError("Integrity", "The wrapped repository key lacks its salt, nonce or ciphertext.");
    }
    try {
      assertScrypt(kdf, "key.kdf");
    } catch (cause) {
      throw new KBackupError("Integrity", "The wrapped repository key has scrypt parameters out of range.", { cause });
    }
    const sealed = Buffer.from(ciphertext, "base64");
    const iv = Buffer.from(nonce, "base64");
    if (sealed.length <= 16 || iv.length !== 12) throw new KBackupError("Integrity", "The wrapped repository key is truncated.");
    const kek = await deriveKek(this.#passphrase, Buffer.from(kdf.salt, "base64"), kdf);
    throwIfAborted(options.abortSignal);
    try {
      const decipher = createDecipheriv("aes-256-gcm", kek, iv);
      decipher.setAAD(AAD);
      decipher.setAuthTag(sealed.subarray(sealed.length - 16));
      return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final()]);
    } catch (cause) {
      throw new KBackupError("PermissionDenied", "The passphrase does not open this repository.", { cause });
    }
  }
}
