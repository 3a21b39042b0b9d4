import { KBackupError, isKBackupError } from "../errors.js";
import type { KubeObject, ResourceRef } from "../kube/types.js";
import type { ClusterClient, ListKubeObjectsOptions } from "../ports/cluster-client.js";
import type { Clock } from "../ports/clock.js";
import { withRetry } from "../util/retry.js";

export interface ListAllOptions extends ListKubeObjectsOptions {
  pageSize: number;
  clock?: Clock;
  /** Told of every retried page and every restarted list. */
  onRetry?: (message: string) => void;
}

/**
 * Every object of one resource type, page by page: pages that fail with a transient error are
 * retried with backoff; an expired continuation token restarts the list, and objects already
 * yielded before the restart are not yielded again. A server that hands back a token it gave
 * before in the same pass would list for ever: that is an `Adapter` error.
 */
export async function* listAll(cluster: ClusterClient, resource: ResourceRef, options: ListAllOptions): AsyncIterableIterator<KubeObject[]> {
  const { pageSize, clock, onRetry, ...listOptions } = options;
  const seen = new Set<string>();
  let restarts = 0;
  let token: string | undefined;
  const tokens = new Set<string>();
  for (;;) {
    try {
      // Each page is fetched from its token, so a retry asks for the same page again.
      const page = await withRetry(
        async () => {
          const next = await cluster.list(resource, listOptions).byPage({ maxPageSize: pageSize, continuationToken: token }).next();
          return next.done ? { items: [] } : next.value;
        },
        {
          abortSignal: listOptions.abortSignal,
          clock,
          onRetry: (error, attempt) => onRetry?.(`Listing ${resource.resource} failed (${describe(error)}); retry ${attempt}.`),
        },
      );
      const fresh = page.items.filter((item) => !seen.has(keyOf(item)));
      for (const item of fresh) seen.add(keyOf(item));
      if (fresh.length > 0) yield fresh;
      token = page.continuationToken;
      if (!token) return;
      if (tokens.has(token)) {
        throw new KBackupError("Adapter", `Listing ${resource.resource} goes round in circles: the server handed back a continuation token it gave before.`);
      }
      tokens.add(token);
    } catch (error) {
      if (!isKBackupError(error, "Expired") || restarts >= 5) throw error;
      restarts++;
      token = undefined;
      tokens.clear();
      onRetry?.(`The list of ${resource.resource} expired; restarting it.`);
    }
  }
}

function keyOf(object: KubeObject): string {
  return `${object.metadata.namespace ?? ""}/${object.metadata.name ?? ""}`;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
