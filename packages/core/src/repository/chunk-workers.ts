import * as crypto from "node:crypto";
import * as zlib from "node:zlib";
import { Worker } from "node:worker_threads";
import { KBackupError } from "../errors.js";
import { createChunkCodec, type ChunkCodec, type CodecSettings, type SealedChunk } from "./chunk-codec.js";

/** A chunk whose id is known and whose bytes wait, where they were hashed, to be sealed or dropped. */
export interface HashedChunk {
  readonly id: Uint8Array;
  readonly length: number;
}

/**
 * The CPU-heavy work on chunks (hashing, compressing, encrypting, and the reverse), done inline or
 * by a pool of worker threads. Failures of `open` are Errors with `integrity: true`, for the caller
 * to turn into an `Integrity` error that names the pack and chunk.
 */
export interface ChunkProcessor {
  /** Hashes `bytes`; the processor may take ownership of (transfer) them. */
  hash(bytes: Uint8Array): Promise<HashedChunk>;
  seal(chunk: HashedChunk): Promise<SealedChunk>;
  /** Forgets a hashed chunk that turned out to be stored already. */
  drop(chunk: HashedChunk): void;
  open(blob: Uint8Array, id: Uint8Array, expectedLength: number): Promise<Uint8Array>;
  /** Stops the workers; pending calls fail with `Aborted`. */
  close(): Promise<void>;
}

/** Keys and settings every processor needs. */
export interface ChunkProcessorKeys {
  encryptionKey: Uint8Array;
  idKey: Uint8Array;
  settings: CodecSettings;
}

/** Processes chunks on the calling thread. */
export function inlineChunkProcessor(keys: ChunkProcessorKeys): ChunkProcessor {
  const codec: ChunkCodec = createChunkCodec({ crypto, zlib }, keys.encryptionKey, keys.idKey, keys.settings);
  const held = new WeakMap<HashedChunk, Uint8Array>();
  return {
    async hash(bytes) {
      const chunk = { id: codec.id(bytes), length: bytes.length };
      held.set(chunk, bytes);
      return chunk;
    },
    async seal(chunk) {
      const bytes = held.get(chunk);
      if (bytes === undefined) throw new Error("The chunk was already sealed or dropped.");
      held.delete(chunk);
      return codec.seal(bytes, chunk.id);
    },
    drop(chunk) {
      held.delete(chunk);
    },
    async open(blob, id, expectedLength) {
      return codec.open(blob, id, expectedLength);
    },
    async close() {},
  };
}

// The worker's whole program: it builds the same codec from the shipped source of createChunkCodec.
const workerSource = `
const { parentPort, workerData } = require("node:worker_threads");
const codec = (${createChunkCodec.toString()})({ crypto: require("node:crypto"), zlib: require("node:zlib") }, workerData.encryptionKey, workerData.idKey, workerData.settings);
const held = new Map();
const own = (b) => (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b : new Uint8Array(b));
parentPort.on("message", (m) => {
  try {
    if (m.op === "hash") {
      held.set(m.task, m.bytes);
      parentPort.postMessage({ task: m.task, id: codec.id(m.bytes) });
    } else if (m.op === "seal") {
      const bytes = held.get(m.task);
      held.delete(m.task);
      const sealed = codec.seal(bytes, m.id);
      const blob = own(sealed.blob);
      parentPort.postMessage({ task: m.task, blob, compressed: sealed.compressed }, [blob.buffer]);
    } else if (m.op === "drop") {
      held.delete(m.task);
    } else if (m.op === "open") {
      const bytes = own(codec.open(m.blob, m.id, m.length));
      parentPort.postMessage({ task: m.task, bytes }, [bytes.buffer]);
    }
  } catch (e) {
    parentPort.postMessage({ task: m.task, error: { message: String((e && e.message) || e), integrity: Boolean(e && e.integrity) } });
  }
});
`;

interface Pending {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

interface PoolWorker {
  worker: Worker;
  pending: Map<number, Pending>;
}

interface WorkerChunk extends HashedChunk {
  readonly worker: PoolWorker;
  readonly task: number;
}

interface WorkerReply {
  task: number;
  error?: { message: string; integrity: boolean };
  id?: Uint8Array;
  blob?: Uint8Array;
  compressed?: boolean;
  bytes?: Uint8Array;
}

/** An array the caller may hand over to a worker: one that owns its whole buffer (never a pool slice). */
function transferable(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && !(bytes.buffer instanceof SharedArrayBuffer)
    ? bytes
    : new Uint8Array(bytes);
}

/**
 * Processes chunks on `size` worker threads, started on first use. Workers hold the event loop
 * only while they have work, and `close` terminates them.
 */
export function workerChunkProcessor(keys: ChunkProcessorKeys, size: number): ChunkProcessor {
  const workers: PoolWorker[] = [];
  let nextTask = 1;
  let closed = false;

  const start = (): PoolWorker => {
    const worker = new Worker(workerSource, { eval: true, workerData: { encryptionKey: keys.encryptionKey, idKey: keys.idKey, settings: keys.settings } });
    const entry: PoolWorker = { worker, pending: new Map() };
    worker.unref();
    worker.on("message", (reply: WorkerReply) => {
      const waiter = entry.pending.get(reply.task);
      if (!waiter) return;
      entry.pending.delete(reply.task);
      if (entry.pending.size === 0) worker.unref();
      if (reply.error) waiter.reject(Object.assign(new Error(reply.error.message), { integrity: reply.error.integrity }));
      else waiter.resolve(reply);
    });
    const fail = (error: unknown) => {
      const index = workers.indexOf(entry);
      if (index >= 0) workers.splice(index, 1);
      for (const waiter of entry.pending.values()) waiter.reject(new KBackupError("Adapter", `A chunk worker failed: ${String((error as Error)?.message ?? error)}`, { cause: error }));
      entry.pending.clear();
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`exited with code ${code}`)));
    workers.push(entry);
    return entry;
  };

  const pick = (): PoolWorker => {
    if (closed) throw new KBackupError("Aborted", "The repository is closed.");
    if (workers.length < size) return start();
    let best = workers[0] as PoolWorker;
    for (const entry of workers) if (entry.pending.size < best.pending.size) best = entry;
    return best;
  };

  // Replies are matched by task number; a chunk keeps the number of its hash so `seal` finds its bytes.
  const call = (entry: PoolWorker, task: number, message: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<WorkerReply> =>
    new Promise<WorkerReply>((resolve, reject) => {
      if (entry.pending.size === 0) entry.worker.ref();
      entry.pending.set(task, { resolve: resolve as (value: unknown) => void, reject });
      entry.worker.postMessage({ ...message, task }, transfer);
    });

  return {
    async hash(bytes) {
      const entry = pick();
      const owned = transferable(bytes);
      const task = nextTask++;
      const reply = await call(entry, task, { op: "hash", bytes: owned }, [owned.buffer as ArrayBuffer]);
      const chunk: WorkerChunk = { id: reply.id as Uint8Array, length: owned.length, worker: entry, task };
      return chunk;
    },
    async seal(chunk) {
      const { worker, task, id } = chunk as WorkerChunk;
      const reply = await call(worker, task, { op: "seal", id });
      return { blob: reply.blob as Uint8Array, compressed: reply.compressed === true };
    },
    drop(chunk) {
      const { worker, task } = chunk as WorkerChunk;
      if (!closed) worker.worker.postMessage({ op: "drop", task });
    },
    async open(blob, id, expectedLength) {
      const owned = transferable(blob);
      const reply = await call(pick(), nextTask++, { op: "open", blob: owned, id, length: expectedLength }, [owned.buffer as ArrayBuffer]);
      return reply.bytes as Uint8Array;
    },
    async close() {
      closed = true;
      const stopping = workers.splice(0).map(async (entry) => {
        for (const waiter of entry.pending.values()) waiter.reject(new KBackupError("Aborted", "The repository was closed."));
        entry.pending.clear();
        entry.worker.removeAllListeners("exit");
        entry.worker.removeAllListeners("error");
        await entry.worker.terminate();
      });
      await Promise.all(stopping);
    },
  };
}
