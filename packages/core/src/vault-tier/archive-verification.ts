import { createHash, type Hash } from "node:crypto";
import { KBackupError, invalidArgument } from "../errors.js";
import type { ObjectStore } from "../ports/object-store.js";
import type { OperationOptions } from "../ports/options.js";
import { recoveryPointKeys } from "../recovery-point/layout.js";
import type { RecoveryPointManifest } from "../recovery-point/manifest.js";
import { readManifest } from "../recovery-point/recovery-point-store.js";
import type { VerifyLevel } from "../repository/verify.js";

/** Options of a recovery point verification. */
export interface VerifyRecoveryPointOptions extends OperationOptions {
  /**
   * `index` (the default): what the recovery point needs is there, with the sizes its records say.
   * `full`: every byte is also read and checked against its checksum.
   */
  level?: VerifyLevel;
}

/** What a verification that found nothing wrong checked. */
export interface RecoveryPointVerifyReport {
  recoveryPointId: string;
  dataStore: "OperationalStore" | "VaultStore";
  level: VerifyLevel;
  /** Stored objects checked: the manifest and archive, or the repository's packs. */
  objectsChecked: number;
  /** Bytes read and checked (`full` only). */
  bytesChecked: number;
}

/** Checks a verify level option: `index` when absent. InvalidArgument naming `options.level` otherwise. */
export function verifyLevelOf(options: VerifyRecoveryPointOptions): VerifyLevel {
  const level = options.level ?? "index";
  if (level !== "index" && level !== "full") throw invalidArgument("options.level", 'must be "index" or "full"');
  return level;
}

function integrity(message: string, key: string, extra: Record<string, unknown> = {}): KBackupError {
  return new KBackupError("Integrity", message, { details: { key, ...extra } });
}

/**
 * Verifies a recovery point kept as plain objects (the operational tier's layout, also what
 * `ObjectStoreVaultCopier` writes) under `instancePrefix` of `store`. `index`: the manifest parses and
 * the archive is there with the size the manifest records. `full`: the archive is also read once,
 * whole, and each gzip member's sha256 and the whole archive's sha256 must match the manifest.
 * @throws NotFound when there is no manifest (no recovery point); Integrity naming the object
 *   (`details.key`) for a damaged manifest, a missing or truncated archive or a checksum that fails.
 */
export async function verifyStoredRecoveryPoint(
  store: ObjectStore,
  instancePrefix: string,
  recoveryPointId: string,
  dataStore: RecoveryPointVerifyReport["dataStore"],
  options: VerifyRecoveryPointOptions = {},
): Promise<RecoveryPointVerifyReport> {
  const level = verifyLevelOf(options);
  const { abortSignal } = options;
  const manifest = await readManifest(store, instancePrefix, recoveryPointId, abortSignal);
  const key = recoveryPointKeys(instancePrefix, recoveryPointId).archive;
  const info = await store.head(key, { abortSignal });
  if (info === undefined) throw integrity(`The archive ${key} of recovery point ${recoveryPointId} is missing.`, key);
  if (info.size !== manifest.archive.sizeInBytes) {
    throw integrity(`The archive ${key} of recovery point ${recoveryPointId} has ${info.size} bytes; its manifest says ${manifest.archive.sizeInBytes}.`, key);
  }
  const report: RecoveryPointVerifyReport = { recoveryPointId, dataStore, level, objectsChecked: 2, bytesChecked: 0 };
  if (level === "full") {
    const object = await store.getStream(key, { abortSignal });
    if (object === undefined) throw integrity(`The archive ${key} of recovery point ${recoveryPointId} is missing.`, key);
    report.bytesChecked = await checkArchiveStream(object.body, manifest, key);
  }
  return report;
}

/**
 * Reads an archive's bytes once, checking each gzip member's sha256 and the whole archive's size and
 * sha256 against `manifest`; returns the bytes read. Integrity naming `key` on the first fault.
 */
export async function checkArchiveStream(body: AsyncIterable<Uint8Array>, manifest: RecoveryPointManifest, key: string): Promise<number> {
  const members = [...manifest.archive.members].sort((a, b) => a.offset - b.offset);
  const whole = createHash("sha256");
  let position = 0;
  let next = 0;
  let member: { hash: Hash; end: number; offset: number; sha256: string } | undefined;
  const finishMember = () => {
    if (member === undefined) return;
    if (member.hash.digest("hex") !== member.sha256) {
      throw integrity(`The archive ${key} is corrupt: the member at byte ${member.offset} fails its checksum.`, key, { offset: member.offset });
    }
    member = undefined;
  };
  for await (const chunk of body) {
    whole.update(chunk);
    let at = 0;
    while (at < chunk.length) {
      const here = position + at;
      if (member === undefined) {
        while (next < members.length && (members[next]?.offset ?? 0) + (members[next]?.length ?? 0) <= here) next++;
        const candidate = members[next];
        if (candidate === undefined || candidate.offset > here) {
          // Bytes outside every member (none in a well-formed archive) count for the whole hash only.
          at = candidate === undefined ? chunk.length : Math.min(chunk.length, candidate.offset - position);
          continue;
        }
        member = { hash: createHash("sha256"), end: candidate.offset + candidate.length, offset: candidate.offset, sha256: candidate.sha256 };
        next++;
      }
      const take = Math.min(chunk.length - at, member.end - here);
      member.hash.update(chunk.subarray(at, at + take));
      at += take;
      if (position + at === member.end) finishMember();
    }
    position += chunk.length;
  }
  if (member !== undefined || members.slice(next).some((rest) => rest.length > 0)) {
    throw integrity(`The archive ${key} is truncated at byte ${position}.`, key);
  }
  if (position !== manifest.archive.sizeInBytes) {
    throw integrity(`The archive ${key} has ${position} bytes; its manifest says ${manifest.archive.sizeInBytes}.`, key);
  }
  const digest = whole.digest("hex");
  if (digest !== manifest.archive.sha256) throw integrity(`The archive ${key} is corrupt: its sha256 is ${digest}, its manifest says ${manifest.archive.sha256}.`, key);
  return position;
}
