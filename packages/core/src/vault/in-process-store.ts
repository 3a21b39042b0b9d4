import { KBackupError, throwIfAborted } from "../errors.js";
import type { OperationOptions } from "../ports/options.js";
import type {
  DeleteStoredObjectOptions,
  GetStoredObjectOptions,
  ObjectBody,
  ObjectInfo,
  ObjectStore,
  PutStoredObjectOptions,
  StoredObject,
  StoredObjectStream,
} from "../ports/object-store.js";
import { pagedIterator, type PagedAsyncIterableIterator } from "../util/paged.js";

interface Entry {
  bytes: Uint8Array;
  info: ObjectInfo;
}

/**
 * The smallest object store that keeps a catalogue for the life of one process: what a vault made
 * with `new BackupVault(...)` keeps its policies, instances, jobs and vault-store copies in. Honours
 * the conditions of `put` and `delete`; ranges and streams are served from whole objects.
 */
export class InProcessObjectStore implements ObjectStore {
  readonly capabilities = { conditionalWrites: true, immutability: false, secondaryRead: false, leases: false };
  readonly #objects = new Map<string, Entry>();
  #generation = 0;

  async put(key: string, body: ObjectBody, options: PutStoredObjectOptions = {}): Promise<ObjectInfo> {
    throwIfAborted(options.abortSignal);
    const chunks: Uint8Array[] = [];
    if (body instanceof Uint8Array) chunks.push(body);
    else for await (const chunk of body) chunks.push(chunk);
    throwIfAborted(options.abortSignal);
    const current = this.#objects.get(key);
    if (options.ifNoneMatch === "*" && current) throw new KBackupError("AlreadyExists", `The object ${key} already exists.`, { details: { key } });
    if (options.ifMatch !== undefined && current?.info.etag !== options.ifMatch) {
      throw new KBackupError("PreconditionFailed", `The object ${key} has changed.`, { details: { key } });
    }
    const bytes = Buffer.concat(chunks);
    const info: ObjectInfo = {
      key,
      size: bytes.length,
      etag: `"${++this.#generation}"`,
      lastModified: new Date(),
      ...(options.contentType ? { contentType: options.contentType } : {}),
      ...(options.metadata ? { metadata: { ...options.metadata } } : {}),
    };
    this.#objects.set(key, { bytes: new Uint8Array(bytes), info });
    return { ...info };
  }

  async get(key: string, options: GetStoredObjectOptions = {}): Promise<StoredObject | undefined> {
    throwIfAborted(options.abortSignal);
    const entry = this.#objects.get(key);
    if (!entry) return undefined;
    const start = Math.min(options.range?.offset ?? 0, entry.bytes.length);
    const end = options.range?.length === undefined ? entry.bytes.length : Math.min(entry.bytes.length, start + options.range.length);
    return { info: { ...entry.info }, body: entry.bytes.slice(start, end) };
  }

  async getStream(key: string, options: GetStoredObjectOptions = {}): Promise<StoredObjectStream | undefined> {
    const object = await this.get(key, options);
    if (!object) return undefined;
    const body = object.body;
    return {
      info: object.info,
      body: (async function* () {
        yield body;
      })(),
    };
  }

  async head(key: string, options: OperationOptions = {}): Promise<ObjectInfo | undefined> {
    throwIfAborted(options.abortSignal);
    const entry = this.#objects.get(key);
    return entry && { ...entry.info };
  }

  list(prefix: string): PagedAsyncIterableIterator<ObjectInfo> {
    return pagedIterator(async (token, maxPageSize) => {
      const keys = [...this.#objects.keys()].filter((key) => key.startsWith(prefix) && (token === undefined || key > token)).sort();
      const page = keys.slice(0, maxPageSize ?? 1000);
      const last = page[page.length - 1];
      return { items: page.map((key) => ({ ...this.#objects.get(key)!.info })), ...(page.length < keys.length && last ? { continuationToken: last } : {}) };
    });
  }

  async delete(key: string, options: DeleteStoredObjectOptions = {}): Promise<boolean> {
    throwIfAborted(options.abortSignal);
    const entry = this.#objects.get(key);
    if (options.ifMatch !== undefined && entry?.info.etag !== options.ifMatch) {
      throw new KBackupError("PreconditionFailed", `The object ${key} has changed.`, { details: { key } });
    }
    return this.#objects.delete(key);
  }
}
