import { randomUUID } from "node:crypto";
import { afterAll, beforeAll } from "vitest";
import { BlobServiceClient } from "@azure/storage-blob";
import { AzureBlobObjectStore } from "@kbackup/adapter-azure";
import { startAzurite, type AzuriteHandle } from "@kbackup/testing";

/** The store settings a conformance run varies. */
export interface AzuriteStoreOptions {
  prefix?: string;
  blockSizeInBytes?: number;
  uploadConcurrency?: number;
}

/**
 * Starts an in-memory Azurite for the calling test file (stopped after it) and returns a factory
 * of stores, each on a new container of its own that its `cleanup` removes: the shape
 * `objectStoreConformance` takes. Call it at the top level of the file.
 */
export function storesOnAzurite(): (options?: AzuriteStoreOptions) => Promise<{ store: AzureBlobObjectStore; cleanup: () => Promise<void> }> {
  let azurite: AzuriteHandle;
  beforeAll(async () => {
    azurite = await startAzurite({ inMemory: true, resolveFrom: import.meta.url });
  });
  afterAll(async () => {
    await azurite?.stop();
  });
  return async (options = {}) => {
    const containerName = `c-${randomUUID()}`;
    const service = BlobServiceClient.fromConnectionString(azurite.connectionString);
    await service.createContainer(containerName);
    const store = new AzureBlobObjectStore({ connectionString: azurite.connectionString, containerName, ...options });
    return { store, cleanup: async () => void (await service.deleteContainer(containerName)) };
  };
}
