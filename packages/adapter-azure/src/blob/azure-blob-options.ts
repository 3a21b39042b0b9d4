import type { TokenCredential } from "@azure/core-auth";
import { AnonymousCredential, ContainerClient, StorageSharedKeyCredential, type StoragePipelineOptions, type StorageRetryOptions } from "@azure/storage-blob";
import { invalidArgument, type Logger } from "@kbackup/core";

const MiB = 1024 * 1024;

/** Default block size of uploads and of parallel reads: 8 MiB (see `docs/azure.md` for measurements). */
export const DEFAULT_BLOCK_SIZE_IN_BYTES = 8 * MiB;
/** Default number of blocks staged or ranges read at once per call. */
export const DEFAULT_TRANSFER_CONCURRENCY = 8;

/**
 * Where an {@link AzureBlobObjectStore} keeps its objects and how it signs in. Give exactly one of
 * `connectionString`, `sasUrl`, `accountUrl` (with `credential`) or `containerClient`.
 */
export interface AzureBlobObjectStoreOptions {
  /** The container. Required except with `containerClient` or a container SAS URL. */
  containerName?: string;
  /** Keys are stored under `<prefix>/` in the container; "" or absent for the container's root. */
  prefix?: string;
  /** A storage account connection string (account key or SAS), e.g. from the portal's Access keys. */
  connectionString?: string;
  /**
   * A SAS URL: of the container (`https://<account>.blob.core.windows.net/<container>?sv=...`) when
   * `containerName` is absent, else of the account (`https://<account>.blob.core.windows.net/?sv=...`).
   */
  sasUrl?: string;
  /** The account's blob endpoint, `https://<account>.blob.core.windows.net`, signed in with `credential`. */
  accountUrl?: string;
  /** With `accountUrl`: any `TokenCredential` (`DefaultAzureCredential` from `@azure/identity`) or an account key. */
  credential?: TokenCredential | StorageSharedKeyCredential;
  /** A ready client of the container, used as it is (its pipeline, retries and credential). */
  containerClient?: ContainerClient;
  /**
   * The secondary blob endpoint of a read-access geo-redundant (RA-GRS / RA-GZRS) account, e.g.
   * `https://<account>-secondary.blob.core.windows.net`. Enables `secondary()`.
   */
  secondaryUrl?: string;
  /**
   * Size of each staged block of an upload and of each ranged read of a download. Bodies up to this
   * size go in one request. Larger blocks mean fewer requests; each in-flight block is held in memory.
   * Default 8 MiB; at most 4,000 MiB.
   */
  blockSizeInBytes?: number;
  /** Blocks staged at once by one upload. Memory per upload is about (concurrency + 1) × block size. Default 8. */
  uploadConcurrency?: number;
  /** Ranges read at once by one `get` of a large object. Default 8. */
  downloadConcurrency?: number;
  /** The SDK's retries of 500, 503 and network failures (429 responses are retried by the store with the same count). */
  retryOptions?: StorageRetryOptions;
  /** Where the store reports retries and uploads. Secrets are never passed to it. */
  logger?: Logger;
}

/** The options of a store, checked, with defaults, and the container clients they make. */
export interface ResolvedBlobOptions {
  container: ContainerClient;
  secondary: ContainerClient | undefined;
  prefix: string;
  blockSizeInBytes: number;
  uploadConcurrency: number;
  downloadConcurrency: number;
  maxTries: number;
  retryDelayInMs: number;
}

/** Checks `options` and makes the container clients. Throws `InvalidArgument` naming the field. */
export function resolveBlobOptions(options: AzureBlobObjectStoreOptions): ResolvedBlobOptions {
  if (typeof options !== "object" || options === null) throw invalidArgument("options", "must be an object");
  const sources = (["connectionString", "sasUrl", "accountUrl", "containerClient"] as const).filter((name) => options[name] !== undefined);
  if (sources.length !== 1) {
    throw invalidArgument("options", `give exactly one of connectionString, sasUrl, accountUrl (with credential) or containerClient; got ${sources.length === 0 ? "none" : sources.join(", ")}`);
  }
  const { containerName } = options;
  if (containerName !== undefined && (typeof containerName !== "string" || !/^[a-z0-9](?:[a-z0-9]|-(?!-)){1,61}[a-z0-9]$/.test(containerName))) {
    throw invalidArgument("options.containerName", "a container name is 3-63 lower-case letters, digits and single hyphens, starting and ending with a letter or digit");
  }
  const pipeline: StoragePipelineOptions = options.retryOptions ? { retryOptions: options.retryOptions } : {};
  const needName = (source: string): string => {
    if (containerName === undefined) throw invalidArgument("options.containerName", `is required with ${source}`);
    return containerName;
  };

  let container: ContainerClient;
  let secondaryCredential: StorageSharedKeyCredential | AnonymousCredential | TokenCredential | undefined;
  let sasQuery = "";
  if (options.connectionString !== undefined) {
    if (typeof options.connectionString !== "string" || !options.connectionString.includes("=")) {
      throw invalidArgument("options.connectionString", "must be a storage account connection string (AccountName=...;AccountKey=... or ...;SharedAccessSignature=...)");
    }
    const name = needName("connectionString");
    try {
      container = new ContainerClient(options.connectionString, name, pipeline);
    } catch (error) {
      throw invalidArgument("options.connectionString", `cannot be parsed: ${(error as Error).message}`, error);
    }
    secondaryCredential = container.credential;
    sasQuery = new URL(container.url).search;
  } else if (options.sasUrl !== undefined) {
    const url = parseUrl("options.sasUrl", options.sasUrl);
    if (!url.searchParams.has("sig")) throw invalidArgument("options.sasUrl", "has no SAS token (no sig= parameter)");
    if (containerName !== undefined) url.pathname = `${url.pathname.replace(/\/$/, "")}/${containerName}`;
    container = new ContainerClient(url.toString(), new AnonymousCredential(), pipeline);
    sasQuery = url.search;
  } else if (options.accountUrl !== undefined) {
    const url = parseUrl("options.accountUrl", options.accountUrl);
    if (options.credential === undefined || typeof options.credential !== "object") {
      throw invalidArgument("options.credential", "is required with accountUrl: a TokenCredential (such as DefaultAzureCredential) or a StorageSharedKeyCredential");
    }
    url.pathname = `${url.pathname.replace(/\/$/, "")}/${needName("accountUrl")}`;
    container = new ContainerClient(url.toString(), options.credential, pipeline);
    secondaryCredential = options.credential;
  } else {
    const client = options.containerClient;
    if (typeof client !== "object" || client === null || typeof client.getBlockBlobClient !== "function") {
      throw invalidArgument("options.containerClient", "must be a ContainerClient of @azure/storage-blob");
    }
    container = client;
    secondaryCredential = client.credential;
    sasQuery = new URL(client.url).search;
  }

  let secondary: ContainerClient | undefined;
  if (options.secondaryUrl !== undefined) {
    const url = parseUrl("options.secondaryUrl", options.secondaryUrl);
    url.pathname = `${url.pathname.replace(/\/$/, "")}/${container.containerName}`;
    url.search = sasQuery;
    secondary = new ContainerClient(url.toString(), secondaryCredential ?? new AnonymousCredential(), pipeline);
  }

  return {
    container,
    secondary,
    prefix: checkPrefix(options.prefix),
    blockSizeInBytes: positiveInteger("options.blockSizeInBytes", options.blockSizeInBytes, DEFAULT_BLOCK_SIZE_IN_BYTES, 4000 * MiB),
    uploadConcurrency: positiveInteger("options.uploadConcurrency", options.uploadConcurrency, DEFAULT_TRANSFER_CONCURRENCY, 256),
    downloadConcurrency: positiveInteger("options.downloadConcurrency", options.downloadConcurrency, DEFAULT_TRANSFER_CONCURRENCY, 256),
    maxTries: options.retryOptions?.maxTries ?? 4,
    retryDelayInMs: options.retryOptions?.retryDelayInMs ?? 4000,
  };
}

function parseUrl(field: string, value: unknown): URL {
  if (typeof value !== "string") throw invalidArgument(field, "must be a URL string");
  try {
    const url = new URL(value);
    if (url.protocol !== "https:" && url.protocol !== "http:") throw new Error(`unsupported protocol ${url.protocol}`);
    return url;
  } catch (error) {
    throw invalidArgument(field, `is not an http(s) URL: ${(error as Error).message}`, error);
  }
}

function checkPrefix(prefix: unknown): string {
  if (prefix === undefined || prefix === "") return "";
  if (typeof prefix !== "string") throw invalidArgument("options.prefix", "must be a string");
  const trimmed = prefix.endsWith("/") ? prefix.slice(0, -1) : prefix;
  for (const segment of trimmed.split("/")) {
    if (segment === "" || segment === "." || segment === ".." || segment.includes("\0")) {
      throw invalidArgument("options.prefix", `${JSON.stringify(prefix)} has an empty, "." or ".." segment`);
    }
  }
  return `${trimmed}/`;
}

function positiveInteger(field: string, value: unknown, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || (value as number) < 1 || (value as number) > max) throw invalidArgument(field, `must be an integer from 1 to ${max}`);
  return value as number;
}
