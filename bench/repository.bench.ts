// Vault repository throughput on a synthetic volume (a third zeros, a third text, a third random),
// generated lazily from a seed, on an in-memory object store.
//   node bench/repository.bench.ts             both scenarios, each in its own process
//   node bench/repository.bench.ts copy-rss    first copy into a store that drops pack bodies: the pipeline's own memory
//   node bench/repository.bench.ts full        first copy, second copy after 1% of 4 KiB blocks changed
//   node bench/repository.bench.ts hydrate     first copy, then hydration by a freshly opened repository
// Options by environment: SIZE_MB (2048), RUN_BLOCKS (256: changed blocks come in runs of this many 4 KiB
// blocks), WORKERS (available parallelism), SCATTERED (1: also measure a second copy with 1% of blocks
// changed one by one, uniformly; slow, and it re-uploads nearly everything).
import { spawnSync } from "node:child_process";
import { createCipheriv, createHash } from "node:crypto";
import { availableParallelism } from "node:os";
import { PassphraseKeyProvider, Repository, type ObjectBody, type ObjectStore, type PutStoredObjectOptions, type RepositoryContent } from "@kbackup/core";
import { MemoryObjectStore } from "@kbackup/adapter-memory";

const MiB = 1024 * 1024;
const BLOCK = 4096;
const size = Number(process.env.SIZE_MB ?? 2048) * MiB;
const runBlocks = Number(process.env.RUN_BLOCKS ?? 256);
const workers = Number(process.env.WORKERS ?? availableParallelism());
// A fixed gear seed, so that every run cuts the volume at the same places.
const chunker = { gearSeed: "6b6261636b75702d62656e63682d3031" };
const scenarios = ["copy-rss", "full", "hydrate"] as const;
type Scenario = (typeof scenarios)[number];


/**
 * The volume: blocks [0, n/3) zeros, [n/3, 2n/3) text cut from a 1 MiB word pool at a per-block
 * offset, the rest an AES-CTR keystream. A changed block is keystream under a second key.
 */
class SyntheticVolume {
  readonly sizeInBytes: number;
  readonly #textStart: number;
  readonly #randomStart: number;
  readonly #pool: Buffer;
  readonly #changed: Set<number>;
  readonly #changedKey: string;

  /** `changedKey` seeds the new content of changed blocks, so that two changed versions share none of it. */
  constructor(sizeInBytes: number, changed: Set<number> = new Set(), changedKey = "changed") {
    this.sizeInBytes = sizeInBytes;
    const blocks = Math.ceil(sizeInBytes / BLOCK);
    this.#textStart = Math.floor(blocks / 3) * BLOCK;
    this.#randomStart = Math.floor((2 * blocks) / 3) * BLOCK;
    this.#changed = changed;
    this.#changedKey = changedKey;
    const words = "the a backup of volume snapshot cluster node pod restore vault retention policy daily weekly copy chunk index pack store key data log row page table".split(" ");
    this.#pool = Buffer.alloc(MiB + BLOCK);
    let state = 7;
    for (let at = 0; at < this.#pool.length; ) {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      at += this.#pool.write(words[(state >>> 8) % words.length]! + ((state & 15) === 0 ? ".\n" : " "), at);
    }
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    const end = Math.min(this.sizeInBytes, offset + length);
    const out = Buffer.alloc(end - offset);
    // Regions in turn; the random one in one keystream call.
    let at = offset;
    while (at < end) {
      const block = Math.floor(at / BLOCK);
      const blockEnd = Math.min(end, (block + 1) * BLOCK);
      if (at >= this.#randomStart && !this.#changed.has(block)) {
        let stop = at;
        while (stop < end && !this.#changed.has(Math.floor(stop / BLOCK))) stop = Math.min(end, (Math.floor(stop / BLOCK) + 1) * BLOCK);
        keystream("volume", at, out.subarray(at - offset, stop - offset));
        at = stop;
        continue;
      }
      if (this.#changed.has(block)) keystream(this.#changedKey, at, out.subarray(at - offset, blockEnd - offset));
      else if (at >= this.#textStart) {
        const start = (Math.imul(block, 2654435761) >>> 0) % MiB;
        this.#pool.copy(out, at - offset, start + (at - block * BLOCK), start + (blockEnd - block * BLOCK));
      }
      at = blockEnd;
    }
    return out;
  }

  async close(): Promise<void> {}
}

function keystream(name: string, position: number, target: Buffer): void {
  const key = createHash("sha256").update(name).digest().subarray(0, 16);
  const iv = Buffer.alloc(16);
  iv.writeBigUInt64BE(BigInt(Math.floor(position / 16)), 8);
  const cipher = createCipheriv("aes-128-ctr", key, iv);
  const skip = position % 16;
  const stream = cipher.update(Buffer.alloc(target.length + skip));
  stream.copy(target, 0, skip);
}

/** Blocks rewritten: 1% of them, in runs of `runBlocks`, from a seed. */
function changedBlocks(runLength: number): Set<number> {
  const blocks = Math.ceil(size / BLOCK);
  const target = Math.round(blocks / 100);
  const changed = new Set<number>();
  let state = 12345;
  while (changed.size < target) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    const first = state % Math.max(1, blocks - runLength);
    for (let b = first; b < first + runLength && changed.size < target; b++) changed.add(b);
  }
  return changed;
}

function rangesOf(changed: Set<number>): Array<{ offset: number; length: number }> {
  return [...changed].sort((a, b) => a - b).map((block) => ({ offset: block * BLOCK, length: BLOCK }));
}

/** A memory store that keeps small objects and only the size of large ones (pack bodies), for a copy's own memory. */
class DroppingStore extends MemoryObjectStore {
  dropped = 0;
  override async put(key: string, body: ObjectBody, options?: PutStoredObjectOptions) {
    if (body instanceof Uint8Array && body.length > MiB) {
      this.dropped += body.length;
      return super.put(key, new Uint8Array(0), options);
    }
    return super.put(key, body, options);
  }
}

async function storedBytes(store: ObjectStore): Promise<number> {
  let total = 0;
  for await (const info of store.list("")) total += info.size;
  return total;
}

/** Samples RSS every 20 ms while `work` runs: the peak of that phase, apart from what came before (the KDF's memory). */
async function peakRssDuring<T>(work: () => Promise<T>): Promise<{ result: T; peak: number }> {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 20);
  try {
    const result = await work();
    peak = Math.max(peak, process.memoryUsage.rss());
    return { result, peak };
  } finally {
    clearInterval(timer);
  }
}

const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
const rate = (bytes: number, ms: number) => `${(bytes / 1e6 / (ms / 1000)).toFixed(0)} MB/s`;
const rssMb = () => ((process.resourceUsage().maxRSS * 1024) / 1e6).toFixed(0);

async function run(name: Scenario): Promise<void> {
  const keyProvider = new PassphraseKeyProvider("bench passphrase");
  const volume = new SyntheticVolume(size);
  console.log(`repository ${name}: ${mb(size)} MB volume, ${workers} workers`);

  if (name === "copy-rss") {
    const store = new DroppingStore();
    const repository = await Repository.init(store, { keyProvider, workers, chunker });
    const baseline = process.memoryUsage.rss();
    const start = performance.now();
    const { peak } = await peakRssDuring(async () => {
      const content = await repository.writeVolume(volume);
      await repository.commitSnapshot({ volumes: { disk: content } });
    });
    const ms = performance.now() - start;
    console.log(`  first copy            ${rate(size, ms)} (${(ms / 1000).toFixed(1)} s), ${mb(store.dropped)} MB of packs dropped by the store`);
    console.log(`  peak RSS              ${mb(peak)} MB during the copy (sampled; pack bodies not kept, so this is the pipeline's own memory; ${mb(baseline)} MB before it); ${rssMb()} MB process peak, the key derivation's 128 MiB included`);
    await repository.close();
    return;
  }

  const store = new MemoryObjectStore();
  const repository = await Repository.init(store, { keyProvider, workers, chunker });
  if (name === "hydrate") {
    const content = await repository.writeVolume(volume);
    await repository.commitSnapshot({ volumes: { disk: content } });
    // The writer's workers stop first, so that the hydration's memory is its own.
    await repository.close();
    await hydrate(store, keyProvider, content, volume);
    console.log(`  process peak RSS      ${rssMb()} MB, with ${mb(await storedBytes(store))} MB of objects in the memory store and two key derivations (128 MiB each)`);
    return;
  }
  let start = performance.now();
  const { result: first, peak: copyPeak } = await peakRssDuring(async () => {
    const content = await repository.writeVolume(volume);
    await repository.commitSnapshot({ volumes: { disk: content } });
    return content;
  });
  let ms = performance.now() - start;
  const afterFirst = await storedBytes(store);
  console.log(`  first copy            ${rate(size, ms)} (${(ms / 1000).toFixed(1)} s), stored ${mb(afterFirst)} MB, ${first.chunks.length} chunks; peak RSS ${mb(copyPeak)} MB less ${mb(afterFirst)} MB stored = ${mb(copyPeak - afterFirst)} MB`);

  const changed = changedBlocks(runBlocks);
  const changedBytes = changed.size * BLOCK;
  const versions = { ranges: new SyntheticVolume(size, changed, "changed-a"), full: new SyntheticVolume(size, changed, "changed-b") };
  for (const withRanges of [true, false]) {
    const changedVolume = withRanges ? versions.ranges : versions.full;
    const writer = repository.startSnapshot();
    start = performance.now();
    const second = await writer.writeVolume(changedVolume, withRanges ? { parent: first, changedRanges: rangesOf(changed) } : {});
    await writer.commit({ volumes: { disk: second } });
    ms = performance.now() - start;
    const uploaded = writer.statistics.bytesUploaded;
    console.log(
      `  second copy ${withRanges ? "(changed ranges)" : "(full re-read)  "} read ${mb(writer.statistics.bytesRead)} MB in ${(ms / 1000).toFixed(1)} s; ` +
        `uploaded ${mb(uploaded)} MB = ${((100 * uploaded) / size).toFixed(2)}% of the volume, ${(uploaded / changedBytes).toFixed(2)}× the ${mb(changedBytes)} MB changed (runs of ${runBlocks} blocks)`,
    );
  }
  if (process.env.SCATTERED === "1") {
    const scattered = changedBlocks(1);
    const writer = repository.startSnapshot();
    const second = await writer.writeVolume(new SyntheticVolume(size, scattered), { parent: first, changedRanges: rangesOf(scattered) });
    await writer.commit({ volumes: { disk: second } });
    console.log(`  second copy (1% of blocks scattered one by one) uploaded ${((100 * writer.statistics.bytesUploaded) / size).toFixed(1)}% of the volume`);
  }
  await repository.close();
  console.log(`  process peak RSS      ${rssMb()} MB, with ${mb(await storedBytes(store))} MB of objects in the memory store`);
}

async function hydrate(store: ObjectStore, keyProvider: PassphraseKeyProvider, content: RepositoryContent, expected: SyntheticVolume): Promise<void> {
  // A fresh repository, so that nothing read during the copies is cached.
  const repository = await Repository.open(store, { keyProvider, workers });
  let bytes = 0;
  let mismatches = 0;
  const held = await storedBytes(store);
  const before = process.memoryUsage.rss();
  const start = performance.now();
  const { peak } = await peakRssDuring(() =>
    repository.readVolume(content, async (offset, chunk) => {
      bytes += chunk.length;
      // Spot check: the first 64 bytes of each chunk against the generator.
      const want = await expected.read(offset, 64);
      if (!Buffer.from(chunk.buffer, chunk.byteOffset, want.length).equals(want)) mismatches++;
    }),
  );
  const ms = performance.now() - start;
  console.log(`  hydration             ${rate(bytes, ms)} (${(ms / 1000).toFixed(1)} s), ${mismatches} spot-check mismatches; peak RSS ${mb(peak)} MB less ${mb(held)} MB stored = ${mb(peak - held)} MB (${mb(before)} MB before it)`);
  if (mismatches > 0 || bytes !== content.sizeInBytes) process.exitCode = 1;
  await repository.close();
}

const scenario = process.argv[2] as Scenario | undefined;
if (!scenario) {
  for (const name of scenarios) {
    const child = spawnSync(process.execPath, [process.argv[1]!, name], { stdio: "inherit", env: process.env });
    if (child.status !== 0) process.exit(child.status ?? 1);
  }
} else {
  await run(scenario);
}
