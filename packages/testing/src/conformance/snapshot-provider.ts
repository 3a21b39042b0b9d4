import { strict as assert } from "node:assert";
import { rejectsWith } from "./rejects-with.js";
import { randomBytes } from "node:crypto";
import {
  invalidArgument,
  isKBackupError,
  type KBackupErrorCode,
  type KubeObject,
  type RestoredVolume,
  type SnapshotProvider,
} from "@kbackup/core";
import type { ConformanceRunnerContext } from "./cluster-client.js";

/** The groups of `snapshotProviderConformance`, each of which can be switched off with a reason. */
export const SNAPSHOT_PROVIDER_CONFORMANCE_GROUPS = ["support", "round-trip", "incremental", "delete", "read-data", "abort"] as const;

/** One of {@link SNAPSHOT_PROVIDER_CONFORMANCE_GROUPS}. */
export type SnapshotProviderConformanceGroup = (typeof SNAPSHOT_PROVIDER_CONFORMANCE_GROUPS)[number];

/** The test runner's `it` or `test` (vitest, jest, node:test, mocha); `skip` is used when it has one. */
export interface SnapshotProviderConformanceTest {
  (title: string, body: (context: ConformanceRunnerContext) => Promise<void>): unknown;
  /** The runner's way to register a skipped test; without it, switched-off groups are not registered at all. */
  skip?: (title: string, body: (context: ConformanceRunnerContext) => Promise<void>) => unknown;
}

/** A volume the provider can snapshot, and what it holds. */
export interface SnapshotTestVolume {
  /** The PV, as its cluster holds it (bound to a claim or not). */
  persistentVolume: KubeObject;
  /** Bytes the volume holds at `dataOffset`: what a snapshot and a restored volume must hold too. */
  data: Uint8Array;
  /** Where `data` starts; default 0. */
  dataOffset?: number;
}

/**
 * One provider for one test, and what the suite needs around it: volumes to snapshot, and
 * optional ways to write and read volumes' bytes (for the tests that change a volume or check a
 * restored one; without them such a test is skipped with the reason where the runner can, and
 * passes without checking anything elsewhere).
 */
export interface SnapshotProviderConformanceSubject {
  provider: SnapshotProvider;
  /** A new volume the provider supports, holding known bytes. */
  supportedVolume(): Promise<SnapshotTestVolume>;
  /** PVs the provider must refuse (other drivers, in-tree volumes, ...); at least one. */
  unsupportedVolumes(): Promise<KubeObject[]>;
  /** Writes `bytes` at `offset` into the volume of a PV from `supportedVolume`. */
  writeVolume?(persistentVolume: KubeObject, bytes: Uint8Array, offset: number): Promise<void>;
  /** Reads `length` bytes at `offset` of a volume that `provider.createVolume` made. */
  readVolume?(volume: RestoredVolume, offset: number, length: number): Promise<Uint8Array>;
  /** Called after the test, pass or fail. */
  cleanup?(): Promise<void>;
}

/** A fresh subject for each test. */
export type SnapshotProviderFactory = () => Promise<SnapshotProviderConformanceSubject>;

/** Options of {@link snapshotProviderConformance}. */
export interface SnapshotProviderConformanceOptions {
  /** Groups to switch off, each with the reason (shown in the skipped test's title). */
  skip?: Partial<Record<SnapshotProviderConformanceGroup, string>>;
}

type Need = "writeVolume" | "readVolume" | "readData" | "incremental" | "changedRanges";

type Define = (group: SnapshotProviderConformanceGroup, name: string, body: (subject: SnapshotProviderConformanceSubject) => Promise<void>, needs?: Need[]) => void;

/**
 * Registers the `SnapshotProvider` contract as tests with `test`, each on a fresh subject from
 * `factory` (cleaned up afterwards, pass or fail). Assertions use `node:assert`, so any runner
 * works. Tests that need a capability the provider does not declare, or a subject hook it lacks,
 * are skipped at run time with the reason where the runner can. Throws `InvalidArgument` for an
 * unknown group in `options.skip`.
 */
export function snapshotProviderConformance(test: SnapshotProviderConformanceTest, factory: SnapshotProviderFactory, options: SnapshotProviderConformanceOptions = {}): void {
  const skip = options.skip ?? {};
  for (const group of Object.keys(skip)) {
    if (!(SNAPSHOT_PROVIDER_CONFORMANCE_GROUPS as readonly string[]).includes(group)) {
      throw invalidArgument(`options.skip.${group}`, `unknown group; the groups are ${SNAPSHOT_PROVIDER_CONFORMANCE_GROUPS.join(", ")}`);
    }
  }
  const define: Define = (group, name, body, needs = []) => {
    const title = `snapshot provider ${group}: ${name}`;
    const reason = skip[group];
    const run = async (runner?: ConformanceRunnerContext) => {
      const subject = await factory();
      try {
        const missing = needs.find((need) => !has(subject, need));
        if (missing !== undefined) {
          runner?.skip?.(missing === "writeVolume" || missing === "readVolume" ? `the subject has no ${missing} hook` : `the provider does not declare ${missing}`);
          return;
        }
        await body(subject);
      } finally {
        await subject.cleanup?.();
      }
    };
    if (reason !== undefined) test.skip?.(`${title} (skipped: ${reason})`, run);
    else test(title, run);
  };

  support(define);
  roundTrip(define);
  incremental(define);
  deletes(define);
  readData(define);
  abort(define);
}

function has(subject: SnapshotProviderConformanceSubject, need: Need): boolean {
  if (need === "writeVolume" || need === "readVolume") return subject[need] !== undefined;
  return subject.provider.capabilities[need];
}

function support(define: Define): void {
  define("support", "a supported volume is supported", async ({ provider, supportedVolume }) => {
    const { persistentVolume } = await supportedVolume();
    assert.deepEqual(await provider.canSnapshot(persistentVolume), { supported: true });
  });

  define("support", "unsupported volumes are refused with a reason, and createSnapshot says it as Unsupported", async ({ provider, unsupportedVolumes }) => {
    const volumes = await unsupportedVolumes();
    assert.ok(volumes.length > 0, "the subject gave no unsupported volume");
    for (const volume of volumes) {
      const support = await provider.canSnapshot(volume);
      assert.equal(support.supported, false, `${volume.metadata.name} is said to be supported`);
      const reason = support.supported ? "" : support.reason;
      assert.ok(reason.trim().length > 0, `no reason is given for ${volume.metadata.name}`);
      const error = await rejectsWith(() => provider.createSnapshot(volume), "Unsupported", `createSnapshot of ${volume.metadata.name}`);
      assert.ok(error.message.includes(reason), `the Unsupported error does not give the reason "${reason}": ${error.message}`);
    }
  });

  define("support", "a snapshot's record describes the volume it was taken of", async ({ provider, supportedVolume }) => {
    const volume = await supportedVolume();
    const record = await provider.createSnapshot(volume.persistentVolume, { tags: { backup: "conformance" } });
    const csi = csiOf(volume.persistentVolume);
    assert.ok(typeof record.snapshotHandle === "string" && record.snapshotHandle !== "", "no snapshot handle");
    assert.equal(record.provider, provider.name);
    assert.equal(record.persistentVolumeName, volume.persistentVolume.metadata.name);
    assert.equal(record.driver, csi.driver);
    assert.equal(record.volumeHandle, csi.volumeHandle);
    assert.ok(record.sizeInBytes >= (volume.dataOffset ?? 0) + volume.data.length, `sizeInBytes ${record.sizeInBytes} is smaller than the data`);
    assert.ok(!Number.isNaN(Date.parse(record.createdAt)), `createdAt ${record.createdAt} is not a time`);
    const claimRef = (volume.persistentVolume["spec"] as { claimRef?: { namespace?: string; name?: string } } | undefined)?.claimRef;
    if (claimRef?.name !== undefined) assert.deepEqual(record.claim, { namespace: claimRef.namespace, name: claimRef.name });
    await provider.deleteSnapshot(record.snapshotHandle);
  });
}

function roundTrip(define: Define): void {
  define("round-trip", "createVolume returns the PV rewritten to a new volume, and the snapshot stays", async ({ provider, supportedVolume }) => {
    const volume = await supportedVolume();
    const record = await provider.createSnapshot(volume.persistentVolume);
    const name = uniqueName("restored");
    const restored = await provider.createVolume(record, volume.persistentVolume, { persistentVolumeName: name });
    const pv = restored.persistentVolume;
    assert.equal(pv.kind, "PersistentVolume");
    assert.equal(pv.metadata.name, name);
    for (const field of ["uid", "resourceVersion", "creationTimestamp"]) assert.equal(pv.metadata[field], undefined, `the restored PV keeps metadata.${field}`);
    assert.equal((pv["spec"] as Record<string, unknown>)["claimRef"], undefined, "the restored PV keeps its claimRef");
    assert.equal(csiOf(pv).volumeHandle, restored.volumeHandle);
    assert.notEqual(restored.volumeHandle, csiOf(volume.persistentVolume).volumeHandle, "the restored volume is the original one");
    const again = await provider.createVolume(record, volume.persistentVolume, { persistentVolumeName: uniqueName("again") });
    assert.notEqual(again.volumeHandle, restored.volumeHandle, "two volumes from one snapshot share a handle");
    await provider.deleteSnapshot(record.snapshotHandle);
  });

  define(
    "round-trip",
    "a volume made from a snapshot holds the snapshot's bytes",
    async ({ provider, supportedVolume, readVolume }) => {
      const volume = await supportedVolume();
      const record = await provider.createSnapshot(volume.persistentVolume);
      const restored = await provider.createVolume(record, volume.persistentVolume, { persistentVolumeName: uniqueName("restored") });
      const offset = volume.dataOffset ?? 0;
      const read = await (readVolume as NonNullable<typeof readVolume>)(restored, offset, volume.data.length);
      assert.ok(equalBytes(read, volume.data), "the restored volume's bytes differ from the snapshot's");
      await provider.deleteSnapshot(record.snapshotHandle);
    },
    ["readVolume"],
  );
}

function incremental(define: Define): void {
  define(
    "incremental",
    "the next snapshot of a volume is incremental",
    async ({ provider, supportedVolume, writeVolume }) => {
      const volume = await supportedVolume();
      const first = await provider.createSnapshot(volume.persistentVolume);
      await (writeVolume as NonNullable<typeof writeVolume>)(volume.persistentVolume, bytesOf("changed"), volume.dataOffset ?? 0);
      const second = await provider.createSnapshot(volume.persistentVolume);
      assert.equal(second.incremental, true, "the second snapshot is not incremental");
      assert.notEqual(second.snapshotHandle, first.snapshotHandle);
      await provider.deleteSnapshot(first.snapshotHandle);
      await provider.deleteSnapshot(second.snapshotHandle);
    },
    ["incremental", "writeVolume"],
  );

  define(
    "incremental",
    "each snapshot keeps the bytes of its own instant",
    async ({ provider, supportedVolume, writeVolume }) => {
      const volume = await supportedVolume();
      const offset = volume.dataOffset ?? 0;
      const first = await provider.createSnapshot(volume.persistentVolume);
      const changed = pattern(volume.data.length, 7);
      await (writeVolume as NonNullable<typeof writeVolume>)(volume.persistentVolume, changed, offset);
      const second = await provider.createSnapshot(volume.persistentVolume);
      const oldReader = await provider.openSnapshot(first.snapshotHandle);
      const newReader = await provider.openSnapshot(second.snapshotHandle);
      try {
        assert.ok(equalBytes(await oldReader.read(offset, volume.data.length), volume.data), "the first snapshot changed with the volume");
        assert.ok(equalBytes(await newReader.read(offset, volume.data.length), changed), "the second snapshot lacks the new bytes");
      } finally {
        await oldReader.close();
        await newReader.close();
      }
      await provider.deleteSnapshot(first.snapshotHandle);
      await provider.deleteSnapshot(second.snapshotHandle);
    },
    ["writeVolume", "readData"],
  );
}

function deletes(define: Define): void {
  define("delete", "deleteSnapshot is idempotent", async ({ provider, supportedVolume }) => {
    const record = await provider.createSnapshot((await supportedVolume()).persistentVolume);
    assert.equal(await provider.deleteSnapshot(record.snapshotHandle), true);
    assert.equal(await provider.deleteSnapshot(record.snapshotHandle), false);
  });

  define("delete", "a deleted snapshot is NotFound for createVolume and openSnapshot", async ({ provider, supportedVolume }) => {
    const volume = await supportedVolume();
    const record = await provider.createSnapshot(volume.persistentVolume);
    await provider.deleteSnapshot(record.snapshotHandle);
    await rejectsWith(() => provider.createVolume(record, volume.persistentVolume, { persistentVolumeName: uniqueName("late") }), "NotFound", "createVolume of a deleted snapshot");
    if (provider.capabilities.readData) await rejectsWith(() => provider.openSnapshot(record.snapshotHandle), "NotFound", "openSnapshot of a deleted snapshot");
  });

  define(
    "delete",
    "a volume made from a snapshot keeps its bytes when the snapshot is deleted",
    async ({ provider, supportedVolume, readVolume }) => {
      const volume = await supportedVolume();
      const record = await provider.createSnapshot(volume.persistentVolume);
      const restored = await provider.createVolume(record, volume.persistentVolume, { persistentVolumeName: uniqueName("kept") });
      await provider.deleteSnapshot(record.snapshotHandle);
      const read = await (readVolume as NonNullable<typeof readVolume>)(restored, volume.dataOffset ?? 0, volume.data.length);
      assert.ok(equalBytes(read, volume.data), "the restored volume lost its bytes with the snapshot");
    },
    ["readVolume"],
  );
}

function readData(define: Define): void {
  define("read-data", "openSnapshot is Unsupported without readData, else reads the bytes at any offset, cut at the end", async ({ provider, supportedVolume }) => {
    const volume = await supportedVolume();
    const record = await provider.createSnapshot(volume.persistentVolume);
    if (!provider.capabilities.readData) {
      await rejectsWith(() => provider.openSnapshot(record.snapshotHandle), "Unsupported", "openSnapshot without readData");
      await provider.deleteSnapshot(record.snapshotHandle);
      return;
    }
    const reader = await provider.openSnapshot(record.snapshotHandle);
    try {
      const offset = volume.dataOffset ?? 0;
      assert.equal(reader.sizeInBytes, record.sizeInBytes);
      assert.ok(equalBytes(await reader.read(offset, volume.data.length), volume.data), "read gives other bytes than the volume held");
      const middle = Math.floor(volume.data.length / 3);
      assert.ok(equalBytes(await reader.read(offset + middle, 10), volume.data.subarray(middle, middle + 10)), "a read inside the data is off");
      assert.equal((await reader.read(reader.sizeInBytes - 10, 100)).length, 10, "a read across the end is not cut at the end");
      assert.equal((await reader.read(reader.sizeInBytes, 10)).length, 0, "a read at the end is not empty");
    } finally {
      await reader.close();
    }
    await provider.deleteSnapshot(record.snapshotHandle);
  });

  define(
    "read-data",
    "changedRanges covers every byte written between two snapshots",
    async ({ provider, supportedVolume, writeVolume }) => {
      const volume = await supportedVolume();
      const first = await provider.createSnapshot(volume.persistentVolume);
      const offset = (volume.dataOffset ?? 0) + 3;
      await (writeVolume as NonNullable<typeof writeVolume>)(volume.persistentVolume, bytesOf("delta"), offset);
      const second = await provider.createSnapshot(volume.persistentVolume);
      const reader = await provider.openSnapshot(second.snapshotHandle);
      try {
        const ranges = await reader.changedRanges?.(first.snapshotHandle);
        assert.ok(ranges !== undefined, "changedRanges gave no answer though the provider declares changedRanges");
        for (const range of ranges) assert.ok(range.offset >= 0 && range.length >= 0 && range.offset + range.length <= reader.sizeInBytes, `range ${JSON.stringify(range)} is outside the volume`);
        for (let byte = offset; byte < offset + 5; byte++) {
          assert.ok(
            ranges.some((range) => range.offset <= byte && byte < range.offset + range.length),
            `byte ${byte} was written but is in no changed range`,
          );
        }
      } finally {
        await reader.close();
      }
      await provider.deleteSnapshot(first.snapshotHandle);
      await provider.deleteSnapshot(second.snapshotHandle);
    },
    ["readData", "changedRanges", "writeVolume"],
  );
}

function abort(define: Define): void {
  define("abort", "every call with an aborted signal fails with Aborted", async ({ provider, supportedVolume }) => {
    const volume = await supportedVolume();
    const record = await provider.createSnapshot(volume.persistentVolume);
    const controller = new AbortController();
    controller.abort();
    const abortSignal = controller.signal;
    await rejectsWith(() => provider.canSnapshot(volume.persistentVolume, { abortSignal }), "Aborted", "canSnapshot");
    await rejectsWith(() => provider.createSnapshot(volume.persistentVolume, { abortSignal }), "Aborted", "createSnapshot");
    await rejectsWith(() => provider.createVolume(record, volume.persistentVolume, { persistentVolumeName: uniqueName("aborted"), abortSignal }), "Aborted", "createVolume");
    await rejectsWith(() => provider.openSnapshot(record.snapshotHandle, { abortSignal }), "Aborted", "openSnapshot");
    await rejectsWith(() => provider.deleteSnapshot(record.snapshotHandle, { abortSignal }), "Aborted", "deleteSnapshot");
    if (provider.capabilities.readData) {
      const reader = await provider.openSnapshot(record.snapshotHandle);
      await rejectsWith(() => reader.read(0, 10, { abortSignal }), "Aborted", "read");
      await reader.close();
    }
    assert.equal(await provider.deleteSnapshot(record.snapshotHandle), true, "the aborted delete deleted the snapshot");
  });
}

// ---------------------------------------------------------------- helpers

function csiOf(persistentVolume: KubeObject): { driver?: string; volumeHandle?: string } {
  return ((persistentVolume["spec"] as { csi?: { driver?: string; volumeHandle?: string } } | undefined)?.csi ?? {}) as { driver?: string; volumeHandle?: string };
}

function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString("hex")}`;
}

function bytesOf(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** `length` bytes that differ from a run of zeros and from each other pattern seed. */
function pattern(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let index = 0; index < length; index++) bytes[index] = (index * 31 + seed * 17 + 1) % 251;
  return bytes;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}

