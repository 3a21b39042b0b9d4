import { describe, expect, it } from "vitest";
import { checkPermissions, collect, isKBackupError, KBackupError, type ClusterClient, type KubeObject, type ResourceRef } from "@kbackup/core";
import { MemoryCluster, MemoryObjectStore } from "@kbackup/adapter-memory";
import { faultyCluster, faultyObjectStore, type FaultPlan } from "@kbackup/testing";

const bytes = (text: string) => new TextEncoder().encode(text);

async function* chunks(size: number, chunkSize: number): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < size; offset += chunkSize) yield new Uint8Array(Math.min(chunkSize, size - offset)).fill(7);
}

async function failure(promise: Promise<unknown>): Promise<KBackupError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!isKBackupError(error)) throw new Error(`expected a KBackupError, got ${String(error)}`);
  return error;
}

describe("faultyObjectStore", () => {
  it("passes calls through to the inner store and records each one", async () => {
    const inner = new MemoryObjectStore();
    const store = faultyObjectStore(inner, []);
    expect(store.capabilities).toBe(inner.capabilities);
    await store.put("a", bytes("1"));
    await store.put("b", bytes("2"));
    expect((await store.get("a"))?.body).toEqual(bytes("1"));
    expect(await store.head("b")).toMatchObject({ key: "b", size: 1 });
    expect((await collect(store.list(""))).map((info) => info.key)).toEqual(["a", "b"]);
    expect(await store.delete("a")).toBe(true);
    expect(store.calls.map((call) => [call.operation, call.count, call.args[0]])).toEqual([
      ["put", 1, "a"],
      ["put", 2, "b"],
      ["get", 1, "a"],
      ["head", 1, "b"],
      ["list", 1, ""],
      ["delete", 1, "a"],
    ]);
    expect(store.calls.every((call) => call.fault === undefined)).toBe(true);
  });

  it("fails the nth matching call with an injected KBackupError, once by default", async () => {
    const store = faultyObjectStore(new MemoryObjectStore(), [{ operation: "get", nth: 2, action: { fail: "Unavailable" } }]);
    await store.put("a", bytes("1"));
    expect(await store.get("a")).toBeDefined();
    const error = await failure(store.get("a"));
    expect(error.code).toBe("Unavailable");
    expect(error.message).toMatch(/injected/i);
    expect(error.details).toMatchObject({ injected: true, operation: "get", count: 2 });
    expect(await store.get("a")).toBeDefined();
    expect(store.calls.map((call) => call.fault)).toEqual([undefined, undefined, { fail: "Unavailable" }, undefined]);
  });

  it("fires `times` times from the nth call on, or for ever with Infinity", async () => {
    const store = faultyObjectStore(new MemoryObjectStore(), [
      { operation: "head", nth: 2, times: 2, action: { fail: "Throttled" } },
      { operation: "delete", times: Number.POSITIVE_INFINITY, action: { fail: "PermissionDenied" } },
    ]);
    const heads = await Promise.allSettled([1, 2, 3, 4].map(() => store.head("x")));
    expect(heads.map((result) => (result.status === "fulfilled" ? "ok" : (result.reason as KBackupError).code))).toEqual(["ok", "Throttled", "Throttled", "ok"]);
    for (let index = 0; index < 5; index++) expect((await failure(store.delete("x"))).code).toBe("PermissionDenied");
  });

  it("fires only on calls that pass `when`, counting only those for `nth`", async () => {
    const inner = new MemoryObjectStore();
    const store = faultyObjectStore(inner, [
      { operation: "put", when: (call) => String(call.args[0]).endsWith(".json"), nth: 2, action: { fail: "Unavailable", message: "the manifest write failed" } },
    ]);
    await store.put("1.json", bytes("{}"));
    await store.put("data.bin", bytes("x"));
    const error = await failure(store.put("2.json", bytes("{}")));
    expect(error.message).toBe("Injected fault: the manifest write failed");
    await store.put("3.json", bytes("{}"));
    expect((await collect(inner.list(""))).map((info) => info.key)).toEqual(["1.json", "3.json", "data.bin"]);
  });

  it('matches any operation with "*", throws a given Error as it is, and the first rule that fires wins', async () => {
    const own = new Error("a disk fell off");
    const store = faultyObjectStore(new MemoryObjectStore(), [
      { operation: "*", nth: 3, action: { fail: own } },
      { operation: "head", action: { fail: "Throttled" } },
      { operation: "head", action: { fail: "Unavailable" } },
    ]);
    expect((await failure(store.head("a"))).code).toBe("Throttled");
    expect((await failure(store.head("a"))).code).toBe("Unavailable");
    await expect(store.get("a")).rejects.toBe(own);
    expect(await store.get("a")).toBeUndefined();
  });

  it("delays a call, which then goes ahead; an abort ends the wait with Aborted", async () => {
    const store = faultyObjectStore(new MemoryObjectStore(), [{ operation: "put", times: 2, action: { delayInMs: 5 } }, { operation: "get", action: { delayInMs: 3_600_000 } }]);
    expect((await store.put("a", bytes("1"))).size).toBe(1);
    const controller = new AbortController();
    const waiting = store.get("a", { abortSignal: controller.signal });
    controller.abort();
    expect((await failure(waiting)).code).toBe("Aborted");
    expect(store.calls[0]?.fault).toEqual({ delayInMs: 5 });
  });

  it("hangs a call until it is aborted, and the inner store never sees it", async () => {
    const inner = new MemoryObjectStore();
    const store = faultyObjectStore(inner, [{ operation: "put", action: { hang: true } }]);
    const controller = new AbortController();
    let settled = false;
    const hanging = store.put("a", bytes("1"), { abortSignal: controller.signal }).finally(() => (settled = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    controller.abort();
    expect((await failure(hanging)).code).toBe("Aborted");
    expect(await inner.head("a")).toBeUndefined();
    await store.put("a", bytes("2"));
    expect((await inner.get("a"))?.body).toEqual(bytes("2"));
  });

  it("cuts a streamed put after the given bytes: the put fails and the store shows nothing", async () => {
    const inner = new MemoryObjectStore();
    const store = faultyObjectStore(inner, [{ operation: "put", times: 3, action: { cutAfterBytes: 1000 } }]);
    let seen = 0;
    const counted = async function* () {
      for await (const chunk of chunks(10_000, 300)) {
        seen += chunk.length;
        yield chunk;
      }
    };
    const error = await failure(store.put("big", counted()));
    expect(error.code).toBe("Unavailable");
    expect(error.message).toMatch(/injected.*1000 bytes/i);
    expect(seen).toBeLessThan(10_000);
    // A body of bytes is cut too, and so is one shorter than the cut: the store never sees its end.
    expect((await failure(store.put("bytes", new Uint8Array(5000)))).code).toBe("Unavailable");
    expect((await failure(store.put("short", bytes("tiny")))).code).toBe("Unavailable");
    expect(await collect(inner.list(""))).toEqual([]);
  });

  it("cuts the body getStream returns after the given bytes", async () => {
    const inner = new MemoryObjectStore({ streamChunkSizeInBytes: 256 });
    await inner.put("big", new Uint8Array(4096));
    const store = faultyObjectStore(inner, [{ operation: "getStream", action: { cutAfterBytes: 1000 } }]);
    const stream = await store.getStream("big");
    let received = 0;
    const error = await failure(
      (async () => {
        for await (const chunk of stream?.body ?? []) received += chunk.length;
      })(),
    );
    expect(error.code).toBe("Unavailable");
    expect(received).toBe(1000);
    expect((await inner.get("big"))?.body.length).toBe(4096);
    // A call that carries no stream fails at once.
    const cutHead = faultyObjectStore(inner, [{ operation: "head", action: { cutAfterBytes: 10 } }]);
    expect((await failure(cutHead.head("big"))).code).toBe("Unavailable");
  });

  it("fails the chosen page of a list, each page fetch being one list call", async () => {
    const inner = new MemoryObjectStore();
    for (let index = 0; index < 250; index++) await inner.put(`k/${String(index).padStart(3, "0")}`, bytes("x"));
    const store = faultyObjectStore(inner, [{ operation: "list", when: (call) => call.page === 3, action: { fail: "Throttled" } }]);
    const seen: number[] = [];
    const error = await failure(
      (async () => {
        for await (const page of store.list("k/").byPage({ maxPageSize: 100 })) seen.push(page.items.length);
      })(),
    );
    expect(error.code).toBe("Throttled");
    expect(seen).toEqual([100, 100]);
    expect(store.calls.map((call) => [call.operation, call.page, call.count])).toEqual([
      ["list", 1, 1],
      ["list", 2, 2],
      ["list", 3, 3],
    ]);
    const retried = await collect(store.list("k/").byPage({ maxPageSize: 100 }));
    expect(retried.map((page) => page.items.length)).toEqual([100, 100, 50]);
  });

  it("rejects a malformed plan with InvalidArgument naming the rule", () => {
    const bad: unknown[] = [
      "not an array",
      [{ action: { fail: "Unavailable" } }],
      [{ operation: "get", action: { fail: "NoSuchCode" } }],
      [{ operation: "get", action: { fail: "Unavailable", delayInMs: 1 } }],
      [{ operation: "get", action: {} }],
      [{ operation: "get", nth: 0, action: { hang: true } }],
      [{ operation: "get", times: 0, action: { hang: true } }],
      [{ operation: "get", action: { hang: false } }],
      [{ operation: "get", action: { delayInMs: -1 } }],
      [{ operation: "get", action: { cutAfterBytes: 1.5 } }],
    ];
    for (const plan of bad) {
      expect(() => faultyObjectStore(new MemoryObjectStore(), plan as FaultPlan), JSON.stringify(plan)).toThrow(
        expect.objectContaining({ code: "InvalidArgument", message: expect.stringMatching(/^plan/) }),
      );
    }
  });
});

describe("faultyCluster", () => {
  const configMaps: ResourceRef = { group: "", version: "v1", resource: "configmaps" };
  const namespaces: ResourceRef = { group: "", version: "v1", resource: "namespaces" };
  const configMap = (name: string): KubeObject => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "shop" }, data: { name } });

  async function shop(count: number): Promise<MemoryCluster> {
    const cluster = new MemoryCluster({ identity: { name: "shop-cluster", region: "westeurope" } });
    await cluster.create(namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: "shop" } });
    for (let index = 0; index < count; index++) await cluster.create(configMaps, configMap(`cm-${String(index).padStart(2, "0")}`));
    return cluster;
  }

  it("passes identity, capabilities and calls through, and records each call", async () => {
    const inner = await shop(1);
    const cluster = faultyCluster(inner, []);
    expect(cluster.identity).toEqual({ name: "shop-cluster", region: "westeurope" });
    expect(cluster.capabilities).toEqual(inner.capabilities);
    await cluster.create(configMaps, configMap("extra"));
    await cluster.patch(configMaps, "extra", { data: { patched: "yes" } }, { namespace: "shop", patchType: "merge" });
    expect((await cluster.get(configMaps, "extra", { namespace: "shop" }))?.data).toEqual({ name: "extra", patched: "yes" });
    expect(await cluster.delete(configMaps, "extra", { namespace: "shop" })).toBe(true);
    expect((await cluster.discover()).some((resource) => resource.resource === "configmaps")).toBe(true);
    expect(cluster.calls.map((call) => call.operation)).toEqual(["create", "patch", "get", "delete", "discover"]);
  });

  it.each([
    ["Throttled", "429"],
    ["Unavailable", "5xx"],
    ["Expired", "410"],
  ] as const)("fails page 3 of a list with %s (%s), and a restarted list completes", async (code, _status) => {
    const cluster = faultyCluster(await shop(25), [{ operation: "list", when: (call) => call.page === 3, action: { fail: code } }]);
    const names: string[] = [];
    const error = await failure(
      (async () => {
        for await (const page of cluster.list(configMaps, { namespace: "shop" }).byPage({ maxPageSize: 10 })) {
          names.push(...page.items.map((item) => item.metadata.name ?? ""));
        }
      })(),
    );
    expect(error.code).toBe(code);
    expect(error.message).toMatch(/injected/i);
    expect(names).toHaveLength(20);
    const all = await collect(cluster.list(configMaps, { namespace: "shop" }).byPage({ maxPageSize: 10 }));
    expect(all.flatMap((page) => page.items)).toHaveLength(25);
  });

  it("hangs a create until aborted, creating nothing", async () => {
    const inner = await shop(0);
    const cluster = faultyCluster(inner, [{ operation: "create", nth: 2, action: { hang: true } }]);
    const controller = new AbortController();
    await cluster.create(configMaps, configMap("first"), { abortSignal: controller.signal });
    const hanging = cluster.create(configMaps, configMap("second"), { abortSignal: controller.signal });
    await new Promise((resolve) => setImmediate(resolve));
    controller.abort();
    expect((await failure(hanging)).code).toBe("Aborted");
    expect((await collect(inner.list(configMaps, { namespace: "shop" }))).map((item) => item.metadata.name)).toEqual(["first"]);
  });

  it("passes checkAccess through when the inner cluster has it, recording and faulting it like any call", async () => {
    const inner = await shop(0);
    inner.setPermissions([{ verbs: ["get", "list"], groups: [""], resources: ["*"] }]);
    const cluster = faultyCluster(inner, [{ operation: "checkAccess", nth: 2, action: { fail: "Unavailable" } }]);
    const checks = [
      { group: "", resource: "configmaps", verb: "list" },
      { group: "", resource: "configmaps", verb: "create", namespace: "shop" },
    ];
    expect(await cluster.checkAccess?.(checks)).toEqual([true, false]);
    expect((await failure(cluster.checkAccess!(checks))).code).toBe("Unavailable");
    expect(cluster.calls.map((call) => [call.operation, call.count, call.args[0], call.fault])).toEqual([
      ["checkAccess", 1, checks, undefined],
      ["checkAccess", 2, checks, { fail: "Unavailable" }],
    ]);
    // Preflight checks see a client that can answer, and name what it refuses.
    const findings = await checkPermissions(faultyCluster(inner, []), [{ ...checks[1]!, purpose: "to restore its objects" }]);
    expect(findings.map((finding) => [finding.severity, finding.code, finding.target])).toEqual([["Error", "PermissionMissing", "configmaps"]]);
  });

  it("has no checkAccess when the inner cluster has none", async () => {
    const inner = await shop(0);
    const withoutCheck: ClusterClient = {
      get identity() {
        return inner.identity;
      },
      get capabilities() {
        return inner.capabilities;
      },
      discover: (options) => inner.discover(options),
      list: (resource, options) => inner.list(resource, options),
      get: (resource, name, options) => inner.get(resource, name, options),
      create: (resource, object, options) => inner.create(resource, object, options),
      patch: (resource, name, patch, options) => inner.patch(resource, name, patch, options),
      replace: (resource, object, options) => inner.replace(resource, object, options),
      delete: (resource, name, options) => inner.delete(resource, name, options),
      exec: (pod, container, argv, options) => inner.exec(pod, container, argv, options),
      waitForContainer: (pod, container, options) => inner.waitForContainer(pod, container, options),
    };
    const cluster = faultyCluster(withoutCheck, []);
    expect("checkAccess" in cluster).toBe(false);
    const findings = await checkPermissions(cluster, [{ group: "", resource: "configmaps", verb: "list", purpose: "to back up its objects" }]);
    expect(findings.map((finding) => [finding.severity, finding.code])).toEqual([["Warning", "PermissionCheckUnavailable"]]);
  });

  it("delays a patch, fails an exec, and cuts a call that carries no stream with Unavailable", async () => {
    const cluster = faultyCluster(await shop(1), [
      { operation: "patch", action: { delayInMs: 2 } },
      { operation: "exec", action: { fail: "Timeout" } },
      { operation: "discover", action: { cutAfterBytes: 0 } },
    ]);
    const patched = await cluster.patch(configMaps, "cm-00", { data: { a: "b" } }, { namespace: "shop", patchType: "merge" });
    expect(patched.data).toEqual({ name: "cm-00", a: "b" });
    expect((await failure(cluster.exec({ namespace: "shop", name: "pod" }, "main", ["true"]))).code).toBe("Timeout");
    expect((await failure(cluster.discover())).code).toBe("Unavailable");
    expect(cluster.calls.map((call) => [call.operation, call.fault !== undefined])).toEqual([
      ["patch", true],
      ["exec", true],
      ["discover", true],
    ]);
  });
});
