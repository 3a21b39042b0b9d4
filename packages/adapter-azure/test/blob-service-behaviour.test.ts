import { randomUUID } from "node:crypto";
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BlobServiceClient, ContainerSASPermissions, generateBlobSASQueryParameters, StorageSharedKeyCredential } from "@azure/storage-blob";
import { AzureBlobObjectStore, isLeasableObjectStore, type AzureBlobObjectStoreOptions } from "@kbackup/adapter-azure";
import { collect, isKBackupError, type KBackupErrorCode } from "@kbackup/core";
import { startAzurite, startThrottlingProxy, type AzuriteHandle, type ThrottlingProxy } from "@kbackup/testing";

const fastRetries = { maxTries: 3, retryDelayInMs: 10, maxRetryDelayInMs: 50 };
let azurite: AzuriteHandle;
let proxy: ThrottlingProxy;
let service: BlobServiceClient;

beforeAll(async () => {
  azurite = await startAzurite({ inMemory: true, resolveFrom: import.meta.url });
  proxy = await startThrottlingProxy({ target: `http://127.0.0.1:${azurite.port}` });
  service = BlobServiceClient.fromConnectionString(azurite.connectionString);
});
afterAll(async () => {
  await proxy?.close();
  await azurite?.stop();
});

async function newContainer(): Promise<string> {
  const name = `c-${randomUUID()}`;
  await service.createContainer(name);
  return name;
}

async function store(options: Partial<AzureBlobObjectStoreOptions> = {}): Promise<AzureBlobObjectStore> {
  const containerName = options.containerName ?? (await newContainer());
  return new AzureBlobObjectStore({ connectionString: azurite.connectionString, containerName, retryOptions: fastRetries, ...options });
}

async function failure(call: () => Promise<unknown>): Promise<{ code: KBackupErrorCode; message: string }> {
  try {
    await call();
  } catch (error) {
    if (!isKBackupError(error)) throw error;
    return { code: error.code, message: error.message };
  }
  throw new Error("expected a failure, but the call succeeded");
}

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (body: Uint8Array | undefined) => new TextDecoder().decode(body);

describe("options", () => {
  it("needs exactly one way to sign in and a valid container name, before any I/O", () => {
    const invalid = (options: AzureBlobObjectStoreOptions) => {
      try {
        new AzureBlobObjectStore(options);
      } catch (error) {
        return isKBackupError(error, "InvalidArgument") ? error.field : `wrong error ${String(error)}`;
      }
      return "accepted";
    };
    expect(invalid({ containerName: "backups" })).toBe("options");
    expect(invalid({ containerName: "backups", connectionString: azurite.connectionString, sasUrl: "https://a.blob.core.windows.net/?sig=x" })).toBe("options");
    expect(invalid({ containerName: "Backups", connectionString: azurite.connectionString })).toBe("options.containerName");
    expect(invalid({ connectionString: azurite.connectionString })).toBe("options.containerName");
    expect(invalid({ containerName: "backups", sasUrl: "https://a.blob.core.windows.net/backups" })).toBe("options.sasUrl");
    expect(invalid({ containerName: "backups", accountUrl: "https://a.blob.core.windows.net" })).toBe("options.credential");
    expect(invalid({ containerName: "backups", connectionString: azurite.connectionString, prefix: "a//b" })).toBe("options.prefix");
    expect(invalid({ containerName: "backups", connectionString: azurite.connectionString, blockSizeInBytes: 0 })).toBe("options.blockSizeInBytes");
    expect(invalid({ containerName: "backups", connectionString: azurite.connectionString, uploadConcurrency: 1.5 })).toBe("options.uploadConcurrency");
    expect(invalid({ containerName: "backups", connectionString: azurite.connectionString })).toBe("accepted");
  });

  it("works from an account URL with a shared key credential, and from a ready ContainerClient", async () => {
    const containerName = await newContainer();
    const credential = new StorageSharedKeyCredential(azurite.accountName, azurite.accountKey);
    const viaUrl = new AzureBlobObjectStore({ accountUrl: azurite.blobEndpoint, credential, containerName });
    await viaUrl.put("from/url", bytes("one"));
    const viaClient = new AzureBlobObjectStore({ containerClient: service.getContainerClient(containerName), prefix: "from" });
    expect(text((await viaClient.get("url"))?.body)).toBe("one");
    expect(viaClient.containerName).toBe(containerName);
  });
});

describe("metadata", () => {
  it("keys Azure would refuse and empty values round-trip; values a header cannot carry are InvalidArgument", async () => {
    const withMetadata = await store();
    const metadata = { "1st": "one", _private: "two", x_escaped: "three", plain: "four", empty: "", "9": "" };
    await withMetadata.put("meta", bytes("x"), { metadata });
    expect((await withMetadata.head("meta"))?.metadata).toEqual(metadata);
    expect((await collect(withMetadata.list("")))[0]?.metadata).toEqual(metadata);
    for (const value of ["ünïcode", " leading", "trailing ", "line\nbreak"]) {
      expect((await failure(() => withMetadata.put("bad", bytes("x"), { metadata: { value } }))).code).toBe("InvalidArgument");
    }
    expect(await withMetadata.head("bad")).toBeUndefined();
  });
});

describe("errors a user can act on", () => {
  it("a missing container is NotFound saying to create it", async () => {
    const missing = await store({ containerName: "no-such-container" });
    for (const call of [() => missing.put("a", bytes("x")), () => missing.get("a"), () => missing.head("a"), () => collect(missing.list(""))]) {
      const error = await failure(call);
      expect(error.code).toBe("NotFound");
      expect(error.message).toMatch(/container .*does not exist: create it/);
    }
  });

  it("a wrong account key is PermissionDenied naming the container and what to check", async () => {
    const containerName = await newContainer();
    const wrongKey = Buffer.alloc(64, 7).toString("base64");
    const denied = new AzureBlobObjectStore({ accountUrl: azurite.blobEndpoint, credential: new StorageSharedKeyCredential(azurite.accountName, wrongKey), containerName, retryOptions: fastRetries });
    const error = await failure(() => denied.put("a", bytes("x")));
    expect(error.code).toBe("PermissionDenied");
    expect(error.message).toContain(containerName);
    expect(error.message).toMatch(/credential|role/);
  });

  it("a refused connection is Unavailable after the retries", async () => {
    const port = await closedPort();
    const unreachable = new AzureBlobObjectStore({
      connectionString: `DefaultEndpointsProtocol=http;AccountName=${azurite.accountName};AccountKey=${azurite.accountKey};BlobEndpoint=http://127.0.0.1:${port}/${azurite.accountName};`,
      containerName: "backups",
      retryOptions: { maxTries: 2, retryDelayInMs: 10 },
    });
    const error = await failure(() => unreachable.head("a"));
    expect(error.code).toBe("Unavailable");
    expect(error.message).toContain("ECONNREFUSED");
  });
});

describe("SAS", () => {
  function containerSas(containerName: string, permissions: string): string {
    const credential = new StorageSharedKeyCredential(azurite.accountName, azurite.accountKey);
    const query = generateBlobSASQueryParameters(
      { containerName, permissions: ContainerSASPermissions.parse(permissions), expiresOn: new Date(Date.now() + 3600_000) },
      credential,
    ).toString();
    return `${azurite.blobEndpoint}/${containerName}?${query}`;
  }

  it("a container SAS with write permissions works for every operation", async () => {
    const containerName = await newContainer();
    const sasStore = new AzureBlobObjectStore({ sasUrl: containerSas(containerName, "racwdl"), retryOptions: fastRetries });
    const info = await sasStore.put("sas/object", bytes("via SAS"), { ifNoneMatch: "*" });
    expect(text((await sasStore.get("sas/object"))?.body)).toBe("via SAS");
    expect((await collect(sasStore.list("sas/"))).map((item) => item.etag)).toEqual([info.etag]);
    expect(await sasStore.delete("sas/object")).toBe(true);
  });

  it("a read-only SAS reads, and gets PermissionDenied on put and delete", async () => {
    const containerName = await newContainer();
    await (await store({ containerName })).put("existing", bytes("old"));
    const readOnly = new AzureBlobObjectStore({ sasUrl: containerSas(containerName, "rl"), retryOptions: fastRetries });
    expect(text((await readOnly.get("existing"))?.body)).toBe("old");
    const put = await failure(() => readOnly.put("new", bytes("x")));
    expect(put.code).toBe("PermissionDenied");
    expect(put.message).toMatch(/SAS grants the needed permissions/);
    expect((await failure(() => readOnly.delete("existing"))).code).toBe("PermissionDenied");
  });
});

describe("leases", () => {
  it("a leased object is written and deleted only with its lease id", async () => {
    const leased = await store({ blockSizeInBytes: 64 * 1024 });
    expect(isLeasableObjectStore(leased)).toBe(true);
    await leased.put("lock", bytes("v1"));
    const lease = await leased.acquireLease("lock", { durationInSeconds: 15 });
    expect(lease.durationInSeconds).toBe(15);

    expect((await failure(() => leased.put("lock", bytes("v2")))).code).toBe("Conflict");
    expect((await failure(() => leased.delete("lock"))).code).toBe("Conflict");
    expect((await failure(() => leased.acquireLease("lock", { durationInSeconds: 15 }))).code).toBe("Conflict");
    expect((await failure(() => leased.renewLease("lock", "00000000-0000-0000-0000-000000000000"))).code).toBe("Conflict");

    await leased.put("lock", bytes("v2"), { leaseId: lease.leaseId });
    // A body larger than a block goes through staged blocks, each of which needs the lease too.
    const large = new Uint8Array(300 * 1024).fill(9);
    await leased.put("lock", large, { leaseId: lease.leaseId });
    expect((await leased.get("lock"))?.body).toEqual(large);
    await leased.renewLease("lock", lease.leaseId);
    await leased.releaseLease("lock", lease.leaseId);
    await leased.put("lock", bytes("v3"));
    const infinite = await leased.acquireLease("lock", { durationInSeconds: -1, proposedLeaseId: "11111111-2222-3333-4444-555555555555" });
    expect(infinite.leaseId).toBe("11111111-2222-3333-4444-555555555555");
    expect(await leased.delete("lock", { leaseId: infinite.leaseId })).toBe(true);
  });

  it("a lease on a missing key is NotFound, and a bad duration is InvalidArgument", async () => {
    const leased = await store();
    expect((await failure(() => leased.acquireLease("missing", { durationInSeconds: 15 }))).code).toBe("NotFound");
    expect((await failure(() => leased.acquireLease("missing", { durationInSeconds: 10 }))).code).toBe("InvalidArgument");
  });
});

describe("secondary endpoint", () => {
  it("reads through a read-only store on the secondary endpoint", async () => {
    const primary = await store({ secondaryUrl: azurite.secondaryBlobEndpoint });
    expect(primary.capabilities.secondaryRead).toBe(true);
    await primary.put("geo/object", bytes("replicated"), { metadata: { region: "paired" } });
    const secondary = primary.secondary();
    const read = await secondary.get("geo/object");
    expect(text(read?.body)).toBe("replicated");
    expect(read?.info.metadata).toEqual({ region: "paired" });
    expect((await collect(secondary.list("geo/"))).map((item) => item.key)).toEqual(["geo/object"]);
    expect((await failure(() => secondary.put("geo/other", bytes("x")))).code).toBe("Unsupported");
    expect((await failure(() => secondary.delete("geo/object")))).toMatchObject({ code: "Unsupported" });
    expect(secondary.capabilities).toMatchObject({ conditionalWrites: false, secondaryRead: false, leases: false });
  });

  it("without a secondary URL the capability is off and secondary() is Unsupported", async () => {
    const primary = await store();
    expect(primary.capabilities.secondaryRead).toBe(false);
    expect(() => primary.secondary()).toThrowError(expect.objectContaining({ code: "Unsupported" }));
  });
});

describe("throttling", () => {
  async function throughProxy(options: Partial<AzureBlobObjectStoreOptions> = {}) {
    const containerName = await newContainer();
    return new AzureBlobObjectStore({
      connectionString: `DefaultEndpointsProtocol=http;AccountName=${azurite.accountName};AccountKey=${azurite.accountKey};BlobEndpoint=${proxy.url}/${azurite.accountName};`,
      containerName,
      retryOptions: fastRetries,
      blockSizeInBytes: 64 * 1024,
      ...options,
    });
  }

  for (const status of [503, 429]) {
    it(`${status} a few times: the store retries and succeeds`, async () => {
      const throttled = await throughProxy();
      const before = proxy.failed;
      proxy.failNext(2, status);
      await throttled.put("small", bytes("through"));
      expect(proxy.failed - before).toBe(2);
      // Staged blocks and the commit are retried one by one.
      const large = new Uint8Array(200 * 1024).map((_, index) => index % 251);
      proxy.failNext(2, status, (request) => (request.url ?? "").includes("comp=block"));
      await throttled.put("large", large);
      proxy.failNext(2, status);
      expect((await throttled.get("large"))?.body).toEqual(large);
      expect(text((await throttled.get("small"))?.body)).toBe("through");
    });
  }

  it("503 every time: Throttled after the retries; 500 every time: Unavailable", async () => {
    const throttled = await throughProxy();
    try {
      proxy.failAlways(503);
      const busy = await failure(() => throttled.put("never", bytes("x")));
      expect(busy.code).toBe("Throttled");
      expect(busy.message).toMatch(/throttling/);
      proxy.failAlways(429);
      expect((await failure(() => throttled.head("never"))).code).toBe("Throttled");
      proxy.failAlways(500);
      expect((await failure(() => throttled.head("never"))).code).toBe("Unavailable");
    } finally {
      proxy.stopFailing();
    }
    expect(await throttled.head("never")).toBeUndefined();
  });
});

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
