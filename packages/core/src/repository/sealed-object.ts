import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { KBackupError } from "../errors.js";

/** The first four bytes of every sealed object. */
export const SEALED_OBJECT_MAGIC = Buffer.from("KBS1", "latin1");
const NONCE = 12;
const TAG = 16;

/**
 * Encrypts a repository object: "KBS1" ‖ 12-byte random nonce ‖ AES-256-GCM ciphertext ‖ 16-byte tag,
 * with the object's name (its key under the repository prefix, UTF-8) as associated data, so that
 * an object cannot be passed off under another name.
 */
export function sealObject(encryptionKey: Uint8Array, name: string, plaintext: Uint8Array): Uint8Array {
  const nonce = randomBytes(NONCE);
  const cipher = createCipheriv("aes-256-gcm", encryptionKey, nonce);
  cipher.setAAD(Buffer.from(name, "utf8"));
  return Buffer.concat([SEALED_OBJECT_MAGIC, nonce, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

/** Decrypts what {@link sealObject} made; `Integrity` naming `key` when it fails authentication or is malformed. */
export function openObject(encryptionKey: Uint8Array, name: string, key: string, sealed: Uint8Array): Uint8Array {
  if (sealed.length < SEALED_OBJECT_MAGIC.length + NONCE + TAG || !Buffer.from(sealed.subarray(0, 4)).equals(SEALED_OBJECT_MAGIC)) {
    throw new KBackupError("Integrity", `The object ${key} is not a sealed repository object (truncated or damaged).`, { details: { key } });
  }
  try {
    const decipher = createDecipheriv("aes-256-gcm", encryptionKey, sealed.subarray(4, 4 + NONCE));
    decipher.setAAD(Buffer.from(name, "utf8"));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG));
    return Buffer.concat([decipher.update(sealed.subarray(4 + NONCE, sealed.length - TAG)), decipher.final()]);
  } catch (cause) {
    throw new KBackupError("Integrity", `The object ${key} fails authentication: it was damaged or written with another key.`, { cause, details: { key } });
  }
}
