import { Repository, PassphraseKeyProvider, type InitRepositoryOptions, type ObjectStore, type OpenRepositoryOptions } from "@kbackup/core";

/** A cheap scrypt cost, so that tests open repositories quickly. */
export const keyProvider = new PassphraseKeyProvider("correct horse battery staple", { scrypt: { N: 1024, r: 8, p: 1 } });

/** Small chunks and packs, so that small volumes make many of both: 4 KiB / 16 KiB / 64 KiB, packs of 64 KiB. */
export const smallFormat: Pick<InitRepositoryOptions, "chunker" | "packTargetSizeInBytes"> = {
  chunker: { minSizeInBytes: 4 * 1024, averageSizeInBytes: 16 * 1024, maxSizeInBytes: 64 * 1024, gearSeed: "00112233445566778899aabbccddeeff" },
  packTargetSizeInBytes: 64 * 1024,
};

/** Creates a small-format repository on `store`. */
export function initRepository(store: ObjectStore, options: Partial<InitRepositoryOptions> = {}): Promise<Repository> {
  return Repository.init(store, { keyProvider, workers: 0, ...smallFormat, ...options });
}

/** Opens the repository on `store` with the test passphrase. */
export function openRepository(store: ObjectStore, options: Partial<OpenRepositoryOptions> = {}): Promise<Repository> {
  return Repository.open(store, { keyProvider, workers: 0, ...options });
}

/** A deterministic pseudo-random generator (xorshift32). */
export function random(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state;
  };
}

/** `length` pseudo-random bytes from `seed`. */
export function randomBytesOf(length: number, seed: number): Uint8Array {
  const next = random(seed);
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = next() & 0xff;
  return out;
}

const WORDS = "the volume snapshot of a kubernetes cluster holds pods services config maps secrets and persistent data written by many databases every day".split(" ");

/** `length` bytes of English-like text from `seed`: compressible, yet not repetitive. */
export function textOf(length: number, seed: number): Uint8Array {
  const next = random(seed);
  const out = Buffer.alloc(length);
  let at = 0;
  while (at < length) at += out.write(`${WORDS[next() % WORDS.length]}${next() % 7 === 0 ? ".\n" : " "}`, at);
  return out;
}

/** A volume of zeros, text and random bytes in turn. */
export function mixedVolume(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  const third = Math.floor(length / 3);
  out.set(textOf(third, seed), third);
  out.set(randomBytesOf(length - 2 * third, seed + 1), 2 * third);
  return out;
}

/** A snapshot reader over bytes that returns at most `maxRead` bytes per read, as real readers may. */
export function bytesReader(bytes: Uint8Array, maxRead = 100_003) {
  let reads = 0;
  let bytesRead = 0;
  return {
    sizeInBytes: bytes.length,
    async read(offset: number, length: number) {
      reads++;
      const slice = bytes.slice(offset, offset + Math.min(length, maxRead));
      bytesRead += slice.length;
      return slice;
    },
    get reads() {
      return reads;
    },
    get bytesRead() {
      return bytesRead;
    },
    async close() {},
  };
}

/** Reads a volume back whole through `readVolume`, checking that the sink sees every byte once and in order. */
export async function readBack(repository: Repository, content: Parameters<Repository["readVolume"]>[0]): Promise<Uint8Array> {
  const out = new Uint8Array(content.sizeInBytes);
  let expected = 0;
  await repository.readVolume(content, async (offset, bytes) => {
    if (offset !== expected) throw new Error(`sink got offset ${offset}, expected ${expected}`);
    out.set(bytes, offset);
    expected += bytes.length;
  });
  if (expected !== content.sizeInBytes) throw new Error(`sink got ${expected} bytes of ${content.sizeInBytes}`);
  return out;
}

/** Rewrites `runs` runs of `blocksPerRun` 4 KiB blocks of a copy of `bytes` with new random bytes. */
export function rewriteBlocks(bytes: Uint8Array, runs: number, blocksPerRun: number, seed: number): { bytes: Uint8Array; ranges: Array<{ offset: number; length: number }> } {
  const out = bytes.slice();
  const next = random(seed);
  const blocks = Math.floor(bytes.length / 4096);
  const ranges: Array<{ offset: number; length: number }> = [];
  for (let r = 0; r < runs; r++) {
    const first = next() % Math.max(1, blocks - blocksPerRun);
    const offset = first * 4096;
    const length = Math.min(blocksPerRun * 4096, bytes.length - offset);
    out.set(randomBytesOf(length, seed * 1000 + r), offset);
    ranges.push({ offset, length });
  }
  return { bytes: out, ranges };
}
