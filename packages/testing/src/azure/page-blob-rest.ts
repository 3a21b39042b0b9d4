import { createHmac } from "node:crypto";
import { KBackupError } from "@kbackup/core";

const API_VERSION = "2021-08-06";
/** Page blobs are written in 512-byte pages, at most 4 MiB per request. */
const PAGE = 512;
const MAX_PUT_PAGES = 4 * 1024 * 1024;

/** An account of a blob service reached with its key (Azurite's development account, in tests). */
export interface BlobAccount {
  /** `http://127.0.0.1:<port>/<account>` for Azurite, `https://<account>.blob.core.windows.net` for Azure. */
  blobEndpoint: string;
  accountName: string;
  accountKey: string;
}

/**
 * The few page blob calls of the Blob service REST API that the local ARM server needs, signed
 * with Shared Key, so that `@kbackup/testing` does not depend on `@azure/storage-blob`.
 * Errors are `KBackupError`s (`NotFound` for 404, `Adapter` for other failures).
 */
export class PageBlobRest {
  readonly #account: BlobAccount;
  readonly #key: Buffer;

  constructor(account: BlobAccount) {
    this.#account = { ...account, blobEndpoint: account.blobEndpoint.replace(/\/$/, "") };
    this.#key = Buffer.from(account.accountKey, "base64");
  }

  /** Creates the container; nothing happens when it exists. */
  async createContainer(container: string): Promise<void> {
    await this.#send("PUT", `/${container}`, { restype: "container" }, {}, undefined, [201, 409]);
  }

  /** Creates (or replaces with) an empty page blob of `sizeInBytes`, a multiple of 512. */
  async createPageBlob(container: string, blob: string, sizeInBytes: number): Promise<void> {
    if (sizeInBytes % PAGE !== 0) throw new KBackupError("InvalidArgument", `A page blob's size must be a multiple of 512 bytes, not ${sizeInBytes}.`);
    await this.#send("PUT", `/${container}/${blob}`, {}, { "x-ms-blob-type": "PageBlob", "x-ms-blob-content-length": String(sizeInBytes) }, undefined, [201]);
  }

  /** Writes `bytes` at `offset`; both must be multiples of 512. All-zero pages are cleared instead, to keep the blob sparse. */
  async writePages(container: string, blob: string, offset: number, bytes: Uint8Array): Promise<void> {
    if (offset % PAGE !== 0 || bytes.length % PAGE !== 0) throw new KBackupError("InvalidArgument", "Pages are written at offsets and in lengths that are multiples of 512 bytes.");
    for (let start = 0; start < bytes.length; start += MAX_PUT_PAGES) {
      const chunk = bytes.subarray(start, Math.min(bytes.length, start + MAX_PUT_PAGES));
      const range = `bytes=${offset + start}-${offset + start + chunk.length - 1}`;
      const zero = chunk.every((byte) => byte === 0);
      await this.#send(
        "PUT",
        `/${container}/${blob}`,
        { comp: "page" },
        { "x-ms-range": range, "x-ms-page-write": zero ? "clear" : "update" },
        zero ? undefined : chunk,
        [201],
      );
    }
  }

  /** The blob's bytes from `offset` (`length` of them, or to the end). */
  async read(container: string, blob: string, offset = 0, length?: number): Promise<Uint8Array> {
    const range = length === undefined ? `bytes=${offset}-` : `bytes=${offset}-${offset + length - 1}`;
    const response = await this.#send("GET", `/${container}/${blob}`, {}, { "x-ms-range": range }, undefined, [200, 206]);
    return new Uint8Array(await response.arrayBuffer());
  }

  /** The blob's size in bytes, or undefined when it does not exist. */
  async size(container: string, blob: string): Promise<number | undefined> {
    const response = await this.#send("HEAD", `/${container}/${blob}`, {}, {}, undefined, [200, 404]);
    return response.status === 404 ? undefined : Number(response.headers.get("content-length"));
  }

  /**
   * Copies a page blob to another name by reading it and writing its non-zero 64 KiB runs, so the
   * copy is sparse and independent of the source. (Azurite's server-side copy of page blobs shares
   * pages with the source, so later writes to the source would show in the copy.)
   */
  async copy(container: string, source: string, target: string): Promise<void> {
    const size = await this.size(container, source);
    if (size === undefined) throw new KBackupError("NotFound", `No blob ${source} to copy.`);
    await this.createPageBlob(container, target, size);
    const RUN = 64 * 1024;
    for (let offset = 0; offset < size; offset += MAX_PUT_PAGES) {
      const chunk = await this.read(container, source, offset, Math.min(MAX_PUT_PAGES, size - offset));
      let runStart: number | undefined;
      for (let at = 0; at <= chunk.length; at += RUN) {
        const piece = chunk.subarray(at, Math.min(chunk.length, at + RUN));
        const data = piece.length > 0 && !piece.every((byte) => byte === 0);
        if (data && runStart === undefined) runStart = at;
        if (!data && runStart !== undefined) {
          await this.writePages(container, target, offset + runStart, chunk.subarray(runStart, at));
          runStart = undefined;
        }
      }
      if (runStart !== undefined) await this.writePages(container, target, offset + runStart, chunk.subarray(runStart));
    }
  }

  /** Deletes the blob; false when it did not exist. */
  async delete(container: string, blob: string): Promise<boolean> {
    const response = await this.#send("DELETE", `/${container}/${blob}`, {}, {}, undefined, [202, 404]);
    return response.status === 202;
  }

  /** A URL of the blob with a read-only service SAS valid for `seconds`. */
  readUrl(container: string, blob: string, seconds: number): string {
    const expiry = new Date(Date.now() + seconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
    const version = "2020-12-06";
    const canonical = `/blob/${this.#account.accountName}/${container}/${blob}`;
    // The service SAS string-to-sign of version 2020-12-06: permissions, start, expiry, resource,
    // identifier, IP, protocol, version, resource type, snapshot time, encryption scope, five header overrides.
    const stringToSign = ["r", "", expiry, canonical, "", "", "", version, "b", "", "", "", "", "", "", ""].join("\n");
    const signature = createHmac("sha256", this.#key).update(stringToSign, "utf8").digest("base64");
    const query = new URLSearchParams({ sv: version, se: expiry, sr: "b", sp: "r", sig: signature });
    return `${this.#account.blobEndpoint}/${container}/${encodePath(blob)}?${query.toString()}`;
  }

  async #send(
    method: string,
    path: string,
    query: Record<string, string>,
    headers: Record<string, string>,
    body: Uint8Array | undefined,
    expected: number[],
  ): Promise<Response> {
    const url = new URL(`${this.#account.blobEndpoint}${encodePath(path)}`);
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
    const all: Record<string, string> = { ...headers, "x-ms-date": new Date().toUTCString(), "x-ms-version": API_VERSION };
    const length = body?.length ?? 0;
    all.authorization = `SharedKey ${this.#account.accountName}:${this.#sign(method, url, all, length)}`;
    let response: Response;
    try {
      response = await fetch(url, { method, headers: all, body: body === undefined ? undefined : Buffer.from(body.buffer, body.byteOffset, body.length) });
    } catch (error) {
      throw new KBackupError("Unavailable", `The blob service at ${this.#account.blobEndpoint} cannot be reached: ${(error as Error).message}`, { cause: error });
    }
    if (!expected.includes(response.status)) {
      const text = await response.text().catch(() => "");
      const code = response.headers.get("x-ms-error-code") ?? "";
      throw new KBackupError(response.status === 404 ? "NotFound" : "Adapter", `${method} ${path} failed with ${response.status} ${code}: ${text.slice(0, 300)}`, {
        details: { statusCode: response.status, azureErrorCode: code },
      });
    }
    return response;
  }

  #sign(method: string, url: URL, headers: Record<string, string>, contentLength: number): string {
    const canonicalHeaders = Object.entries(headers)
      .map(([name, value]) => [name.toLowerCase(), value.trim()] as const)
      .filter(([name]) => name.startsWith("x-ms-"))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, value]) => `${name}:${value}\n`)
      .join("");
    const params = [...url.searchParams.entries()].map(([name, value]) => [name.toLowerCase(), value] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const canonicalResource = `/${this.#account.accountName}${url.pathname}${params.map(([name, value]) => `\n${name}:${value}`).join("")}`;
    const stringToSign = [method, "", "", contentLength === 0 ? "" : String(contentLength), "", "", "", "", "", "", "", ""].join("\n") + "\n" + canonicalHeaders + canonicalResource;
    return createHmac("sha256", this.#key).update(stringToSign, "utf8").digest("base64");
  }
}

function encodePath(path: string): string {
  return path.split("/").map(encodeURIComponent).join("/");
}
