import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KubeConfig } from "@kubernetes/client-node";
import { collect, isKBackupError, type KBackupErrorCode, type KubeObject, type ResourceRef } from "@kbackup/core";
import { MemoryCluster } from "@kbackup/adapter-memory";
import { KubernetesCluster } from "@kbackup/adapter-kubernetes";
import { startLocalApiServer, type LocalApiServer } from "@kbackup/testing";
import { TokenBucket } from "../src/token-bucket.js";

const CONFIG_MAPS: ResourceRef = { group: "", version: "v1", resource: "configmaps" };
const PODS: ResourceRef = { group: "", version: "v1", resource: "pods" };
const NAMESPACES: ResourceRef = { group: "", version: "v1", resource: "namespaces" };

let cluster: MemoryCluster;
let server: LocalApiServer;
let other: LocalApiServer;
const requests: string[] = [];
const clients: KubernetesCluster[] = [];

function client(options: ConstructorParameters<typeof KubernetesCluster>[0] = {}): KubernetesCluster {
  const made = new KubernetesCluster({ kubeConfig: { path: server.kubeconfigPath }, ...options });
  clients.push(made);
  return made;
}

async function rejectsWith(call: () => Promise<unknown>, code: KBackupErrorCode): Promise<Error> {
  try {
    await call();
  } catch (error) {
    expect(isKBackupError(error) ? error.code : String(error)).toBe(code);
    return error as Error;
  }
  throw new Error(`expected ${code}, but the call succeeded`);
}

beforeAll(async () => {
  cluster = new MemoryCluster({ identity: { name: "memory" } });
  cluster.load([
    { apiVersion: "v1", kind: "Namespace", metadata: { name: "app" } },
    { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings", namespace: "app" }, data: { a: "1" } },
    { apiVersion: "v1", kind: "Pod", metadata: { name: "web", namespace: "app" }, spec: { containers: [{ name: "main", image: "example.invalid/web:1" }] }, status: { phase: "Pending" } },
  ]);
  server = await startLocalApiServer({ cluster, contextName: "aks-west", watchPollIntervalInMs: 20, onRequest: ({ method, path }) => requests.push(`${method} ${path}`) });
  other = await startLocalApiServer({ cluster: new MemoryCluster(), contextName: "aks-east" });
});

afterAll(async () => {
  for (const made of clients) made.close();
  await server?.stop();
  await other?.stop();
});

describe("kubeconfig", () => {
  it("names the cluster after the context's cluster, with the identity options beside it", () => {
    const made = client({ identity: { region: "westeurope", subscriptionId: "sub-1" } });
    expect(made.identity).toEqual({ name: "aks-west", region: "westeurope", subscriptionId: "sub-1" });
  });

  it("takes a KubeConfig, a path or YAML text, and switches to a named context", async () => {
    const merged = new KubeConfig();
    merged.loadFromString(server.kubeConfigYaml);
    const second = new KubeConfig();
    second.loadFromString(other.kubeConfigYaml.replaceAll("kbackup-admin", "east-admin"));
    merged.mergeConfig(second, true);
    expect(merged.getCurrentContext()).toBe("aks-west");
    const east = client({ kubeConfig: merged, context: "aks-east" });
    expect(east.identity.name).toBe("aks-east");
    expect(merged.getCurrentContext()).toBe("aks-west");
    // The east server's cluster is empty.
    expect(await east.get(CONFIG_MAPS, "settings", { namespace: "app" })).toBeUndefined();
    const west = client({ kubeConfig: merged });
    expect((await west.get(CONFIG_MAPS, "settings", { namespace: "app" }))?.["data"]).toEqual({ a: "1" });
    expect(client({ kubeConfig: { yaml: server.kubeConfigYaml } }).identity.name).toBe("aks-west");
  });

  it("refuses an unknown context or an unreadable file with InvalidArgument", () => {
    expect(() => new KubernetesCluster({ kubeConfig: { path: server.kubeconfigPath }, context: "nowhere" })).toThrow(/context/);
    expect(() => new KubernetesCluster({ kubeConfig: { path: "/nonexistent/kubeconfig" } })).toThrow(/kubeConfig/);
    expect(() => new KubernetesCluster({ kubeConfig: { path: server.kubeconfigPath }, qps: 0 })).toThrow(/qps/);
  });
});

describe("requests", () => {
  it("fills in the apiVersion and kind of list items and maps the scope of types", async () => {
    const [item] = await collect(client().list(CONFIG_MAPS, { namespace: "app" }));
    expect(item).toMatchObject({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings" } });
    await rejectsWith(() => collect(client().list(NAMESPACES, { namespace: "app" })), "InvalidArgument");
    await rejectsWith(() => client().get({ group: "example.com", version: "v1", resource: "gizmos" }, "x", { namespace: "app" }), "NotFound");
    await rejectsWith(() => client().create(CONFIG_MAPS, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "no-namespace" } }), "InvalidArgument");
  });

  it("retries 429 and 5xx answers, honouring Retry-After, and maps them once the retries run out", async () => {
    const made = client();
    await made.get(CONFIG_MAPS, "settings", { namespace: "app" });
    requests.length = 0;
    server.failNextRequests(2, 429, { retryAfterInSeconds: 0 });
    expect((await made.get(CONFIG_MAPS, "settings", { namespace: "app" }))?.["data"]).toEqual({ a: "1" });
    expect(requests.filter((request) => request === "GET /api/v1/namespaces/app/configmaps/settings")).toHaveLength(3);
    server.failNextRequests(2, 503);
    expect(await made.get(CONFIG_MAPS, "settings", { namespace: "app" })).toBeDefined();
    const impatient = client({ maxRetries: 1, maxRetryDelayInMs: 10 });
    await impatient.get(CONFIG_MAPS, "settings", { namespace: "app" });
    server.failNextRequests(2, 429, { retryAfterInSeconds: 0 });
    await rejectsWith(() => impatient.get(CONFIG_MAPS, "settings", { namespace: "app" }), "Throttled");
    server.failNextRequests(2, 500);
    await rejectsWith(() => impatient.get(CONFIG_MAPS, "settings", { namespace: "app" }), "Unavailable");
    server.failNextRequests(0, 500);
  });

  it("a stopped server is Unavailable", async () => {
    const lonely = await startLocalApiServer({ cluster: new MemoryCluster() });
    const made = new KubernetesCluster({ kubeConfig: { yaml: lonely.kubeConfigYaml }, maxRetries: 1, maxRetryDelayInMs: 10 });
    clients.push(made);
    await lonely.stop();
    await rejectsWith(() => made.discover(), "Unavailable");
  });

  it("reads the cluster's OpenAPI v3 document for strategic merge patch metadata", async () => {
    const made = client();
    const schema = await made.patchSchema("apps/v1", "Deployment");
    const containers = schema?.fields?.["spec"]?.fields?.["template"]?.fields?.["spec"]?.fields?.["containers"];
    expect(containers).toMatchObject({ type: "list", patchStrategy: "merge", patchMergeKey: "name" });
    expect(await made.openApiV3("nothing.example.com/v1")).toBeUndefined();
  });
});

describe("exec and waiting", () => {
  it("a container that is not running is PreconditionFailed for exec; waiting for it resolves once it runs", async () => {
    const made = client();
    await rejectsWith(() => made.exec({ namespace: "app", name: "web" }, "main", ["true"]), "PreconditionFailed");
    const waiting = made.waitForContainer({ namespace: "app", name: "web" }, "main", { condition: "ready", timeoutInMs: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    cluster.setPodState({ namespace: "app", name: "web" }, { phase: "Running", ready: true });
    await waiting;
    cluster.onExec(() => ({ exitCode: 0, stdout: "é".repeat(10), stderr: "" }), { pod: "web" });
    const result = await made.exec({ namespace: "app", name: "web" }, "main", ["print"], { maxOutputBytes: 5 });
    // The last 5 bytes, cut on a character boundary.
    expect(result.stdout).toBe("éé");
  });

  it("a pod deleted while waiting is NotFound", async () => {
    const made = client();
    await made.create(PODS, { apiVersion: "v1", kind: "Pod", metadata: { name: "doomed", namespace: "app" }, spec: { containers: [{ name: "main", image: "x" }] } } as KubeObject);
    cluster.setPodState({ namespace: "app", name: "doomed" }, { phase: "Pending" });
    const waiting = made.waitForContainer({ namespace: "app", name: "doomed" }, "main", { condition: "running", timeoutInMs: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await made.delete(PODS, "doomed", { namespace: "app" });
    await rejectsWith(() => waiting, "NotFound");
  });
});

describe("rate limit", () => {
  it("lets a burst through and holds the next request until a token comes", async () => {
    const bucket = new TokenBucket(1, 2);
    await bucket.take();
    await bucket.take();
    let third = false;
    const pending = bucket.take(AbortSignal.timeout(5_000)).then(() => (third = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(third).toBe(false);
    await pending.catch(() => undefined);
    const controller = new AbortController();
    const aborted = bucket.take(controller.signal);
    controller.abort();
    await rejectsWith(() => aborted, "Aborted");
  });
});
