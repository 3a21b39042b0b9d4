import { randomBytes } from "node:crypto";
import { availableParallelism } from "node:os";
import { invalidArgument, isKBackupError, KBackupError, throwIfAborted } from "../errors.js";
import { systemClock, type Clock } from "../ports/clock.js";
import { silentLogger, type Logger } from "../ports/logger.js";
import type { ObjectBody, ObjectStore } from "../ports/object-store.js";
import type { OperationOptions } from "../ports/options.js";
import type { SnapshotReader } from "../ports/snapshot-provider.js";
import { ChunkIndex } from "./chunk-index.js";
import { assertChunkerParameters, ContentDefinedChunker, DEFAULT_CHUNKER_SIZES, type ChunkerParameters } from "./chunker.js";
import { inlineChunkProcessor, workerChunkProcessor, type ChunkProcessor } from "./chunk-workers.js";
import { contentReader, readContent, readWhole, streamContent, type ReadContentOptions, type VolumeSink } from "./content-reader.js";
import { collectGarbage, type GarbageCollectionOptions, type GarbageCollectionReport } from "./garbage-collection.js";
import type { KeyProvider } from "./key-provider.js";
import { parseConfig, REPOSITORY_FORMAT, REPOSITORY_FORMAT_VERSION, type RepositoryConfig } from "./repository-config.js";
import type { RepositoryContent, RepositorySnapshot } from "./repository-content.js";
import type { RepositoryContext } from "./repository-context.js";
import { deriveRepositoryKeys, keyCheck, keyCheckMatches } from "./repository-keys.js";
import { assertNameId, assertPrefix, names, newObjectId, SNAPSHOTS_FOLDER } from "./repository-layout.js";
import { openObject } from "./sealed-object.js";
import { decodeSnapshot } from "./snapshot-manifest.js";
import { SnapshotWriter, type CommitSnapshotOptions, type VolumeSource, type WriteBlobOptions, type WriteVolumeOptions } from "./snapshot-writer.js";
import { verifySnapshot, type VerifyOptions, type VerifyReport } from "./verify.js";
import { assertContent } from "./volume-plan.js";

/** The default target size of a pack's chunk data: 32 MiB. */
export const DEFAULT_PACK_TARGET_SIZE_IN_BYTES = 32 * 1024 * 1024;

/** Options of opening (and creating) a repository. */
export interface OpenRepositoryOptions extends OperationOptions {
  /** Wraps and unwraps the repository's key. */
  keyProvider: KeyProvider;
  /** Where the repository lives in the store: "" or segments ending in "/". Default "". */
  prefix?: string;
  /** Worker threads that hash, compress and encrypt; 0 does it on the calling thread. Default: the available parallelism. */
  workers?: number;
  /** Chunks in flight per copy or read. Default: twice the workers, at least 4. */
  concurrency?: number;
  /** zstd level for new chunks, 1 to 19. Default 3. */
  compressionLevel?: number;
  clock?: Clock;
  logger?: Logger;
}

/** Options of creating a repository: the format choices that are fixed for its life. */
export interface InitRepositoryOptions extends OpenRepositoryOptions {
  /** Chunk sizes; default 256 KiB / 1 MiB / 4 MiB. The gear seed is random unless given. */
  chunker?: Partial<ChunkerParameters>;
  /** Target size of a pack's chunk data; default 32 MiB, from 64 KiB to 1 GiB. */
  packTargetSizeInBytes?: number;
}

/** Options of {@link Repository.startSnapshot}. */
export interface StartSnapshotOptions {
  /**
   * Names the copy, so that a copy retried after a crash takes over its marker and re-indexes the
   * packs it had uploaded. Default: a new random id.
   */
  copyId?: string;
}

/** A chunk is stored raw when zstd leaves at least this fraction of it. */
const RAW_RATIO = 0.97;

/**
 * A content-addressed, deduplicating, compressed and encrypted repository on any `ObjectStore`: the
 * vault tier's store of volume data and recovery point blobs. Create one with {@link Repository.init},
 * open it with {@link Repository.open}, and `close` it to stop its worker threads.
 *
 * Volumes and blobs are cut into chunks by content; a chunk's id is a keyed hash of its bytes, so
 * unchanged data is stored once across volumes and snapshots. `docs/repository-format.md` describes
 * the format byte by byte.
 */
export class Repository {
  readonly config: RepositoryConfig;
  readonly #context: RepositoryContext;
  #defaultWriter: SnapshotWriter | undefined;
  #closed = false;

  private constructor(config: RepositoryConfig, context: RepositoryContext) {
    this.config = config;
    this.#context = context;
  }

  /** The repository's id (32 hex digits). */
  get repositoryId(): string {
    return this.config.repositoryId;
  }

  /**
   * Creates a repository under `options.prefix` and returns it open. `AlreadyExists` when one is
   * there; `InvalidArgument` for bad options (before anything is written).
   */
  static async init(store: ObjectStore, options: InitRepositoryOptions): Promise<Repository> {
    const settings = checkOpenOptions(store, options);
    const chunker: ChunkerParameters = {
      minSizeInBytes: options.chunker?.minSizeInBytes ?? DEFAULT_CHUNKER_SIZES.minSizeInBytes,
      averageSizeInBytes: options.chunker?.averageSizeInBytes ?? DEFAULT_CHUNKER_SIZES.averageSizeInBytes,
      maxSizeInBytes: options.chunker?.maxSizeInBytes ?? DEFAULT_CHUNKER_SIZES.maxSizeInBytes,
      gearSeed: options.chunker?.gearSeed ?? randomBytes(16).toString("hex"),
    };
    assertChunkerParameters(chunker, "options.chunker");
    const packTarget = options.packTargetSizeInBytes ?? DEFAULT_PACK_TARGET_SIZE_IN_BYTES;
    if (!Number.isSafeInteger(packTarget) || packTarget < 64 * 1024 || packTarget > 1024 * 1024 * 1024) {
      throw invalidArgument("options.packTargetSizeInBytes", "must be an integer from 65536 to 1073741824");
    }
    const { abortSignal } = options;
    const configKey = settings.prefix + names.config;
    if ((await store.head(configKey, { abortSignal })) !== undefined) {
      throw new KBackupError("AlreadyExists", `A repository already exists at ${configKey}.`, { details: { key: configKey } });
    }
    const masterKey = randomBytes(32);
    const repositoryId = newObjectId();
    const keys = deriveRepositoryKeys(masterKey, repositoryId);
    const config: RepositoryConfig = {
      format: REPOSITORY_FORMAT,
      version: REPOSITORY_FORMAT_VERSION,
      repositoryId,
      createdAt: settings.clock.now().toISOString(),
      chunker,
      packTargetSizeInBytes: packTarget,
      key: await options.keyProvider.wrapKey(masterKey, { abortSignal }),
      keyCheck: keyCheck(keys),
    };
    masterKey.fill(0);
    await store.put(configKey, Buffer.from(JSON.stringify(config, null, 2)), { ifNoneMatch: "*", abortSignal, contentType: "application/json" });
    return Repository.#assemble(store, config, keys, settings, abortSignal);
  }

  /**
   * Opens the repository under `options.prefix` and loads its index. `NotFound` when there is none;
   * `PermissionDenied` when the key provider cannot unwrap its key (a wrong passphrase).
   */
  static async open(store: ObjectStore, options: OpenRepositoryOptions): Promise<Repository> {
    const settings = checkOpenOptions(store, options);
    const { abortSignal } = options;
    const configKey = settings.prefix + names.config;
    const object = await store.get(configKey, { abortSignal });
    if (object === undefined) throw new KBackupError("NotFound", `There is no repository at ${configKey}.`, { details: { key: configKey } });
    const config = parseConfig(object.body, configKey);
    try {
      assertChunkerParameters(config.chunker, "chunker");
    } catch (cause) {
      throw new KBackupError("Integrity", `The repository config ${configKey} has invalid chunker parameters.`, { cause, details: { key: configKey } });
    }
    let masterKey: Uint8Array;
    try {
      masterKey = await options.keyProvider.unwrapKey(config.key, { abortSignal });
    } catch (error) {
      if (isKBackupError(error)) throw error;
      throw new KBackupError("Adapter", `The key provider could not unwrap the repository key: ${(error as Error)?.message ?? String(error)}`, { cause: error });
    }
    if (!(masterKey instanceof Uint8Array) || masterKey.length !== 32) throw new KBackupError("PermissionDenied", "The key provider returned no 32-byte repository key.");
    const keys = deriveRepositoryKeys(masterKey, config.repositoryId);
    masterKey.fill(0);
    if (!keyCheckMatches(keys, config.keyCheck)) throw new KBackupError("PermissionDenied", "The key provider's key does not open this repository.");
    return Repository.#assemble(store, config, keys, settings, abortSignal);
  }

  static async #assemble(store: ObjectStore, config: RepositoryConfig, keys: ReturnType<typeof deriveRepositoryKeys>, settings: Settings, abortSignal: AbortSignal | undefined): Promise<Repository> {
    const index = new ChunkIndex();
    const setup = { encryptionKey: keys.encryptionKey, idKey: keys.idKey, settings: { compressionLevel: settings.compressionLevel, rawRatio: RAW_RATIO }, filter: index.filter };
    const inline = inlineChunkProcessor(setup);
    const processor: ChunkProcessor = settings.workers === 0 ? inline : workerChunkProcessor(setup, settings.workers);
    let repository: Repository | undefined;
    const context: RepositoryContext = {
      store,
      prefix: settings.prefix,
      keys,
      index,
      chunker: new ContentDefinedChunker(config.chunker),
      processor,
      inline,
      clock: settings.clock,
      logger: settings.logger,
      packTargetSizeInBytes: config.packTargetSizeInBytes,
      concurrency: settings.concurrency,
      zeroChunks: new Map(),
      zeroIds: new Map(),
      listSnapshotIds: (signal) => (repository as Repository).listSnapshots({ abortSignal: signal }),
      readSnapshot: (id, signal) => (repository as Repository).getSnapshot(id, { abortSignal: signal }),
    };
    repository = new Repository(config, context);
    try {
      await index.refresh({ store, prefix: settings.prefix, encryptionKey: keys.encryptionKey, abortSignal });
    } catch (error) {
      await processor.close();
      throw error;
    }
    return repository;
  }

  /** Starts a copy: write volumes and blobs through it, then `commit`. */
  startSnapshot(options: StartSnapshotOptions = {}): SnapshotWriter {
    this.#assertOpen();
    const copyId = options.copyId ?? newObjectId();
    assertNameId(copyId, "options.copyId");
    return new SnapshotWriter(this.#context, copyId);
  }

  /** Writes a volume through the repository's current copy (started on first use). See {@link SnapshotWriter.writeVolume}. */
  async writeVolume(reader: VolumeSource, options: WriteVolumeOptions = {}): Promise<RepositoryContent> {
    return this.#writer().writeVolume(reader, options);
  }

  /** Writes a blob through the repository's current copy. See {@link SnapshotWriter.writeBlob}. */
  async writeBlob(body: ObjectBody, options: WriteBlobOptions = {}): Promise<RepositoryContent> {
    return this.#writer().writeBlob(body, options);
  }

  /** Commits the repository's current copy; the next write starts a new one. See {@link SnapshotWriter.commit}. */
  async commitSnapshot(options: CommitSnapshotOptions = {}): Promise<RepositorySnapshot> {
    const writer = this.#writer();
    const snapshot = await writer.commit(options);
    if (this.#defaultWriter === writer) this.#defaultWriter = undefined;
    return snapshot;
  }

  /** What the current copy of `writeVolume`/`writeBlob` did so far, if one is open. */
  get currentCopy(): SnapshotWriter | undefined {
    return this.#defaultWriter;
  }

  /**
   * Reads a volume's bytes into `sink` in order, fetching chunks in parallel (bounded by
   * `concurrency`). `Integrity` naming the pack and chunk when stored data is missing or damaged.
   */
  async readVolume(content: RepositoryContent, sink: VolumeSink, options: ReadContentOptions = {}): Promise<void> {
    this.#assertOpen();
    assertContent(content, "content");
    if (typeof sink !== "function") throw invalidArgument("sink", "must be a function (offset, bytes) => Promise<void>");
    await readContent(this.#context, content, sink, options);
  }

  /** A random-access reader of stored content (a volume), as a `SnapshotReader`. */
  openVolume(content: RepositoryContent): SnapshotReader {
    this.#assertOpen();
    assertContent(content, "content");
    return contentReader(this.#context, content);
  }

  /** A blob's bytes. `InvalidArgument` above 1 GiB (use `readBlobStream`). */
  async readBlob(content: RepositoryContent, options: ReadContentOptions = {}): Promise<Uint8Array> {
    this.#assertOpen();
    assertContent(content, "content");
    return readWhole(this.#context, content, options);
  }

  /** A blob's bytes as a stream of chunks. */
  readBlobStream(content: RepositoryContent, options: ReadContentOptions = {}): AsyncIterable<Uint8Array> {
    this.#assertOpen();
    assertContent(content, "content");
    return streamContent(this.#context, content, options);
  }

  /** Ids of committed snapshots, sorted. */
  async listSnapshots(options: OperationOptions = {}): Promise<string[]> {
    this.#assertOpen();
    const ids: string[] = [];
    const { store, prefix } = this.#context;
    for await (const info of store.list(prefix + SNAPSHOTS_FOLDER, options)) ids.push(info.key.slice(prefix.length + SNAPSHOTS_FOLDER.length));
    return ids;
  }

  /** The snapshot with this id. `NotFound` when there is none; `Integrity` naming its key when damaged. */
  async getSnapshot(id: string, options: OperationOptions = {}): Promise<RepositorySnapshot> {
    this.#assertOpen();
    assertNameId(id, "id");
    const { store, prefix, keys } = this.#context;
    const name = names.snapshot(id);
    const object = await store.get(prefix + name, options);
    if (object === undefined) throw new KBackupError("NotFound", `There is no snapshot ${id} in the repository.`, { details: { key: prefix + name } });
    return decodeSnapshot(openObject(keys.encryptionKey, name, prefix + name, object.body), prefix + name);
  }

  /** Deletes a snapshot's manifest; `false` when there was none. Space comes back with `gc`. */
  async deleteSnapshot(id: string, options: OperationOptions = {}): Promise<boolean> {
    this.#assertOpen();
    assertNameId(id, "id");
    return this.#context.store.delete(this.#context.prefix + names.snapshot(id), options);
  }

  /**
   * Checks a snapshot at `options.level`; returns what it checked. `NotFound` for an unknown id;
   * `Integrity` listing every fault in `details.problems` (up to 1,000), its message naming the first.
   */
  async verify(snapshotId: string, options: VerifyOptions = {}): Promise<VerifyReport> {
    const snapshot = await this.getSnapshot(snapshotId, options);
    return verifySnapshot(this.#context, snapshot, options);
  }

  /**
   * Reclaims the space of chunks no retained snapshot references; returns what it removed. Packs
   * younger than `safetyWindowInMs` are never deleted, and nothing is while a copy is in flight.
   * `InvalidArgument` for missing options, or a bad `safetyWindowInMs` or `now`.
   */
  async gc(options: GarbageCollectionOptions): Promise<GarbageCollectionReport> {
    this.#assertOpen();
    if (typeof options !== "object" || options === null) throw invalidArgument("options", "must give safetyWindowInMs");
    return collectGarbage(this.#context, options);
  }

  /** Stops the worker threads. The repository cannot be used afterwards. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#context.processor.close();
  }

  #writer(): SnapshotWriter {
    this.#defaultWriter ??= this.startSnapshot();
    return this.#defaultWriter;
  }

  #assertOpen(): void {
    if (this.#closed) throw new KBackupError("PreconditionFailed", "The repository is closed.");
  }
}

interface Settings {
  prefix: string;
  workers: number;
  concurrency: number;
  compressionLevel: number;
  clock: Clock;
  logger: Logger;
}

function checkOpenOptions(store: ObjectStore, options: OpenRepositoryOptions): Settings {
  if (typeof store !== "object" || store === null || typeof store.put !== "function") throw invalidArgument("store", "must be an ObjectStore");
  if (typeof options !== "object" || options === null) throw invalidArgument("options", "must name a keyProvider");
  const { keyProvider } = options;
  if (typeof keyProvider?.wrapKey !== "function" || typeof keyProvider.unwrapKey !== "function") throw invalidArgument("options.keyProvider", "must have wrapKey and unwrapKey");
  throwIfAborted(options.abortSignal);
  const prefix = options.prefix ?? "";
  assertPrefix(prefix);
  const workers = options.workers ?? availableParallelism();
  if (!Number.isSafeInteger(workers) || workers < 0 || workers > 64) throw invalidArgument("options.workers", "must be an integer from 0 to 64");
  const concurrency = options.concurrency ?? Math.max(4, workers * 2);
  if (!Number.isSafeInteger(concurrency) || concurrency < 1 || concurrency > 256) throw invalidArgument("options.concurrency", "must be an integer from 1 to 256");
  const compressionLevel = options.compressionLevel ?? 3;
  if (!Number.isSafeInteger(compressionLevel) || compressionLevel < 1 || compressionLevel > 19) throw invalidArgument("options.compressionLevel", "must be an integer from 1 to 19");
  return { prefix, workers, concurrency, compressionLevel, clock: options.clock ?? systemClock, logger: options.logger ?? silentLogger };
}
