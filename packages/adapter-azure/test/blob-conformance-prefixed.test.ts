import { describe, it } from "vitest";
import { objectStoreConformance } from "@kbackup/testing";
import { storesOnAzurite } from "./azurite-stores.js";

const freshStore = storesOnAzurite();

describe("AzureBlobObjectStore with a key prefix and default blocks", () => {
  objectStoreConformance(it, () => freshStore({ prefix: "tenants/one" }), { largeObjectSizeInBytes: 16 * 1024 * 1024 });
});
