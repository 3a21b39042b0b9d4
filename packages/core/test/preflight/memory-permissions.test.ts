import { describe, expect, it } from "vitest";
import { collect, type KubeObject } from "@kbackup/core";
import { MemoryCluster } from "@kbackup/adapter-memory";
import { READ_ONLY } from "./helpers.js";

const NAMESPACES = { group: "", version: "v1", resource: "namespaces" };
const CONFIGMAPS = { group: "", version: "v1", resource: "configmaps" };
const PODS = { group: "", version: "v1", resource: "pods" };

function namespace(name: string): KubeObject {
  return { apiVersion: "v1", kind: "Namespace", metadata: { name } };
}

function configMap(namespace: string, name: string): KubeObject {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace }, data: { a: "1" } };
}

function pod(namespace: string, name: string): KubeObject {
  return { apiVersion: "v1", kind: "Pod", metadata: { name, namespace }, spec: { containers: [{ name: "app", image: "busybox" }] } };
}

function loaded(): MemoryCluster {
  const cluster = new MemoryCluster({ identity: { name: "rbac" } });
  cluster.load([namespace("shop"), namespace("blog"), configMap("shop", "settings"), pod("shop", "web")]);
  cluster.onExec(() => ({ exitCode: 0, stdout: "ok", stderr: "" }));
  return cluster;
}

describe("MemoryCluster permissions", () => {
  it("allow everything by default", async () => {
    const cluster = loaded();
    expect(await cluster.checkAccess([{ group: "", resource: "configmaps", verb: "delete" }, { group: "", resource: "pods", subresource: "exec", verb: "create", namespace: "shop" }])).toEqual([true, true]);
    await cluster.create(CONFIGMAPS, configMap("blog", "theme"));
    expect((await cluster.exec({ namespace: "shop", name: "web" }, "app", ["true"])).stdout).toBe("ok");
  });

  it("refuse with PermissionDenied what a read-only identity may not do, and say so in checkAccess", async () => {
    const cluster = new MemoryCluster({ identity: { name: "rbac" }, permissions: READ_ONLY });
    cluster.load([namespace("shop"), configMap("shop", "settings"), pod("shop", "web")]);
    expect((await cluster.discover()).length).toBeGreaterThan(10);
    expect((await cluster.get(CONFIGMAPS, "settings", { namespace: "shop" }))?.data).toEqual({ a: "1" });
    expect(await collect(cluster.list(CONFIGMAPS))).toHaveLength(1);
    const denied = { code: "PermissionDenied" };
    await expect(cluster.create(CONFIGMAPS, configMap("shop", "other"))).rejects.toMatchObject(denied);
    await expect(cluster.create(CONFIGMAPS, configMap("shop", "other"), { dryRun: true })).rejects.toMatchObject(denied);
    await expect(cluster.patch(CONFIGMAPS, "settings", { data: { a: "2" } }, { patchType: "merge", namespace: "shop" })).rejects.toMatchObject(denied);
    await expect(cluster.replace(CONFIGMAPS, configMap("shop", "settings"))).rejects.toMatchObject(denied);
    await expect(cluster.delete(CONFIGMAPS, "settings", { namespace: "shop" })).rejects.toMatchObject(denied);
    await expect(cluster.exec({ namespace: "shop", name: "web" }, "app", ["true"])).rejects.toMatchObject({ code: "PermissionDenied", message: expect.stringMatching(/cannot create resource "pods\/exec" in API group "" in the namespace "shop"/) });
    expect(await collect(cluster.list(CONFIGMAPS))).toHaveLength(1);
    expect(
      await cluster.checkAccess([
        { group: "", resource: "configmaps", verb: "get", namespace: "shop" },
        { group: "", resource: "configmaps", verb: "list" },
        { group: "", resource: "configmaps", verb: "create", namespace: "shop" },
        { group: "", resource: "pods", subresource: "exec", verb: "create", namespace: "shop" },
      ]),
    ).toEqual([true, true, false, false]);
  });

  it("limit a rule with namespaces to requests in them, never across the cluster", async () => {
    const cluster = loaded();
    cluster.setPermissions([
      { verbs: ["get", "list", "create"], groups: [""], resources: ["configmaps"], namespaces: ["shop"] },
      { verbs: ["create"], groups: [""], resources: ["pods/exec"], namespaces: ["shop"] },
    ]);
    await cluster.create(CONFIGMAPS, configMap("shop", "other"));
    await expect(cluster.create(CONFIGMAPS, configMap("blog", "other"))).rejects.toMatchObject({ code: "PermissionDenied" });
    expect(await collect(cluster.list(CONFIGMAPS, { namespace: "shop" }))).toHaveLength(2);
    await expect(collect(cluster.list(CONFIGMAPS))).rejects.toMatchObject({ code: "PermissionDenied" });
    await expect(cluster.get(NAMESPACES, "shop")).rejects.toMatchObject({ code: "PermissionDenied" });
    expect((await cluster.exec({ namespace: "shop", name: "web" }, "app", ["true"])).exitCode).toBe(0);
    await expect(cluster.get(PODS, "web", { namespace: "shop" })).rejects.toMatchObject({ code: "PermissionDenied" });
    expect(
      await cluster.checkAccess([
        { group: "", resource: "configmaps", verb: "list", namespace: "shop" },
        { group: "", resource: "configmaps", verb: "list" },
        { group: "", resource: "configmaps", verb: "list", namespace: "blog" },
        { group: "", resource: "pods", verb: "create", namespace: "shop" },
        { group: "", resource: "pods", subresource: "exec", verb: "create", namespace: "shop" },
      ]),
    ).toEqual([true, false, false, false, true]);
  });

  it("match `*/subresource`, and allow everything again without rules", async () => {
    const cluster = loaded();
    cluster.setPermissions([{ verbs: ["patch"], groups: ["*"], resources: ["*/status"] }]);
    expect(await cluster.checkAccess([{ group: "apps", resource: "deployments", subresource: "status", verb: "patch", namespace: "shop" }, { group: "apps", resource: "deployments", verb: "patch", namespace: "shop" }])).toEqual([true, false]);
    cluster.setPermissions(undefined);
    await cluster.delete(CONFIGMAPS, "settings", { namespace: "shop" });
  });

  it("reject malformed rules and checks with InvalidArgument", async () => {
    const cluster = loaded();
    expect(() => cluster.setPermissions([{ verbs: "get" } as never])).toThrow(expect.objectContaining({ code: "InvalidArgument", field: "rules[0].verbs" }));
    expect(() => new MemoryCluster({ permissions: {} as never })).toThrow(expect.objectContaining({ code: "InvalidArgument", field: "permissions" }));
    await expect(cluster.checkAccess([{ group: "", resource: "", verb: "get" }])).rejects.toMatchObject({ code: "InvalidArgument", field: "checks[0]" });
    await expect(cluster.checkAccess([{ group: 1, resource: "pods", verb: "get" } as never])).rejects.toMatchObject({ code: "InvalidArgument", field: "checks[0].group" });
  });
});
