import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { MemoryCluster } from "@kbackup/adapter-memory";
import { startAzurite, startLocalApiServer, type AzuriteHandle, type LocalApiServer } from "@kbackup/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kbackup } from "./run-cli.js";

// `--store azblob://...` against Azurite: the same commands as with a folder, signed in with the
// account key from the environment or a connection string given as an option.
const adapterAzure = fileURLToPath(new URL("../../adapter-azure/package.json", import.meta.url));

interface ContainerSdk {
  BlobServiceClient: {
    fromConnectionString(text: string): {
      createContainer(name: string): Promise<unknown>;
      getContainerClient(name: string): { listBlobsFlat(options: { prefix: string }): AsyncIterable<{ name: string }> };
    };
  };
}

let azurite: AzuriteHandle;
let server: LocalApiServer;
let sdk: ContainerSdk;
let store: string;

beforeAll(async () => {
  // The SDK the Azure adapter uses, loaded from where the adapter finds it: only to make the container.
  sdk = (await import(pathToFileURL(createRequire(adapterAzure).resolve("@azure/storage-blob")).href)) as ContainerSdk;
  azurite = await startAzurite({ inMemory: true, resolveFrom: adapterAzure });
  await sdk.BlobServiceClient.fromConnectionString(azurite.connectionString).createContainer("kbackup");
  store = `azblob://${azurite.accountName}/kbackup/team-a?endpoint=${azurite.blobEndpoint}`;
  const cluster = new MemoryCluster({ identity: { name: "aks-blob" } });
  cluster.load([
    { apiVersion: "v1", kind: "Namespace", metadata: { name: "web" } },
    { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "site", namespace: "web" }, data: { title: "hello" } },
  ]);
  server = await startLocalApiServer({ cluster });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await azurite?.stop();
});

describe("an Azure Blob store", () => {
  it("keeps the vault under the URL's prefix, signed in with AZURE_STORAGE_KEY", async () => {
    const env = { AZURE_STORAGE_KEY: azurite.accountKey };
    const backup = await kbackup(["--store", store, "--kubeconfig", server.kubeconfigPath, "backup", "--no-snapshot-volumes"], { env });
    expect(backup.stderr).toBe("Protecting cluster aks-blob as backup instance aks-blob in vault kbackup.\n");
    expect(backup.code).toBe(0);
    const verify = await kbackup(["--store", store, "verify"], { env });
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/^aks-blob\s+\S+\s+OperationalStore\s+OK/m);
    const names: string[] = [];
    for await (const blob of sdk.BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient("kbackup").listBlobsFlat({ prefix: "" })) names.push(blob.name);
    expect(names.length).toBeGreaterThan(3);
    expect(names.every((name) => name.startsWith("team-a/vaults/kbackup/"))).toBe(true);
    expect(names.some((name) => name.endsWith("/manifest.json"))).toBe(true);
  });

  it("reads the same vault with a connection string option, and says which credential is missing", async () => {
    const list = await kbackup(["--store", store, "--connection-string", azurite.connectionString, "list"]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^aks-blob\s+aks-blob\s+/m);
    const none = await kbackup(["--store", store, "list"]);
    expect(none.code).toBe(64);
    expect(none.stderr).toContain("no credential for storage account devstoreaccount1");
    const wrong = await kbackup(["--store", store.replace("/kbackup/", "/missing/"), "list"], { env: { AZURE_STORAGE_KEY: azurite.accountKey } });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^kbackup: .*missing/m);
    expect(wrong.stderr).toMatch(/^hint: /m);
  });
});

