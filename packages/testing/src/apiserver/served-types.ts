import type { ApiResource, ClusterClient } from "@kbackup/core";
import { SERVER_RESOURCES } from "./discovery-documents.js";

/** How long the server trusts its last discovery of the cluster's types. */
const FRESH_FOR_MS = 1000;

/**
 * The resource types the server serves: the cluster's (from `discover`, kept for a second and
 * refreshed at once after a CRD is written or when a request names a type not seen yet) and the
 * server's own.
 */
export class ServedTypes {
  #cached: { atInMs: number; resources: Promise<ApiResource[]> } | undefined;

  constructor(private readonly cluster: ClusterClient) {}

  /** Every type served. */
  all(): Promise<ApiResource[]> {
    const nowInMs = Date.now();
    if (this.#cached === undefined || nowInMs - this.#cached.atInMs > FRESH_FOR_MS) {
      const resources = this.cluster.discover().then((found) => [...found, ...SERVER_RESOURCES]);
      // A failed discovery is not kept: the next request asks again.
      resources.catch(() => {
        if (this.#cached?.resources === resources) this.#cached = undefined;
      });
      this.#cached = { atInMs: nowInMs, resources };
    }
    return this.#cached.resources;
  }

  /** The type of a group and resource plural, or `undefined` when it is not served even after a fresh look. */
  async find(group: string, resource: string): Promise<ApiResource | undefined> {
    const match = (types: ApiResource[]) => types.find((type) => type.group === group && type.resource === resource);
    const found = match(await this.all());
    if (found !== undefined) return found;
    this.invalidate();
    return match(await this.all());
  }

  /** Forgets the last discovery, after a write that may change the served types. */
  invalidate(): void {
    this.#cached = undefined;
  }
}
