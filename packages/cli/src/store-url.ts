import { isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { invalidArgument, type ObjectStore } from "@kbackup/core";

/** A parsed `--store`: a folder, or an Azure Blob container (and prefix). */
export type StoreLocation = { kind: "file"; root: string } | { kind: "azblob"; account: string; container: string; prefix: string; endpoint?: string };

/** The options of an Azure Blob store that `--store azblob://...` and the credentials make (those of `AzureBlobObjectStore`). */
export interface AzureBlobStoreSettings {
  containerName?: string;
  prefix: string;
  connectionString?: string;
  sasUrl?: string;
}

/**
 * Parses `--store`: `file:///absolute/path`, a plain path (relative to `cwd`), or
 * `azblob://<account>/<container>[/<prefix>][?endpoint=<blob endpoint URL>]`.
 * @throws InvalidArgument (field `--store`) for anything else.
 */
export function parseStoreUrl(text: string, cwd: string): StoreLocation {
  if (typeof text !== "string" || text === "") throw invalidArgument("--store", "is required: a file:///path or azblob://account/container/prefix URL (or set KBACKUP_STORE)");
  if (text.startsWith("file:")) {
    try {
      return { kind: "file", root: fileURLToPath(text) };
    } catch (error) {
      throw invalidArgument("--store", `"${text}" is not a file URL; write file:///absolute/path`, error);
    }
  }
  if (text.startsWith("azblob:")) {
    let url: URL;
    try {
      url = new URL(text);
    } catch (error) {
      throw invalidArgument("--store", `"${text}" is not a URL; write azblob://account/container/prefix`, error);
    }
    const account = url.hostname;
    const [container = "", ...rest] = url.pathname.split("/").filter(Boolean);
    if (!/^[a-z0-9]{3,24}$/.test(account)) throw invalidArgument("--store", `"${account}" is not a storage account name (3-24 lower-case letters and digits)`);
    if (container === "") throw invalidArgument("--store", "names no container: write azblob://account/container/prefix");
    const endpoint = url.searchParams.get("endpoint") ?? undefined;
    return { kind: "azblob", account, container, prefix: rest.join("/"), ...(endpoint ? { endpoint } : {}) };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) throw invalidArgument("--store", `"${text}": only file:// and azblob:// stores are known`);
  return { kind: "file", root: isAbsolute(text) ? text : resolve(cwd, text) };
}

/**
 * The Azure Blob store options for a location, signed in with the first credential found: the
 * `--connection-string` option, `AZURE_STORAGE_CONNECTION_STRING`, a SAS token in
 * `AZURE_STORAGE_SAS_TOKEN`, or the account key in `AZURE_STORAGE_KEY`. Secrets never appear in errors.
 * @throws InvalidArgument (field `--store`) when there is no credential.
 */
export function azureBlobSettings(location: Extract<StoreLocation, { kind: "azblob" }>, env: Readonly<Record<string, string | undefined>>, connectionString?: string): AzureBlobStoreSettings {
  const endpoint = (location.endpoint ?? `https://${location.account}.blob.core.windows.net`).replace(/\/$/, "");
  const given = connectionString ?? env.AZURE_STORAGE_CONNECTION_STRING;
  if (given) return { connectionString: given, containerName: location.container, prefix: location.prefix };
  const sas = env.AZURE_STORAGE_SAS_TOKEN;
  if (sas) return { sasUrl: `${endpoint}/${location.container}?${sas.replace(/^\?/, "")}`, prefix: location.prefix };
  const key = env.AZURE_STORAGE_KEY;
  if (key) {
    const protocol = endpoint.startsWith("http://") ? "http" : "https";
    return { connectionString: `DefaultEndpointsProtocol=${protocol};AccountName=${location.account};AccountKey=${key};BlobEndpoint=${endpoint}`, containerName: location.container, prefix: location.prefix };
  }
  throw invalidArgument(
    "--store",
    `no credential for storage account ${location.account}: give --connection-string, or set AZURE_STORAGE_CONNECTION_STRING, AZURE_STORAGE_SAS_TOKEN or AZURE_STORAGE_KEY`,
  );
}

/** Opens the store a `--store` names (the adapters are loaded only when used). */
export async function openStore(text: string, cwd: string, env: Readonly<Record<string, string | undefined>>, connectionString?: string): Promise<ObjectStore> {
  const location = parseStoreUrl(text, cwd);
  if (location.kind === "file") {
    const { FileSystemObjectStore } = await import("@kbackup/adapter-fs");
    return new FileSystemObjectStore({ root: location.root });
  }
  const settings = azureBlobSettings(location, env, connectionString);
  const { AzureBlobObjectStore } = await import("@kbackup/adapter-azure");
  return new AzureBlobObjectStore(settings);
}
