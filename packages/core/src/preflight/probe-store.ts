import { randomUUID } from "node:crypto";
import type { ObjectStore } from "../ports/object-store.js";
import type { OperationOptions } from "../ports/options.js";
import { messageOf, rethrowAbort } from "./check-errors.js";
import { preflightFinding, type PreflightFinding } from "./findings.js";

/** The folder, under a probed prefix, where write probes go (each a unique key, deleted at once). */
export const PREFLIGHT_PROBE_FOLDER = "preflight/";

/** Options of {@link probeStore}. */
export interface ProbeStoreOptions extends OperationOptions {
  /** How findings name the store: `operationalStore`, `vaultStore`. */
  role: string;
  /** The folder the operation works in, ending in `/` (or ""): it is listed, and the write probe goes under it. */
  prefix: string;
  /** Also check that the store takes a write and a delete. */
  write: boolean;
}

/**
 * Checks that a store answers (one page of one key of a list under `prefix`) and, with `write`,
 * that it takes writes and deletes: a create-only object under `<prefix>preflight/` with a unique
 * name, deleted right after. A failed list is `StoreUnreachable`; a refused write or delete is
 * `StoreNotWritable`. Never throws but for an abort.
 */
export async function probeStore(store: ObjectStore, options: ProbeStoreOptions): Promise<PreflightFinding[]> {
  const { role, prefix, abortSignal } = options;
  try {
    await store.list(prefix, { abortSignal }).byPage({ maxPageSize: 1 }).next();
  } catch (error) {
    rethrowAbort(error);
    return [preflightFinding("StoreUnreachable", role, `Listing ${prefix || "the store"} failed: ${messageOf(error)}`)];
  }
  if (!options.write) return [];
  const key = `${prefix}${PREFLIGHT_PROBE_FOLDER}${randomUUID()}`;
  try {
    await store.put(key, new TextEncoder().encode("kbackup preflight probe\n"), { ifNoneMatch: "*", contentType: "text/plain", abortSignal });
  } catch (error) {
    rethrowAbort(error);
    return [preflightFinding("StoreNotWritable", role, `Writing the probe ${key} failed: ${messageOf(error)}`)];
  }
  try {
    await store.delete(key, { abortSignal });
  } catch (error) {
    rethrowAbort(error);
    return [preflightFinding("StoreNotWritable", role, `Deleting the probe ${key} failed (it is left behind): ${messageOf(error)}`)];
  }
  return [];
}
