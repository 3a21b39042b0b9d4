import type { DeleteStoredObjectOptions, ObjectStore, OperationOptions, PutStoredObjectOptions } from "@kbackup/core";

/** Options of {@link LeasableObjectStore.acquireLease}. */
export interface AcquireLeaseOptions extends OperationOptions {
  /** 15 to 60 seconds, or -1 for a lease that lasts until released or broken. */
  durationInSeconds: number;
  /** The lease id to use (a UUID); a new one is made when absent. */
  proposedLeaseId?: string;
}

/** A lease held on one object. */
export interface ObjectLease {
  key: string;
  leaseId: string;
  /** As acquired: 15 to 60, or -1 for infinite. */
  durationInSeconds: number;
}

/** `put` options of a leasable store: writes to a leased object must name its lease. */
export interface LeasedPutOptions extends PutStoredObjectOptions {
  /** The id of the object's active lease; required while it is leased. */
  leaseId?: string;
}

/** `delete` options of a leasable store: deleting a leased object must name its lease. */
export interface LeasedDeleteOptions extends DeleteStoredObjectOptions {
  /** The id of the object's active lease; required while it is leased. */
  leaseId?: string;
}

/**
 * An object store with exclusive, expiring leases on objects (`capabilities.leases`): while a
 * lease is held, only writes and deletes that name its id succeed; others fail with `Conflict`.
 * A lease is taken on an existing object (write an empty one first to lock a new key).
 *
 * Contract:
 * - `acquireLease` of a missing key is `NotFound`; of an object leased by someone else, `Conflict`.
 * - `renewLease` restarts the lease's duration; with a wrong or expired-and-taken id, `Conflict`.
 * - `releaseLease` ends it at once; releasing an expired lease nobody took since succeeds.
 * - `put` and `delete` with `leaseId` succeed only while that lease is the object's active lease.
 */
export interface LeasableObjectStore extends ObjectStore {
  /** Takes a lease on the object at `key`. `NotFound` when it is missing; `Conflict` when someone else holds a lease on it. */
  acquireLease(key: string, options: AcquireLeaseOptions): Promise<ObjectLease>;
  /** Restarts the lease's duration. `Conflict` for a wrong id, or one that expired and another lease took over. */
  renewLease(key: string, leaseId: string, options?: OperationOptions): Promise<void>;
  /** Ends the lease at once; succeeds for an expired lease nobody took since. `Conflict` for a wrong id. */
  releaseLease(key: string, leaseId: string, options?: OperationOptions): Promise<void>;
  put(key: string, body: Parameters<ObjectStore["put"]>[1], options?: LeasedPutOptions): ReturnType<ObjectStore["put"]>;
  delete(key: string, options?: LeasedDeleteOptions): Promise<boolean>;
}

/** True when `store` declares leases and has the lease methods. */
export function isLeasableObjectStore(store: ObjectStore): store is LeasableObjectStore {
  const candidate = store as Partial<LeasableObjectStore>;
  return store.capabilities.leases && typeof candidate.acquireLease === "function" && typeof candidate.renewLease === "function" && typeof candidate.releaseLease === "function";
}
