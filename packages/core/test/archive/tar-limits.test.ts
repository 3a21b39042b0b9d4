import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { TarWriter, readTar, type TarEntry } from "@kbackup/core";

const scratch = mkdtempSync(join(tmpdir(), "kbackup-tar-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const env = { ...process.env, LC_ALL: "C.UTF-8" };

const bytesOf = (text: string) => Buffer.byteLength(text, "utf8");
/** `count` bytes of path: segments of at most `segment` characters of `letter`, joined by slashes. */
function pathOf(count: number, segment: number, letter = "a"): string {
  const parts: string[] = [];
  let left = count;
  while (left > 0) {
    const take = Math.min(segment, parts.length === 0 ? left : left - 1);
    parts.push(letter.repeat(take));
    left -= take + (parts.length > 1 ? 1 : 0);
  }
  return parts.join("/");
}

function archiveOf(entries: TarEntry[]): Buffer {
  const writer = new TarWriter(1_700_000_000);
  return Buffer.concat([...entries.flatMap((entry) => writer.entry(entry.path, entry.data)), writer.end()]);
}

async function read(archive: Uint8Array, chunkSize = 4096): Promise<TarEntry[]> {
  async function* chunks() {
    for (let i = 0; i < archive.length; i += chunkSize) yield archive.subarray(i, i + chunkSize);
  }
  const out: TarEntry[] = [];
  for await (const entry of readTar(chunks())) out.push({ path: entry.path, data: Buffer.from(entry.data) });
  return out;
}

const limits: Array<[string, string]> = [
  ["a name of exactly 100 bytes", "n".repeat(100)],
  ["a name of 101 bytes and no slash", "n".repeat(101)],
  ["a prefix of exactly 155 and a name of exactly 100 bytes", `${"p".repeat(155)}/${"n".repeat(100)}`],
  ["a prefix of 156 bytes", `${"p".repeat(156)}/${"n".repeat(99)}`],
  ["a name of 101 bytes after a short prefix", `p/${"n".repeat(101)}`],
  ["257 bytes", `${"p".repeat(156)}/${"n".repeat(100)}`],
  ["non-ASCII in 100 bytes", `resources/configmaps/namespaces/ünïcödé/${"ü".repeat(26)}.json`.padEnd(100, "x")],
  ["non-ASCII past 100 bytes", `resources/configmaps/namespaces/${"日本".repeat(20)}/w.json`],
  // "999 path=<989 bytes>\n" is 999 bytes; one byte more of path makes "1001 path=...": 1000 cannot be.
  ["a pax record of 999 bytes", pathOf(989, 200)],
  ["a pax record whose length needs one more digit", pathOf(990, 200)],
  ["Velero's longest path", `resources/widgets.example.com/namespaces/${"n".repeat(63)}/${"w".repeat(253)}.json`],
];

describe("tar paths at the format's limits", () => {
  it.each(limits)("%s: GNU tar lists and extracts it, and readTar reads it back", async (_, path) => {
    const data = Buffer.from(`{"path":${JSON.stringify(path)}}`);
    const archive = archiveOf([{ path, data }, { path: "after.json", data: Buffer.from("{}") }]);
    expect(archive.length % 512).toBe(0);
    expect((await read(archive)).map((entry) => entry.path)).toEqual([path, "after.json"]);
    const file = join(scratch, `${bytesOf(path)}.tar`);
    writeFileSync(file, archive);
    const listed = execFileSync("tar", ["--quoting-style=literal", "-tf", file], { env }).toString("utf8").split("\n").filter(Boolean);
    expect(listed).toEqual([path, "after.json"]);
    // A file system takes names of 255 bytes at most: longer ones are only listed.
    if (path.split("/").every((segment) => bytesOf(segment) <= 255)) {
      const into = mkdtempSync(join(scratch, "x-"));
      execFileSync("tar", ["-xf", file, "-C", into], { env });
      expect(readFileSync(join(into, path))).toEqual(data);
    }
  });

  it("the helper makes paths of the length asked for", () => {
    expect(bytesOf(pathOf(989, 200))).toBe(989);
    expect(bytesOf(pathOf(990, 200))).toBe(990);
  });
});

describe("tar bodies", () => {
  const sizes = [0, 1, 511, 512, 513, 1023, 1024, 1025, 10_000];

  it("round-trips bodies around block boundaries, through GNU tar too, across any chunking", async () => {
    const entries = sizes.map((size) => ({ path: `body-${size}.bin`, data: Buffer.alloc(size, size % 251) }));
    const archive = archiveOf(entries);
    for (const chunkSize of [7, 100, 512, 4096, archive.length]) {
      const read_ = await read(archive, chunkSize);
      expect(read_.map((entry) => entry.path)).toEqual(entries.map((entry) => entry.path));
      read_.forEach((entry, i) => expect(Buffer.from(entry.data).equals(entries[i]!.data)).toBe(true));
    }
    const file = join(scratch, "bodies.tar");
    writeFileSync(file, archive);
    const into = mkdtempSync(join(scratch, "b-"));
    execFileSync("tar", ["-xf", file, "-C", into], { env });
    for (const entry of entries) expect(readFileSync(join(into, entry.path)).equals(entry.data)).toBe(true);
  });

  it("reads what GNU tar writes in the pax format, long and non-ASCII paths included", async () => {
    const root = mkdtempSync(join(scratch, "g-"));
    const long = `${"d".repeat(120)}/${"日本語".repeat(20)}.json`;
    execFileSync("mkdir", ["-p", join(root, "d".repeat(120))]);
    writeFileSync(join(root, long), "long");
    writeFileSync(join(root, "short.json"), "short");
    const file = join(scratch, "gnu.tar");
    execFileSync("tar", ["--format=pax", "-cf", file, "-C", root, "short.json", long], { env });
    const entries = await read(readFileSync(file), 777);
    expect(entries.map((entry) => [entry.path, Buffer.from(entry.data).toString()])).toEqual([
      ["short.json", "short"],
      [long, "long"],
    ]);
  });
});

describe("a tar archive cut anywhere", () => {
  it("reads as Integrity or as whole entries before the cut, never as an entry with missing bytes", async () => {
    const entries = [
      { path: "a.json", data: Buffer.alloc(700, 1) },
      { path: `${"p".repeat(120)}/${"日".repeat(40)}.json`, data: Buffer.alloc(512, 2) },
      { path: "c.json", data: Buffer.alloc(3, 3) },
    ];
    const archive = archiveOf(entries);
    for (let cut = 0; cut < archive.length; cut++) {
      let read_: TarEntry[];
      try {
        read_ = await read(archive.subarray(0, cut), 512);
      } catch (error) {
        expect(error).toMatchObject({ name: "KBackupError", code: "Integrity" });
        continue;
      }
      // Only a cut between whole entries, or in the end-of-archive blocks once one is whole, reads
      // without error: what it yields is a prefix of the entries.
      if (read_.length < entries.length) expect(cut % 512).toBe(0);
      read_.forEach((entry, i) => {
        expect(entry.path).toBe(entries[i]!.path);
        expect(Buffer.from(entry.data).equals(entries[i]!.data)).toBe(true);
      });
    }
  });
});
