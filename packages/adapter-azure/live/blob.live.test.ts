import { randomUUID } from "node:crypto";
import { describe, it } from "vitest";
import { AzureBlobObjectStore } from "@kbackup/adapter-azure";
import { collect } from "@kbackup/core";
import { objectStoreConformance } from "@kbackup/testing";
import { liveCredential, liveEnvironment } from "./live-environment.js";

const env = liveEnvironment(["KBACKUP_LIVE_BLOB_ACCOUNT_URL", "KBACKUP_LIVE_BLOB_CONTAINER"] as const);
const secondaryUrl = process.env.KBACKUP_LIVE_BLOB_SECONDARY_URL;
const run = `kbackup-live/${new Date().toISOString().slice(0, 10)}-${randomUUID().slice(0, 8)}`;
let count = 0;

describe("AzureBlobObjectStore against a real storage account (Entra ID sign-in)", () => {
  objectStoreConformance(
    it,
    async () => {
      const store = new AzureBlobObjectStore({
        accountUrl: env.KBACKUP_LIVE_BLOB_ACCOUNT_URL,
        credential: liveCredential,
        containerName: env.KBACKUP_LIVE_BLOB_CONTAINER,
        prefix: `${run}/${++count}`,
        ...(secondaryUrl ? { secondaryUrl } : {}),
      });
      const cleanup = async () => {
        for await (const item of store.list("")) await store.delete(item.key);
        const left = await collect(store.list(""));
        if (left.length > 0) throw new Error(`${left.length} objects were left under ${run}/${count}`);
      };
      return { store, cleanup };
    },
    { largeObjectSizeInBytes: 32 * 1024 * 1024 },
  );
});
