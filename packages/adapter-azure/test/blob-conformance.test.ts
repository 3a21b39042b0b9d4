import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, it } from "vitest";
import { BlobServiceClient } from "@azure/storage-blob";
import { AzureBlobObjectStore } from "@kbackup/adapter-azure";
import { objectStoreConformance, startAzurite, type AzuriteHandle } from "@kbackup/testing";

let azurite: AzuriteHandle;
beforeAll(async () => {
  azurite = await startAzurite({ inMemory: true, resolveFrom: import.meta.url });
});
afterAll(async () => {
  await azurite?.stop();
});

/** A store on a new container of its own, removed after the test. */
async function freshStore(options: { prefix?: string; blockSizeInBytes?: number; uploadConcurrency?: number } = {}) {
  const containerName = `c-${randomUUID()}`;
  const service = BlobServiceClient.fromConnectionString(azurite.connectionString);
  await service.createContainer(containerName);
  const store = new AzureBlobObjectStore({ connectionString: azurite.connectionString, containerName, ...options });
  return { store, cleanup: async () => void (await service.deleteContainer(containerName)) };
}

describe("AzureBlobObjectStore against Azurite", () => {
  // Small blocks, so that the large bodies go through staged blocks and parallel ranged reads.
  objectStoreConformance(it, () => freshStore({ blockSizeInBytes: 1024 * 1024, uploadConcurrency: 4 }), { largeObjectSizeInBytes: 12 * 1024 * 1024 });
});
