import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiException, AuthorizationV1Api, CoreV1Api, Exec, KubeConfig, KubernetesObjectApi, Watch, type V1Status } from "@kubernetes/client-node";
import type { KubeObject } from "@kbackup/core";
import { MemoryCluster } from "@kbackup/adapter-memory";
import { sampleCluster, startLocalApiServer, type LocalApiServer } from "@kbackup/testing";
import { ensureKubectl, kubectl, kubectlJson } from "./kubectl.js";

// The local API server driven by two independent clients, kubectl and @kubernetes/client-node,
// whose answers are compared with each other and with the memory cluster behind the server.
let cluster: MemoryCluster;
let server: LocalApiServer;
let readOnlyConfig: string;
let directory: string;
const kubeConfig = new KubeConfig();
const readOnly = new KubeConfig();

beforeAll(async () => {
  ensureKubectl();
  cluster = await sampleCluster();
  cluster.onExec(({ argv }) => {
    const [command, ...args] = argv;
    if (command === "echo") return { exitCode: 0, stdout: `${args.join(" ")}\n`, stderr: "" };
    return { exitCode: Number(args[0] ?? 1), stdout: "", stderr: `${command} failed\n` };
  });
  server = await startLocalApiServer({ cluster, tokens: { "admin-token": "admin", "reader-token": "read-only" } });
  kubeConfig.loadFromFile(server.kubeconfigPath);
  readOnly.loadFromString(server.kubeConfigYamlFor("reader-token"));
  directory = await mkdtemp(join(tmpdir(), "kbackup-apiserver-"));
  readOnlyConfig = join(directory, "reader");
  await writeFile(readOnlyConfig, server.kubeConfigYamlFor("reader-token"));
});

afterAll(async () => {
  await server?.stop();
  if (directory !== undefined) await rm(directory, { recursive: true, force: true });
});

/** The HTTP code and `Status` body of a client-node error (client-node keeps no body for a 401). */
function statusOf(error: unknown): V1Status & { code?: number } {
  expect(error).toBeInstanceOf(ApiException);
  const { body, code } = error as ApiException<unknown>;
  return { ...((typeof body === "string" ? JSON.parse(body) : body) as V1Status | undefined), code };
}

async function failure(call: () => Promise<unknown>): Promise<V1Status & { code?: number }> {
  try {
    await call();
  } catch (error) {
    return statusOf(error);
  }
  throw new Error("the call succeeded");
}

async function applyFile(config: string, name: string, objects: KubeObject[]): Promise<string> {
  const path = join(directory, name);
  await writeFile(path, objects.map((object) => JSON.stringify(object)).join("\n"));
  return kubectl(config, "apply", "-f", path);
}

describe("kubectl and client-node see the same cluster", () => {
  it("lists the same objects with the same uids and versions as the cluster holds", async () => {
    const byKubectl = await kubectlJson<{ items: KubeObject[] }>(server.kubeconfigPath, "get", "configmaps", "-n", "shop");
    const byClient = await kubeConfig.makeApiClient(CoreV1Api).listNamespacedConfigMap({ namespace: "shop" });
    const key = (object: { metadata?: { name?: string; uid?: string; resourceVersion?: string } }) => `${object.metadata?.name} ${object.metadata?.uid} ${object.metadata?.resourceVersion}`;
    expect(byKubectl.items.map(key)).toEqual(byClient.items.map(key));
    const stored = [];
    for await (const object of cluster.list({ group: "", version: "v1", resource: "configmaps" }, { namespace: "shop" })) stored.push(key(object));
    expect(byKubectl.items.map(key)).toEqual(stored);
  });

  it("kubectl apply creates and then patches strategically what client-node reads back", async () => {
    const deployment = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "applied", namespace: "shop", labels: { app: "applied" } },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: "applied" } },
        template: { metadata: { labels: { app: "applied" } }, spec: { containers: [{ name: "app", image: "example.invalid/app:1", env: [{ name: "A", value: "1" }] }] } },
      },
    };
    expect(await applyFile(server.kubeconfigPath, "applied.json", [deployment])).toContain("deployment.apps/applied created");
    const objects = KubernetesObjectApi.makeApiClient(kubeConfig);
    const created = await objects.read({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "applied", namespace: "shop" } });
    expect(created.metadata?.annotations?.["kubectl.kubernetes.io/last-applied-configuration"]).toContain("example.invalid/app:1");
    deployment.spec.replicas = 3;
    deployment.spec.template.spec.containers[0]!.image = "example.invalid/app:2";
    expect(await applyFile(server.kubeconfigPath, "applied.json", [deployment])).toContain("deployment.apps/applied configured");
    const read = (await objects.read({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "applied", namespace: "shop" } })) as KubeObject;
    expect(read["spec"]).toMatchObject({ replicas: 3, template: { spec: { containers: [{ name: "app", image: "example.invalid/app:2", env: [{ name: "A", value: "1" }] }] } } });
    expect(read.metadata.generation).toBe(2);
  });

  it("kubectl patch --type strategic, merge and json give what client-node reads", async () => {
    const ns = ["-n", "shop"];
    await kubectl(server.kubeconfigPath, "patch", "deployment", "web", ...ns, "--type", "strategic", "-p", JSON.stringify({ spec: { template: { spec: { containers: [{ name: "web", env: [{ name: "ADDED", value: "yes" }] }] } } } }));
    const afterStrategic = (await kubectlJson(server.kubeconfigPath, "get", "deployment", "web", ...ns)) as KubeObject;
    const containers = (afterStrategic["spec"] as { template: { spec: { containers: Array<{ name: string; env?: Array<{ name: string }> }> } } }).template.spec.containers;
    expect(containers.find((container) => container.name === "web")?.env?.map((env) => env.name)).toContain("ADDED");
    await kubectl(server.kubeconfigPath, "patch", "configmap", "web-config", ...ns, "--type", "merge", "-p", JSON.stringify({ data: { MERGED: "1", LOG_LEVEL: null } }));
    await kubectl(server.kubeconfigPath, "patch", "configmap", "web-config", ...ns, "--type", "json", "-p", JSON.stringify([{ op: "add", path: "/data/JSON", value: "2" }]));
    const config = await kubeConfig.makeApiClient(CoreV1Api).readNamespacedConfigMap({ name: "web-config", namespace: "shop" });
    expect(config.data).toMatchObject({ MERGED: "1", JSON: "2" });
    expect(config.data?.["LOG_LEVEL"]).toBeUndefined();
  });

  it("kubectl delete removes what client-node then cannot find (404 NotFound Status)", async () => {
    await applyFile(server.kubeconfigPath, "short-lived.json", [{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "short-lived", namespace: "shop" }, data: { a: "b" } }]);
    expect(await kubectl(server.kubeconfigPath, "delete", "configmap", "short-lived", "-n", "shop")).toContain("deleted");
    const status = await failure(() => kubeConfig.makeApiClient(CoreV1Api).readNamespacedConfigMap({ name: "short-lived", namespace: "shop" }));
    expect(status).toMatchObject({ kind: "Status", status: "Failure", reason: "NotFound", code: 404, details: { name: "short-lived", kind: "configmaps" } });
  });

  it("discovery lists subresources and short names for both clients", async () => {
    const resources = await kubeConfig.makeApiClient(CoreV1Api).getAPIResources();
    const names = resources.resources.map((resource) => resource.name);
    expect(names).toEqual(expect.arrayContaining(["pods", "pods/exec", "pods/status", "configmaps", "persistentvolumeclaims"]));
    expect(resources.resources.find((resource) => resource.name === "pods/exec")?.verbs).toEqual(["create", "get"]);
    const table = await kubectl(server.kubeconfigPath, "api-resources", "--api-group=snapshot.storage.k8s.io");
    expect(table).toMatch(/volumesnapshots\s+vs\s+snapshot\.storage\.k8s\.io\/v1\s+true\s+VolumeSnapshot/);
    // A CRD created at run time is served at once, to kubectl too.
    await applyFile(server.kubeconfigPath, "crd.json", [
      {
        apiVersion: "apiextensions.k8s.io/v1",
        kind: "CustomResourceDefinition",
        metadata: { name: "gadgets.example.org" },
        spec: { group: "example.org", scope: "Namespaced", names: { plural: "gadgets", singular: "gadget", kind: "Gadget", shortNames: ["gd"] }, versions: [{ name: "v1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } } }] },
      },
    ]);
    await applyFile(server.kubeconfigPath, "gadget.json", [{ apiVersion: "example.org/v1", kind: "Gadget", metadata: { name: "g1", namespace: "shop" }, spec: { size: 3 } }]);
    expect((await kubectlJson(server.kubeconfigPath, "get", "gd", "g1", "-n", "shop"))["spec"]).toEqual({ size: 3 });
    // Strategic merge patch is refused for custom resources with Kubernetes' 415.
    await expect(kubectl(server.kubeconfigPath, "patch", "gadget", "g1", "-n", "shop", "--type", "strategic", "-p", '{"spec":{"size":4}}')).rejects.toThrow(/UnsupportedMediaType|not supported/);
  });
});

describe("Kubernetes semantics over HTTP", () => {
  const core = () => kubeConfig.makeApiClient(CoreV1Api);

  it("pages with limit and continue, and answers an expired token with 410 Expired", async () => {
    const first = await core().listConfigMapForAllNamespaces({ limit: 2 });
    expect(first.items).toHaveLength(2);
    expect(first.metadata?._continue).toBeTruthy();
    const second = await core().listConfigMapForAllNamespaces({ limit: 2, _continue: first.metadata?._continue });
    expect(second.items[0]?.metadata?.uid).not.toBe(first.items[0]?.metadata?.uid);
    cluster.expireListTokens();
    const status = await failure(() => core().listConfigMapForAllNamespaces({ limit: 2, _continue: first.metadata?._continue }));
    expect(status).toMatchObject({ kind: "Status", reason: "Expired", code: 410 });
  });

  it("filters by label and field selectors", async () => {
    const byLabel = await core().listPodForAllNamespaces({ labelSelector: "role=database" });
    expect(byLabel.items.map((pod) => `${pod.metadata?.namespace}/${pod.metadata?.name}`)).toEqual(["shop/postgres-0"]);
    const byField = await core().listConfigMapForAllNamespaces({ fieldSelector: "metadata.name=kube-root-ca.crt,metadata.namespace!=kube-system" });
    expect(byField.items.length).toBeGreaterThan(1);
    expect(byField.items.every((item) => item.metadata?.name === "kube-root-ca.crt" && item.metadata.namespace !== "kube-system")).toBe(true);
    const status = await failure(() => core().listNamespacedConfigMap({ namespace: "shop", labelSelector: "a in (b" }));
    expect(status).toMatchObject({ reason: "BadRequest", code: 400 });
  });

  it("answers AlreadyExists, Conflict and Invalid with Kubernetes' Status", async () => {
    const body = { metadata: { name: "contended", namespace: "shop" }, data: { n: "0" } };
    const created = await core().createNamespacedConfigMap({ namespace: "shop", body });
    expect(await failure(() => core().createNamespacedConfigMap({ namespace: "shop", body }))).toMatchObject({ reason: "AlreadyExists", code: 409 });
    await core().replaceNamespacedConfigMap({ name: "contended", namespace: "shop", body: { ...created, data: { n: "1" } } });
    expect(await failure(() => core().replaceNamespacedConfigMap({ name: "contended", namespace: "shop", body: { ...created, data: { n: "2" } } }))).toMatchObject({ reason: "Conflict", code: 409 });
    const invalid = await failure(() => core().createNamespacedConfigMap({ namespace: "shop", body: { metadata: { name: "Not_Valid" } } }));
    expect(invalid).toMatchObject({ reason: "Invalid", code: 422 });
    expect(invalid.details?.causes?.[0]?.field).toBe("metadata.name");
  });

  it("refuses a missing or unknown token (401) and writes with the read-only token (403), which still reads", async () => {
    const anonymous = new KubeConfig();
    anonymous.loadFromString(server.kubeConfigYaml.replace("admin-token", "wrong-token"));
    expect(await failure(() => anonymous.makeApiClient(CoreV1Api).listNamespace())).toMatchObject({ code: 401 });
    await writeFile(join(directory, "nobody"), server.kubeConfigYaml.replace("admin-token", "wrong-token"));
    await expect(kubectl(join(directory, "nobody"), "get", "namespaces")).rejects.toThrow(/Unauthorized/);
    expect((await readOnly.makeApiClient(CoreV1Api).listNamespace()).items.length).toBeGreaterThan(0);
    const forbidden = await failure(() => readOnly.makeApiClient(CoreV1Api).deleteNamespacedConfigMap({ name: "web-config", namespace: "shop" }));
    expect(forbidden).toMatchObject({ reason: "Forbidden", code: 403 });
    await expect(kubectl(readOnlyConfig, "delete", "configmap", "web-config", "-n", "shop")).rejects.toThrow(/Forbidden/);
    await expect(kubectl(readOnlyConfig, "exec", "-n", "shop", "postgres-0", "-c", "postgres", "--", "echo", "hi")).rejects.toThrow(/403|Forbidden/);
    expect((await kubectlJson(readOnlyConfig, "get", "configmap", "web-config", "-n", "shop")).metadata).toBeDefined();
  });

  it("answers SelfSubjectAccessReviews by the token's role", async () => {
    const body = { spec: { resourceAttributes: { verb: "create", group: "", resource: "configmaps", namespace: "shop" } } };
    expect((await kubeConfig.makeApiClient(AuthorizationV1Api).createSelfSubjectAccessReview({ body })).status?.allowed).toBe(true);
    expect((await readOnly.makeApiClient(AuthorizationV1Api).createSelfSubjectAccessReview({ body })).status?.allowed).toBe(false);
    const read = { spec: { resourceAttributes: { verb: "list", group: "", resource: "configmaps" } } };
    expect((await readOnly.makeApiClient(AuthorizationV1Api).createSelfSubjectAccessReview({ body: read })).status?.allowed).toBe(true);
  });

  it("streams watch events as kubectl creates, changes and deletes", async () => {
    const events: string[] = [];
    const done = new Promise<void>((resolve) => {
      void new Watch(kubeConfig)
        .watch("/api/v1/namespaces/blog/configmaps", { fieldSelector: "metadata.name=watched" }, (type, object: KubeObject) => {
          events.push(`${type} ${object.metadata.name} ${JSON.stringify(object["data"] ?? {})}`);
          if (type === "DELETED") resolve();
        }, () => undefined)
        .then((controller) => done.finally(() => controller.abort()));
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await applyFile(server.kubeconfigPath, "watched.json", [{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "watched", namespace: "blog" }, data: { k: "1" } }]);
    await new Promise((resolve) => setTimeout(resolve, 150));
    await kubectl(server.kubeconfigPath, "patch", "configmap", "watched", "-n", "blog", "--type", "merge", "-p", '{"data":{"k":"2"}}');
    await new Promise((resolve) => setTimeout(resolve, 150));
    await kubectl(server.kubeconfigPath, "delete", "configmap", "watched", "-n", "blog");
    await done;
    expect(events).toEqual(['ADDED watched {"k":"1"}', 'MODIFIED watched {"k":"2"}', 'DELETED watched {"k":"2"}']);
  });
});

describe("exec over WebSocket", () => {
  it("kubectl exec gets stdout and the exit code", async () => {
    expect(await kubectl(server.kubeconfigPath, "exec", "-n", "shop", "postgres-0", "-c", "postgres", "--", "echo", "hello", "there")).toBe("hello there\n");
    await expect(kubectl(server.kubeconfigPath, "exec", "-n", "shop", "postgres-0", "-c", "postgres", "--", "false", "3")).rejects.toThrow(/exited 3/);
  });

  it("client-node's Exec speaks v5.channel.k8s.io and reads the exit code from the status channel", async () => {
    const output: Buffer[] = [];
    const stdout = new Writable({ write: (chunk: Buffer, _encoding, callback) => (output.push(chunk), callback()) });
    const status = await new Promise<V1Status>((resolve, reject) => {
      new Exec(kubeConfig).exec("shop", "postgres-0", "postgres", ["false", "7"], stdout, null, null, false, resolve).then((socket) => expect(socket.protocol).toBe("v5.channel.k8s.io"), reject);
    });
    expect(status).toMatchObject({ status: "Failure", reason: "NonZeroExitCode", details: { causes: [{ reason: "ExitCode", message: "7" }] } });
  });

  it("a client offering only v4.channel.k8s.io gets it, with stdout on channel 1 and the Status on channel 3", async () => {
    const frames = await rawExec("v4.channel.k8s.io", "echo%20v4");
    expect(frames.protocol).toBe("v4.channel.k8s.io");
    expect(frames.messages.find((message) => message[0] === 1)?.subarray(1).toString()).toBe("v4\n");
    expect(JSON.parse(frames.messages.find((message) => message[0] === 3)?.subarray(1).toString() ?? "{}")).toMatchObject({ status: "Success" });
  });

  it("a missing pod is a 404 before the upgrade; an old subprotocol alone is refused", async () => {
    await expect(kubectl(server.kubeconfigPath, "exec", "-n", "shop", "no-such-pod", "--", "echo")).rejects.toThrow(/not found/);
    await expect(rawExec("channel.k8s.io", "echo")).rejects.toThrow(/400/);
  });
});

/** A WebSocket exec with a hand-written handshake offering one subprotocol; resolves with the messages until the server closes. */
function rawExec(protocol: string, command: string): Promise<{ protocol: string | undefined; messages: Buffer[] }> {
  const url = new URL(`${server.url}/api/v1/namespaces/shop/pods/postgres-0/exec?container=postgres&stdout=true&stderr=true&command=${command.split("%20").join("&command=")}`);
  return new Promise((resolve, reject) => {
    const outgoing = httpsRequest(url, {
      ca: server.certificateAuthorityPem,
      headers: { Authorization: "Bearer admin-token", Connection: "Upgrade", Upgrade: "websocket", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": Buffer.from("0123456789abcdef").toString("base64"), "Sec-WebSocket-Protocol": protocol },
    });
    outgoing.on("response", (response) => reject(new Error(`no upgrade: ${response.statusCode}`)));
    outgoing.on("upgrade", (response, socket) => {
      let pending = Buffer.alloc(0);
      const messages: Buffer[] = [];
      socket.on("data", (chunk: Buffer) => {
        pending = Buffer.concat([pending, chunk]);
        // Server frames are unmasked; these are short, so their length fits in 7 or 16 bits.
        while (pending.length >= 2) {
          const short = (pending[1] as number) & 0x7f;
          const header = short === 126 ? 4 : 2;
          const length = short === 126 ? pending.readUInt16BE(2) : short;
          if (pending.length < header + length) break;
          const opcode = (pending[0] as number) & 0x0f;
          if (opcode === 2) messages.push(pending.subarray(header, header + length));
          // The server's close frame ends the exchange; no close frame is sent back.
          if (opcode === 8) socket.destroy();
          pending = pending.subarray(header + length);
        }
      });
      socket.on("close", () => resolve({ protocol: response.headers["sec-websocket-protocol"] as string | undefined, messages }));
      socket.on("error", reject);
    });
    outgoing.on("error", reject);
    outgoing.end();
  });
}
