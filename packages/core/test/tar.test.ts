import { describe, expect, it } from "vitest";
import { TarWriter, readTar } from "@kbackup/core";

async function* chunks(parts: Uint8Array[], size: number): AsyncIterableIterator<Uint8Array> {
  const all = Buffer.concat(parts);
  for (let i = 0; i < all.length; i += size) yield all.subarray(i, i + size);
}

const bytes = (text: string) => new TextEncoder().encode(text);

describe("tar", () => {
  it("round-trips short, long and non-ASCII paths and bodies of any size, across any chunking", async () => {
    const writer = new TarWriter(1_700_000_000);
    const entries = [
      { path: "metadata/version", data: bytes("1.1.0\n") },
      { path: "resources/pods/namespaces/shop/web-0.json", data: bytes("{}") },
      { path: `resources/widgets.example.com/namespaces/${"n".repeat(63)}/${"w".repeat(120)}.json`, data: new Uint8Array(1000).fill(7) },
      { path: `resources/configmaps/namespaces/ünïcode/${"x".repeat(300)}.json`, data: new Uint8Array(0) },
      { path: "resources/secrets/cluster/exact.json", data: new Uint8Array(512).fill(1) },
    ];
    const parts = entries.flatMap((entry) => writer.entry(entry.path, entry.data));
    parts.push(writer.end());
    for (const size of [1, 7, 512, 4096]) {
      const read = [];
      for await (const entry of readTar(chunks(parts, size))) read.push({ path: entry.path, data: Buffer.from(entry.data) });
      expect(read.map((entry) => entry.path)).toEqual(entries.map((entry) => entry.path));
      read.forEach((entry, i) => expect(entry.data.equals(Buffer.from(entries[i]!.data))).toBe(true));
    }
  });

  it("refuses a header whose checksum does not match", async () => {
    const writer = new TarWriter();
    const [header, ...rest] = writer.entry("a.json", bytes("{}"));
    const damaged = Uint8Array.from(header!);
    damaged[0] = damaged[0]! ^ 1;
    const read = async () => {
      for await (const _ of readTar(chunks([damaged, ...rest, writer.end()], 512))) void _;
    };
    await expect(read()).rejects.toMatchObject({ name: "KBackupError", code: "Integrity" });
  });

  it("refuses an archive cut inside an entry", async () => {
    const writer = new TarWriter();
    const parts = writer.entry("a.json", new Uint8Array(2000));
    const cut = Buffer.concat(parts).subarray(0, 1024);
    const read = async () => {
      for await (const _ of readTar(chunks([cut], 100))) void _;
    };
    await expect(read()).rejects.toMatchObject({ code: "Integrity" });
  });
});
