// Azure Blob object store throughput against a local Azurite (in memory): a streamed upload in
// staged blocks, a parallel ranged download (get) and a single-stream download (getStream), at the
// default block size and concurrency and at tuned ones. Reports MB/s (10^6 bytes per second).
//   node bench/azure-blob.bench.ts          (needs the built @kbackup/testing and adapter-azure)
// Options by environment: SIZE_MIB (1024).
import { createHash, randomBytes } from "node:crypto";
import type { AzureBlobObjectStore, AzureBlobObjectStoreOptions } from "@kbackup/adapter-azure";
import { PageBlobRest, startAzurite } from "@kbackup/testing";

const MiB = 1024 * 1024;
const size = Number(process.env.SIZE_MIB ?? 1024) * MiB;
const adapterUrl = new URL("../packages/adapter-azure/dist/index.js", import.meta.url).href;
const { AzureBlobObjectStore: Store, DEFAULT_BLOCK_SIZE_IN_BYTES, DEFAULT_TRANSFER_CONCURRENCY } = (await import(adapterUrl)) as typeof import("@kbackup/adapter-azure");

const configurations: Array<{ name: string; blockSizeInBytes?: number; concurrency?: number }> = [
  { name: `default (${DEFAULT_BLOCK_SIZE_IN_BYTES / MiB} MiB x ${DEFAULT_TRANSFER_CONCURRENCY})` },
  { name: "4 MiB x 4", blockSizeInBytes: 4 * MiB, concurrency: 4 },
  { name: "4 MiB x 16", blockSizeInBytes: 4 * MiB, concurrency: 16 },
  { name: "16 MiB x 4", blockSizeInBytes: 16 * MiB, concurrency: 4 },
  { name: "32 MiB x 8", blockSizeInBytes: 32 * MiB, concurrency: 8 },
];

// One random block repeated, each copy salted with its index, so no two blocks are alike.
const unit = randomBytes(8 * MiB);
async function* source(): AsyncGenerator<Uint8Array> {
  for (let offset = 0, index = 0; offset < size; offset += unit.length, index++) {
    const chunk = Buffer.from(unit.subarray(0, Math.min(unit.length, size - offset)));
    chunk.writeUInt32LE(index, 0);
    yield chunk;
  }
}
const expected = createHash("sha256");
for await (const chunk of source()) expected.update(chunk);
const expectedHash = expected.digest("hex");

const azurite = await startAzurite({ inMemory: true, resolveFrom: new URL("../packages/adapter-azure/package.json", import.meta.url) });
const rows: string[][] = [["configuration", "upload MB/s", "get MB/s", "getStream MB/s"]];
try {
  await new PageBlobRest(azurite).createContainer("bench");
  for (const configuration of configurations) {
    const options: AzureBlobObjectStoreOptions = {
      connectionString: azurite.connectionString,
      containerName: "bench",
      ...(configuration.blockSizeInBytes ? { blockSizeInBytes: configuration.blockSizeInBytes } : {}),
      ...(configuration.concurrency ? { uploadConcurrency: configuration.concurrency, downloadConcurrency: configuration.concurrency } : {}),
    };
    const store: AzureBlobObjectStore = new Store(options);
    const key = `bench/${configuration.name.replace(/\W+/g, "-")}`;

    let started = performance.now();
    await store.put(key, source());
    const upload = rate(started);

    started = performance.now();
    const whole = await store.get(key);
    const get = rate(started);
    if (!whole || createHash("sha256").update(whole.body).digest("hex") !== expectedHash) throw new Error(`${configuration.name}: get read other bytes`);

    started = performance.now();
    const stream = await store.getStream(key);
    const streamed = createHash("sha256");
    for await (const chunk of stream?.body ?? []) streamed.update(chunk);
    const getStream = rate(started);
    if (streamed.digest("hex") !== expectedHash) throw new Error(`${configuration.name}: getStream read other bytes`);

    await store.delete(key);
    rows.push([configuration.name, upload, get, getStream]);
    console.log(`${configuration.name}: upload ${upload} MB/s, get ${get} MB/s, getStream ${getStream} MB/s`);
  }
} finally {
  await azurite.stop();
}
console.log(`\n${size / MiB} MiB through AzureBlobObjectStore against Azurite (in memory), on ${process.platform}/${process.arch}, Node ${process.version}`);
const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
for (const row of rows) console.log(row.map((cell, column) => cell.padEnd(widths[column]!)).join("  "));

function rate(startedAt: number): string {
  const seconds = (performance.now() - startedAt) / 1000;
  return (size / 1e6 / seconds).toFixed(0);
}
