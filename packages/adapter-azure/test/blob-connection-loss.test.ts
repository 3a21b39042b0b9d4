import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BlobServiceClient } from "@azure/storage-blob";
import { AzureBlobObjectStore } from "@kbackup/adapter-azure";
import { collect, isKBackupError } from "@kbackup/core";
import { startAzurite, type AzuriteHandle } from "@kbackup/testing";

let azurite: AzuriteHandle;
beforeAll(async () => {
  // On disk, so that what Azurite stored survives its restart.
  azurite = await startAzurite({ resolveFrom: import.meta.url });
});
afterAll(async () => {
  await azurite?.stop();
});

const KiB = 1024;
const BLOCK = 64 * KiB;

describe("AzureBlobObjectStore when Azurite dies during an upload", () => {
  it("the streamed put fails cleanly, and after a restart nothing half-written is visible", async () => {
    const containerName = `c-${randomUUID()}`;
    await BlobServiceClient.fromConnectionString(azurite.connectionString).createContainer(containerName);
    const store = new AzureBlobObjectStore({
      connectionString: azurite.connectionString,
      containerName,
      blockSizeInBytes: BLOCK,
      uploadConcurrency: 2,
      retryOptions: { maxTries: 2, retryDelayInMs: 50 },
    });
    const old = new Uint8Array(5 * BLOCK).fill(1);
    await store.put("volume/overwritten", old);
    // A clean shutdown saves Azurite's index, so the container and the old object are on disk.
    await azurite.kill("SIGTERM");
    await azurite.restart();

    let sent = 0;
    let killed: Promise<void> | undefined;
    const body = async function* () {
      for (let index = 0; index < 64; index++) {
        // Once a few blocks are staged, Azurite dies; the source keeps producing as a live one would.
        if (sent === 6 * BLOCK) killed = azurite.kill();
        sent += BLOCK;
        yield new Uint8Array(BLOCK).fill(index);
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    for (const key of ["volume/new", "volume/overwritten"]) {
      sent = 0;
      const outcome = await store.put(key, body()).then(
        () => "succeeded",
        (error: unknown) => (isKBackupError(error) ? error.code : `a foreign error: ${String(error)}`),
      );
      expect(outcome).toBe("Unavailable");
      await killed;
      expect(sent).toBeLessThan(64 * BLOCK);
      await azurite.restart();
    }

    expect(await store.head("volume/new")).toBeUndefined();
    expect((await store.get("volume/overwritten"))?.body).toEqual(old);
    expect((await collect(store.list("volume/"))).map((item) => [item.key, item.size])).toEqual([["volume/overwritten", old.length]]);
    // The key is writable again once the service is back.
    const again = new Uint8Array(5 * BLOCK).fill(7);
    await store.put("volume/new", again);
    expect((await store.get("volume/new"))?.body).toEqual(again);
  });
});
