import { describe, it } from "vitest";
import { objectStoreConformance } from "@kbackup/testing";
import { storesOnAzurite } from "./azurite-stores.js";

const freshStore = storesOnAzurite();

describe("AzureBlobObjectStore against Azurite", () => {
  // Small blocks, so that the large bodies go through staged blocks and parallel ranged reads.
  objectStoreConformance(it, () => freshStore({ blockSizeInBytes: 1024 * 1024, uploadConcurrency: 4 }), { largeObjectSizeInBytes: 12 * 1024 * 1024 });
});
