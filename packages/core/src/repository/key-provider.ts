import type { OperationOptions } from "../ports/options.js";

/**
 * A repository key as a key provider wrapped it: a JSON object kept in the repository's config.
 * `scheme` names the provider's method; the other members are the provider's own (salt, KDF
 * parameters, the wrapped bytes, a key vault's key id).
 */
export interface WrappedKey {
  scheme: string;
  [member: string]: unknown;
}

/**
 * Wraps and unwraps a repository's key with a key-encryption key the repository never sees: a
 * passphrase ({@link PassphraseKeyProvider}), a key vault's key, an HSM.
 *
 * Contract:
 * - `unwrapKey(await wrapKey(k))` returns `k`.
 * - `unwrapKey` with the wrong key-encryption key (a wrong passphrase) is `PermissionDenied`, never
 *   other bytes; a `wrapped` of another scheme or damaged beyond use is `Unsupported` or `Integrity`.
 * - Neither logs nor returns key material other than what it is asked for.
 */
export interface KeyProvider {
  /** Encrypts `key` with the key-encryption key; returns what {@link KeyProvider.unwrapKey} takes back. */
  wrapKey(key: Uint8Array, options?: OperationOptions): Promise<WrappedKey>;
  /**
   * The key `wrapped` holds. `PermissionDenied` with the wrong key-encryption key; `Unsupported` or
   * `Integrity` for a `wrapped` of another scheme or damaged beyond use.
   */
  unwrapKey(wrapped: WrappedKey, options?: OperationOptions): Promise<Uint8Array>;
}
