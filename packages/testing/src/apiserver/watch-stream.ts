import { collect, type ClusterClient, type KubeObject, type ListKubeObjectsOptions, type ResourceRef } from "@kbackup/core";

/** One line of a watch stream. */
export interface WatchEvent {
  type: "ADDED" | "MODIFIED" | "DELETED";
  object: KubeObject;
}

/** What a `?watch=true` request asks for. */
export interface WatchRequest {
  list: ListKubeObjectsOptions;
  /** Events after this version only; omitted or "0": every current object as ADDED first. */
  resourceVersion?: string;
  pollIntervalInMs: number;
}

/**
 * Watches objects of one type for a `?watch=true` request over any `ClusterClient`, which has no
 * change feed: the watch lists the objects again every `pollIntervalInMs` and reports what was
 * added, changed (another resourceVersion) or deleted since, in the list's order. Several changes
 * of one object between two looks are one MODIFIED event, as a compacted watch would report them.
 * With a `resourceVersion`, objects at or below it (compared as numbers when both are) are taken
 * as known. `start` lists once and throws what the list throws, before anything is written.
 */
export class PolledWatch {
  readonly #known = new Map<string, KubeObject>();

  private constructor(
    private readonly cluster: ClusterClient,
    private readonly resource: ResourceRef,
    private readonly request: WatchRequest,
  ) {}

  /** Lists once and returns the watch with its first events. */
  static async start(cluster: ClusterClient, resource: ResourceRef, request: WatchRequest): Promise<{ watch: PolledWatch; initial: WatchEvent[] }> {
    const watch = new PolledWatch(cluster, resource, request);
    const objects = await watch.#list(undefined);
    const since = numeric(request.resourceVersion);
    const initial: WatchEvent[] = [];
    for (const object of objects) {
      watch.#known.set(keyOf(object), object);
      const version = numeric(object.metadata.resourceVersion);
      if (since === undefined || since === 0 || version === undefined || version > since) initial.push({ type: "ADDED", object });
    }
    return { watch, initial };
  }

  /** Waits a poll interval, lists again and returns what changed; `[]` when aborted. */
  async next(signal: AbortSignal): Promise<WatchEvent[]> {
    await sleep(this.request.pollIntervalInMs, signal);
    if (signal.aborted) return [];
    const objects = await this.#list(signal);
    const events: WatchEvent[] = [];
    const seen = new Set<string>();
    for (const object of objects) {
      const key = keyOf(object);
      seen.add(key);
      const before = this.#known.get(key);
      if (before === undefined || before.metadata.uid !== object.metadata.uid) {
        if (before !== undefined) events.push({ type: "DELETED", object: before });
        events.push({ type: "ADDED", object });
      } else if (before.metadata.resourceVersion !== object.metadata.resourceVersion) {
        events.push({ type: "MODIFIED", object });
      }
      this.#known.set(key, object);
    }
    for (const [key, object] of this.#known) {
      if (seen.has(key)) continue;
      this.#known.delete(key);
      events.push({ type: "DELETED", object });
    }
    return events;
  }

  #list(signal: AbortSignal | undefined): Promise<KubeObject[]> {
    return collect(this.cluster.list(this.resource, { ...this.request.list, ...(signal === undefined ? {} : { abortSignal: signal }) }));
  }
}

function keyOf(object: KubeObject): string {
  return `${object.metadata.namespace ?? ""}/${object.metadata.name ?? ""}`;
}

function numeric(version: string | undefined): number | undefined {
  if (version === undefined || !/^\d+$/.test(version)) return undefined;
  const value = Number(version);
  return Number.isSafeInteger(value) ? value : undefined;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}
