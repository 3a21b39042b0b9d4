import * as crypto from "node:crypto";
import * as zlib from "node:zlib";
import { Worker } from "node:worker_threads";
import { KBackupError } from "../errors.js";
import { createChunkCodec, type CodecSettings, type SealedChunk } from "./chunk-codec.js";
import { filterMightContain, type KnownChunkFilter } from "./known-chunk-filter.js";

/** A chunk hashed, and sealed unless it seemed stored already. */
export interface ProcessedChunk {
  id: Uint8Array;
  /** The sealed blob, when the chunk was not in the known-chunk filter. */
  sealed?: SealedChunk;
  /** The bytes handed back when sealing was skipped, for the rare filter false positive. */
  bytes?: Uint8Array;
}

/**
 * The CPU-heavy work on chunks (hashing, compressing, encrypting, and the reverse), done inline or
 * by a pool of worker threads. Failures of `open` are Errors with `integrity: true`, for the caller
 * to turn into an `Integrity` error that names the pack and chunk.
 */
export interface ChunkProcessor {
  /** Hashes `bytes` and seals them unless the known-chunk filter has the id; may take ownership of (transfer) `bytes`. */
  process(bytes: Uint8Array): Promise<ProcessedChunk>;
  /** Seals bytes whose id is known. */
  seal(bytes: Uint8Array, id: Uint8Array): Promise<SealedChunk>;
  open(blob: Uint8Array, id: Uint8Array, expectedLength: number): Promise<Uint8Array>;
  /** Stops the workers; pending calls fail with `Aborted`. */
  close(): Promise<void>;
}

/** Keys, settings and the shared filter every processor needs. */
export interface ChunkProcessorSetup {
  encryptionKey: Uint8Array;
  idKey: Uint8Array;
  settings: CodecSettings;
  filter: KnownChunkFilter;
}

/** Processes chunks on the calling thread. */
export function inlineChunkProcessor(setup: ChunkProcessorSetup): ChunkProcessor {
  const codec = createChunkCodec({ crypto, zlib }, setup.encryptionKey, setup.idKey, setup.settings);
  return {
    async process(bytes) {
      const id = codec.id(bytes);
      if (setup.filter.mightContain(id)) return { id, bytes };
      return { id, sealed: codec.seal(bytes, id) };
    },
    async seal(bytes, id) {
      return codec.seal(bytes, id);
    },
    async open(blob, id, expectedLength) {
      return codec.open(blob, id, expectedLength);
    },
    async close() {},
  };
}

// The worker's whole program: the same codec and filter check, from their source text.
const workerSource = `
const { parentPort, workerData } = require("node:worker_threads");
const codec = (${createChunkCodec.toString()})({ crypto: require("node:crypto"), zlib: require("node:zlib") }, workerData.encryptionKey, workerData.idKey, workerData.settings);
const mightContain = ${filterMightContain.toString()};
const filter = new Uint8Array(workerData.filter);
const release = (b) => { if (!b.buffer.detached && b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.byteLength > 0) b.buffer.transfer(0); };
const own = (b) => (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b : new Uint8Array(b));
parentPort.on("message", (m) => {
  try {
    if (m.op === "process") {
      const id = codec.id(m.bytes);
      if (mightContain(filter, id)) {
        parentPort.postMessage({ task: m.task, id, bytes: m.bytes }, [m.bytes.buffer]);
      } else {
        const sealed = codec.seal(m.bytes, id);
        release(m.bytes);
        const blob = own(sealed.blob);
        parentPort.postMessage({ task: m.task, id, blob, compressed: sealed.compressed }, [blob.buffer]);
      }
    } else if (m.op === "seal") {
      const sealed = codec.seal(m.bytes, m.id);
      release(m.bytes);
      const blob = own(sealed.blob);
      parentPort.postMessage({ task: m.task, blob, compressed: sealed.compressed }, [blob.buffer]);
    } else if (m.op === "open") {
      const bytes = own(codec.open(m.blob, m.id, m.length));
      release(m.blob);
      parentPort.postMessage({ task: m.task, bytes }, [bytes.buffer]);
    }
  } catch (e) {
    parentPort.postMessage({ task: m.task, error: { message: String((e && e.message) || e), integrity: Boolean(e && e.integrity) } });
  }
});
`;

interface Pending {
  resolve(reply: WorkerReply): void;
  reject(error: unknown): void;
}

interface PoolWorker {
  worker: Worker;
  pending: Map<number, Pending>;
}

interface WorkerReply {
  task: number;
  error?: { message: string; integrity: boolean };
  id?: Uint8Array;
  blob?: Uint8Array;
  compressed?: boolean;
  bytes?: Uint8Array;
}

/** An array that may be handed over to a worker: one that owns its whole buffer (never a pool slice). */
function transferable(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && !(bytes.buffer instanceof SharedArrayBuffer) ? bytes : new Uint8Array(bytes);
}

/**
 * Processes chunks on `size` worker threads, started on first use. Each call goes to the least busy
 * worker; workers hold the event loop only while they have work, and `close` terminates them.
 */
export function workerChunkProcessor(setup: ChunkProcessorSetup, size: number): ChunkProcessor {
  const workers: PoolWorker[] = [];
  let nextTask = 1;
  let closed = false;

  const start = (): PoolWorker => {
    const worker = new Worker(workerSource, {
      eval: true,
      workerData: { encryptionKey: setup.encryptionKey, idKey: setup.idKey, settings: setup.settings, filter: setup.filter.buffer },
    });
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

  const call = (message: Record<string, unknown>, transfer: ArrayBuffer[]): Promise<WorkerReply> => {
    if (closed) return Promise.reject(new KBackupError("Aborted", "The repository is closed."));
    let entry = workers.length < size ? start() : (workers[0] as PoolWorker);
    for (const candidate of workers) if (candidate.pending.size < entry.pending.size) entry = candidate;
    const task = nextTask++;
    return new Promise<WorkerReply>((resolve, reject) => {
      if (entry.pending.size === 0) entry.worker.ref();
      entry.pending.set(task, { resolve, reject });
      entry.worker.postMessage({ ...message, task }, transfer);
    });
  };

  return {
    async process(bytes) {
      const owned = transferable(bytes);
      const reply = await call({ op: "process", bytes: owned }, [owned.buffer as ArrayBuffer]);
      const id = reply.id as Uint8Array;
      return reply.blob ? { id, sealed: { blob: reply.blob, compressed: reply.compressed === true } } : { id, bytes: reply.bytes as Uint8Array };
    },
    async seal(bytes, id) {
      const owned = transferable(bytes);
      const reply = await call({ op: "seal", bytes: owned, id }, [owned.buffer as ArrayBuffer]);
      return { blob: reply.blob as Uint8Array, compressed: reply.compressed === true };
    },
    async open(blob, id, expectedLength) {
      const owned = transferable(blob);
      const reply = await call({ op: "open", blob: owned, id, length: expectedLength }, [owned.buffer as ArrayBuffer]);
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
