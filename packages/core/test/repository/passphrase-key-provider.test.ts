import { describe, expect, it } from "vitest";
import { MemoryObjectStore } from "@kbackup/adapter-memory";
import { PassphraseKeyProvider, Repository, type KeyProvider } from "@kbackup/core";
import { initRepository, keyProvider } from "./repository-fixtures.js";

const cheap = { scrypt: { N: 1024, r: 8, p: 1 } };

describe("PassphraseKeyProvider", () => {
  it("unwraps what it wrapped, and records scrypt's parameters and salt with the key", async () => {
    const provider = new PassphraseKeyProvider("s3cret", cheap);
    const key = new Uint8Array(32).fill(7);
    const wrapped = await provider.wrapKey(key);
    expect(wrapped).toMatchObject({ scheme: "scrypt-aes-256-gcm", kdf: { N: 1024, r: 8, p: 1, salt: expect.any(String) } });
    expect(Buffer.from(wrapped.kdf.salt, "base64")).toHaveLength(16);
    expect(Buffer.from(await provider.unwrapKey(wrapped))).toEqual(Buffer.from(key));
    expect((await provider.wrapKey(key)).kdf.salt).not.toBe(wrapped.kdf.salt);
  });

  it("says PermissionDenied for a wrong passphrase or a tampered key, Unsupported for another scheme", async () => {
    const wrapped = await new PassphraseKeyProvider("right", cheap).wrapKey(new Uint8Array(32));
    await expect(new PassphraseKeyProvider("wrong", cheap).unwrapKey(wrapped)).rejects.toMatchObject({ code: "PermissionDenied" });
    const tampered = { ...wrapped, ciphertext: Buffer.from(Buffer.from(wrapped.ciphertext, "base64").map((b, i) => (i === 0 ? b ^ 1 : b))).toString("base64") };
    await expect(new PassphraseKeyProvider("right", cheap).unwrapKey(tampered)).rejects.toMatchObject({ code: "PermissionDenied" });
    await expect(new PassphraseKeyProvider("right", cheap).unwrapKey({ scheme: "azure-key-vault" })).rejects.toMatchObject({ code: "Unsupported" });
    await expect(new PassphraseKeyProvider("right", cheap).unwrapKey({ ...wrapped, kdf: { ...wrapped.kdf, N: 2 ** 30 } })).rejects.toMatchObject({ code: "Integrity" });
  });

  it("refuses an empty passphrase and scrypt parameters out of range", () => {
    expect(() => new PassphraseKeyProvider("")).toThrow(expect.objectContaining({ field: "passphrase" }));
    expect(() => new PassphraseKeyProvider("x", { scrypt: { N: 1000, r: 8, p: 1 } })).toThrow(expect.objectContaining({ field: "scrypt.N" }));
    expect(() => new PassphraseKeyProvider("x", { scrypt: { N: 1024, r: 0, p: 1 } })).toThrow(expect.objectContaining({ field: "scrypt.r" }));
  });

  it("keeps a repository shut to a wrong passphrase or a key provider that returns another key", async () => {
    const store = new MemoryObjectStore();
    await (await initRepository(store)).close();
    await expect(Repository.open(store, { keyProvider: new PassphraseKeyProvider("not it", cheap), workers: 0 })).rejects.toMatchObject({ code: "PermissionDenied" });
    const liar: KeyProvider = { wrapKey: keyProvider.wrapKey.bind(keyProvider), unwrapKey: async () => new Uint8Array(32).fill(1) };
    await expect(Repository.open(store, { keyProvider: liar, workers: 0 })).rejects.toMatchObject({ code: "PermissionDenied" });
    const config = JSON.parse(Buffer.from((await store.get("config"))!.body).toString());
    expect(config.key.kdf).toMatchObject({ N: 1024, r: 8, p: 1 });
    expect(JSON.stringify(config)).not.toMatch(/correct horse/);
  });
});
