import type { ClusterClient, ClusterIdentity } from "../ports/cluster-client.js";
import type { ObjectStore } from "../ports/object-store.js";
import type { SnapshotProvider } from "../ports/snapshot-provider.js";

/**
 * What a backup instance recorded about the live objects it works with, when it was protected: the
 * cluster's identity, the name of its operational store and the name of its snapshot provider. A
 * vault opened in another process hands this to its resolvers to get the live objects back.
 */
export interface InstanceReference {
  instanceName: string;
  cluster: ClusterIdentity;
  operationalStoreName: string;
  /** The `name` of the snapshot provider the instance was protected with; absent when it had none. */
  snapshotProviderName?: string;
}

/**
 * How a vault finds the live objects of the instances it did not protect itself (those protected by
 * another process, or before a restart). Each resolver is a function from an instance's
 * {@link InstanceReference} to the object, `undefined` when this process has none; `clusters` may also
 * be a list of clients, matched by identity name and id, and `operationalStores` a record by store
 * name. An instance whose cluster or store cannot be resolved is still listed with its recovery
 * points; its backups fail (NotFound) until a resolver knows it.
 */
export interface VaultBindings {
  /** The instance's cluster client: a resolver, or a list matched by identity name and id. */
  clusters?: ((reference: InstanceReference) => ClusterClient | undefined) | readonly ClusterClient[];
  /** The instance's snapshot provider, asked only for instances protected with one. */
  snapshotProviders?: (reference: InstanceReference) => SnapshotProvider | undefined;
  /** The instance's operational store: a resolver, or a record by store name. */
  operationalStores?: ((reference: InstanceReference) => ObjectStore | undefined) | Readonly<Record<string, ObjectStore>>;
}

/** The live objects of one instance; a missing one could not be resolved. */
export interface ResolvedBinding {
  cluster?: ClusterClient;
  snapshotProvider?: SnapshotProvider;
  operationalStore?: ObjectStore;
}

/** True when two identities name the same cluster: the same name, and the same id when either has one. */
export function sameCluster(a: ClusterIdentity, b: ClusterIdentity): boolean {
  return a.name === b.name && (a.id ?? "") === (b.id ?? "");
}

/** Resolves one instance's live objects through `bindings`. */
export function resolveBinding(bindings: VaultBindings, reference: InstanceReference): ResolvedBinding {
  const { clusters, snapshotProviders, operationalStores } = bindings;
  const cluster = typeof clusters === "function" ? clusters(reference) : clusters?.find((client) => sameCluster(client.identity, reference.cluster));
  const operationalStore = typeof operationalStores === "function" ? operationalStores(reference) : operationalStores?.[reference.operationalStoreName];
  const snapshotProvider = reference.snapshotProviderName === undefined ? undefined : snapshotProviders?.(reference);
  return {
    ...(cluster ? { cluster } : {}),
    ...(operationalStore ? { operationalStore } : {}),
    ...(snapshotProvider ? { snapshotProvider } : {}),
  };
}
