import { createHash } from "node:crypto";
import { readArchiveMembers } from "../archive/archive-reader.js";
import { KBackupError, isKBackupError } from "../errors.js";
import type { ObjectStore } from "../ports/object-store.js";
import type { OperationOptions } from "../ports/options.js";
import { recoveryPointKeys } from "../recovery-point/layout.js";
import type { RecoveryPointManifest } from "../recovery-point/manifest.js";
import { readManifest } from "../recovery-point/recovery-point-store.js";
import { sha256Hex } from "../util/sha256.js";
import { catalogueKeys, type InstanceRecord, type VaultDataStore } from "../vault/catalogue-records.js";
import { readJson } from "../vault/json-objects.js";

/** One check of a verification. */
export interface RecoveryPointCheck {
  /** `manifest`: it reads and parses; `archive`: its size and sha256 match the manifest; `members`: every gzip member's checksum holds and it decompresses; `items`: every indexed object is in the archive with its checksum. */
  name: "manifest" | "archive" | "members" | "items";
  ok: boolean;
  message: string;
}

/** What verifying one copy of a recovery point found. */
export interface RecoveryPointVerification {
  recoveryPointId: string;
  dataStore: VaultDataStore;
  /** True when every check held. */
  ok: boolean;
  checks: RecoveryPointCheck[];
  archiveBytes: number;
  membersChecked: number;
  itemsChecked: number;
}

/** Where a copy is read: the store, and the instance's folder in it. */
export interface RecoveryPointLocation {
  store: ObjectStore;
  instancePrefix: string;
  dataStore: VaultDataStore;
}

function damaged(error: unknown): boolean {
  return isKBackupError(error, "Integrity") || isKBackupError(error, "Unsupported") || isKBackupError(error, "NotFound");
}

async function hashObject(store: ObjectStore, key: string, abortSignal?: AbortSignal): Promise<{ bytes: number; sha256: string } | undefined> {
  const object = await store.getStream(key, { abortSignal });
  if (!object) return undefined;
  const hash = createHash("sha256");
  let bytes = 0;
  for await (const chunk of object.body) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { bytes, sha256: hash.digest("hex") };
}

/**
 * Verifies one copy of a recovery point by reading it whole: its manifest parses, its archive has
 * the size and sha256 the manifest records, each gzip member of the archive matches its checksum
 * and decompresses, and every object the manifest indexes is in the archive with its sha256.
 * Damage is reported as failed checks, not thrown.
 * @throws what the store throws for anything but damage (Unavailable, PermissionDenied, Aborted...).
 */
export async function verifyRecoveryPointAt(location: RecoveryPointLocation, recoveryPointId: string, options: OperationOptions = {}): Promise<RecoveryPointVerification> {
  const { store, instancePrefix, dataStore } = location;
  const { abortSignal } = options;
  const result: RecoveryPointVerification = { recoveryPointId, dataStore, ok: false, checks: [], archiveBytes: 0, membersChecked: 0, itemsChecked: 0 };
  const check = (name: RecoveryPointCheck["name"], ok: boolean, message: string) => result.checks.push({ name, ok, message });

  let manifest: RecoveryPointManifest;
  try {
    manifest = await readManifest(store, instancePrefix, recoveryPointId, abortSignal);
  } catch (error) {
    if (!damaged(error)) throw error;
    check("manifest", false, (error as Error).message);
    return result;
  }
  check("manifest", true, `format ${manifest.formatVersion}, ${manifest.items.length} items, ${manifest.archive.members.length} archive members`);

  const archiveKey = recoveryPointKeys(instancePrefix, recoveryPointId).archive;
  const whole = await hashObject(store, archiveKey, abortSignal);
  if (!whole) {
    check("archive", false, `the archive ${archiveKey} is missing`);
    return result;
  }
  result.archiveBytes = whole.bytes;
  const archiveOk = whole.bytes === manifest.archive.sizeInBytes && whole.sha256 === manifest.archive.sha256;
  check(
    "archive",
    archiveOk,
    archiveOk
      ? `${whole.bytes} bytes, sha256 ${whole.sha256.slice(0, 12)}…`
      : whole.bytes !== manifest.archive.sizeInBytes
        ? `the archive has ${whole.bytes} bytes; the manifest says ${manifest.archive.sizeInBytes}`
        : `the archive's sha256 is ${whole.sha256}; the manifest says ${manifest.archive.sha256}`,
  );

  const expected = new Map(manifest.items.map((item) => [item.path, item.sha256]));
  const wrong: string[] = [];
  let membersOk = true;
  try {
    for await (const entry of readArchiveMembers(store, archiveKey, manifest.archive.members, abortSignal)) {
      const sha = expected.get(entry.path);
      if (sha === undefined) continue;
      expected.delete(entry.path);
      result.itemsChecked++;
      if (sha256Hex(entry.data) !== sha) wrong.push(entry.path);
    }
    result.membersChecked = manifest.archive.members.length;
    check("members", true, `${manifest.archive.members.length} members match their checksums`);
  } catch (error) {
    if (!damaged(error)) throw error;
    membersOk = false;
    check("members", false, (error as Error).message);
  }
  if (membersOk) {
    const missing = [...expected.keys()];
    const itemsOk = wrong.length === 0 && missing.length === 0;
    check(
      "items",
      itemsOk,
      itemsOk
        ? `${result.itemsChecked} objects match their checksums`
        : [wrong.length > 0 ? `${wrong.length} objects fail their checksum (first: ${wrong[0]})` : "", missing.length > 0 ? `${missing.length} indexed objects are not in the archive (first: ${missing[0]})` : ""].filter(Boolean).join("; "),
    );
  }
  result.ok = result.checks.every((entry) => entry.ok);
  return result;
}

/** Options of {@link verifyVaultRecoveryPoint}. */
export interface VerifyVaultRecoveryPointOptions extends OperationOptions {
  /** The store holding the vault's catalogue. */
  store: ObjectStore;
  vaultName: string;
  instanceName: string;
  recoveryPointId: string;
  dataStore: VaultDataStore;
  /** Where the instance's operational copies are; the vault's store by default. */
  operationalStore?: ObjectStore;
  /** Where the vault's vault-store copies are (the vault's `vaultStore`); the vault's store by default. */
  vaultStore?: ObjectStore;
}

/**
 * Verifies a copy of a recovery point of a vault kept in `store` (see {@link verifyRecoveryPointAt}),
 * finding the copy as the vault lays it out: the operational copy in the instance's folder, the vault
 * copy under the vault's `vault-store/` (the default vault copier's layout).
 * @throws NotFound when the vault has no such instance; what the stores throw.
 */
export async function verifyVaultRecoveryPoint(options: VerifyVaultRecoveryPointOptions): Promise<RecoveryPointVerification> {
  const keys = catalogueKeys(options.vaultName);
  const record = await readJson<InstanceRecord>(options.store, keys.instance(options.instanceName), options.abortSignal);
  if (!record) throw new KBackupError("NotFound", `Vault ${options.vaultName} has no backup instance named ${options.instanceName}.`, { field: "instanceName" });
  const location: RecoveryPointLocation =
    options.dataStore === "OperationalStore"
      ? { store: options.operationalStore ?? options.store, instancePrefix: record.value.storePrefix, dataStore: "OperationalStore" }
      : { store: options.vaultStore ?? options.store, instancePrefix: `${keys.vaultStore}${options.instanceName}/`, dataStore: "VaultStore" };
  return verifyRecoveryPointAt(location, options.recoveryPointId, options);
}
