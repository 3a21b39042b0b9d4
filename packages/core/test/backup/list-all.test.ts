import { describe, expect, it } from "vitest";
import { KBackupError, pagedIterator, type ClusterClient, type KubeObject, type Page } from "@kbackup/core";
import { listAll } from "../../src/backup/list-all.js";

const CONFIGMAPS = { group: "", version: "v1", resource: "configmaps" };
const object = (name: string): KubeObject => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { namespace: "ns", name } });
const instantClock = { now: () => new Date(0), sleep: async () => undefined };

/** A cluster whose `list` answers each page from `answer`, which sees every token asked for. */
function listingCluster(answer: (token: string | undefined, call: number) => Page<KubeObject>): { cluster: ClusterClient; tokens: Array<string | undefined> } {
  const tokens: Array<string | undefined> = [];
  const cluster = {
    list: () =>
      pagedIterator(async (token) => {
        tokens.push(token);
        // A safety net for the test itself: a listing that never ends would otherwise hang it.
        if (tokens.length > 1000) throw new Error("The list was asked for more than 1000 pages.");
        return answer(token, tokens.length);
      }),
  } as unknown as ClusterClient;
  return { cluster, tokens };
}

async function names(cluster: ClusterClient): Promise<string[]> {
  const out: string[] = [];
  for await (const page of listAll(cluster, CONFIGMAPS, { pageSize: 2, clock: instantClock })) out.push(...page.map((item) => item.metadata.name ?? ""));
  return out;
}

/** Three pages of two objects: a, b | c, d | e. */
const pages: Record<string, Page<KubeObject>> = {
  start: { items: [object("a"), object("b")], continuationToken: "t1" },
  t1: { items: [object("c"), object("d")], continuationToken: "t2" },
  t2: { items: [object("e")] },
};

describe("listAll", () => {
  it("retries a page that fails with a transient error from that page's token", async () => {
    const { cluster, tokens } = listingCluster((token, call) => {
      if (call === 2) throw new KBackupError("Throttled", "Too many requests.");
      return pages[token ?? "start"]!;
    });
    expect(await names(cluster)).toEqual(["a", "b", "c", "d", "e"]);
    expect(tokens).toEqual([undefined, "t1", "t1", "t2"]);
  });

  it("restarts a list whose token expired, and yields no object twice", async () => {
    const { cluster, tokens } = listingCluster((token, call) => {
      if (call === 3) throw new KBackupError("Expired", "The continuation token expired.");
      return pages[token ?? "start"]!;
    });
    expect(await names(cluster)).toEqual(["a", "b", "c", "d", "e"]);
    expect(tokens).toEqual([undefined, "t1", "t2", undefined, "t1", "t2"]);
  });

  it("gives up after five restarts of a list that keeps expiring", async () => {
    const { cluster, tokens } = listingCluster((token) => {
      if (token === "t1") throw new KBackupError("Expired", "The continuation token expired.");
      return pages[token ?? "start"]!;
    });
    await expect(names(cluster)).rejects.toMatchObject({ code: "Expired" });
    expect(tokens.filter((token) => token === undefined)).toHaveLength(6);
  });

  it("fails, rather than listing for ever, when the server hands back a token it gave before", async () => {
    const { cluster } = listingCluster((token) => (token === undefined ? { items: [object("a")], continuationToken: "again" } : { items: [], continuationToken: "again" }));
    await expect(names(cluster)).rejects.toMatchObject({ name: "KBackupError", code: "Adapter" });
  });

  it("fails on a cycle of tokens too", async () => {
    const next: Record<string, string> = { start: "x", x: "y", y: "x" };
    const { cluster } = listingCluster((token) => ({ items: [object(token ?? "start")], continuationToken: next[token ?? "start"]! }));
    await expect(names(cluster)).rejects.toMatchObject({ name: "KBackupError", code: "Adapter" });
  });

  it("follows empty pages that carry a new token, as a filtered list may return", async () => {
    const chain: Record<string, Page<KubeObject>> = {
      start: { items: [], continuationToken: "p1" },
      p1: { items: [], continuationToken: "p2" },
      p2: { items: [object("z")] },
    };
    const { cluster } = listingCluster((token) => chain[token ?? "start"]!);
    expect(await names(cluster)).toEqual(["z"]);
  });
});
