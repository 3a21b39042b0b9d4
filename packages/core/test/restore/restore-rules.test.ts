import { describe, expect, it } from "vitest";
import { restoreOrder, type KubeObject } from "@kbackup/core";
import { applyNamespaceMapping } from "../../src/restore/namespace-mapping.js";
import { restorePatch } from "../../src/restore/restore-patch.js";
import { stripServerFields } from "../../src/restore/strip-server-fields.js";

describe("restore order", () => {
  it("puts CRDs, namespaces, volumes and claims first and the rest alphabetically", () => {
    const order = restoreOrder(["deployments.apps", "services", "persistentvolumeclaims", "widgets.example.com", "namespaces", "persistentvolumes", "customresourcedefinitions.apiextensions.k8s.io", "configmaps", "pods", "cronjobs.batch"]);
    expect(order).toEqual([
      "customresourcedefinitions.apiextensions.k8s.io",
      "namespaces",
      "persistentvolumes",
      "persistentvolumeclaims",
      "configmaps",
      "pods",
      "services",
      "cronjobs.batch",
      "deployments.apps",
      "widgets.example.com",
    ]);
  });
});

describe("stripServerFields", () => {
  it("removes what the source server owned and keeps the rest, without touching its input", () => {
    const claim: KubeObject = {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: {
        name: "data",
        namespace: "shop",
        uid: "u",
        resourceVersion: "9",
        generation: 2,
        creationTimestamp: "2026-01-01T00:00:00Z",
        managedFields: [],
        ownerReferences: [{ uid: "x" }],
        labels: { app: "db" },
        annotations: { "pv.kubernetes.io/bind-completed": "yes", keep: "me" },
      },
      spec: { volumeName: "pv-1" },
      status: { phase: "Bound" },
    };
    const stripped = stripServerFields(claim, "persistentvolumeclaims");
    expect(stripped).toEqual({
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name: "data", namespace: "shop", labels: { app: "db" }, annotations: { keep: "me" } },
      spec: { volumeName: "pv-1" },
    });
    expect(claim.metadata.uid).toBe("u");
  });

  it("drops a service's cluster IPs unless it is headless", () => {
    const service = (clusterIP: string): KubeObject => ({ apiVersion: "v1", kind: "Service", metadata: { name: "s" }, spec: { clusterIP, clusterIPs: [clusterIP], ports: [{ port: 80 }] } });
    expect(stripServerFields(service("10.0.0.1"), "services").spec).toEqual({ ports: [{ port: 80 }] });
    expect(stripServerFields(service("None"), "services").spec).toEqual({ clusterIP: "None", clusterIPs: ["None"], ports: [{ port: 80 }] });
  });
});

describe("namespace mapping", () => {
  it("maps the object's namespace, a namespace's name, service account subjects and claim references", () => {
    const mappings = { shop: "shop-copy" };
    const binding: KubeObject = { apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding", metadata: { name: "b", namespace: "shop" }, subjects: [{ kind: "ServiceAccount", name: "sa", namespace: "shop" }, { kind: "User", name: "u" }] };
    applyNamespaceMapping(binding, "rolebindings.rbac.authorization.k8s.io", mappings);
    expect(binding.metadata.namespace).toBe("shop-copy");
    expect(binding.subjects).toEqual([{ kind: "ServiceAccount", name: "sa", namespace: "shop-copy" }, { kind: "User", name: "u" }]);
    const namespace: KubeObject = { apiVersion: "v1", kind: "Namespace", metadata: { name: "shop" } };
    applyNamespaceMapping(namespace, "namespaces", mappings);
    expect(namespace.metadata.name).toBe("shop-copy");
    const other: KubeObject = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", namespace: "blog" } };
    applyNamespaceMapping(other, "configmaps", mappings);
    expect(other.metadata.namespace).toBe("blog");
  });
});

describe("restorePatch", () => {
  const live: KubeObject = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "shop", labels: { app: "web", added: "in-target" }, resourceVersion: "7" },
    spec: { replicas: 5, selector: { matchLabels: { app: "web" } }, template: { spec: { containers: [{ name: "web", image: "web:2" }] } }, paused: false },
    status: { readyReplicas: 5 },
  };

  it("sets the backed-up values and removes nothing", () => {
    const desired: KubeObject = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", namespace: "shop", labels: { app: "web", tier: "front" } },
      spec: { replicas: 3, selector: { matchLabels: { app: "other" } }, template: { spec: { containers: [{ name: "web", image: "web:1" }] } } },
    };
    expect(restorePatch(live, desired, "deployments.apps")).toEqual({
      metadata: { labels: { tier: "front" } },
      spec: { replicas: 3, template: { spec: { containers: [{ name: "web", image: "web:1" }] } } },
    });
  });

  it("is undefined when the live object already holds every backed-up value", () => {
    const desired: KubeObject = { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", labels: { app: "web" } }, spec: { replicas: 5 } };
    expect(restorePatch(live, desired, "deployments.apps")).toBeUndefined();
  });

  it("leaves the data of an immutable config map alone", () => {
    const map = (value: string, immutable: boolean): KubeObject => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", labels: { v: value } }, data: { key: value }, immutable });
    expect(restorePatch(map("live", true), map("backup", true), "configmaps")).toEqual({ metadata: { labels: { v: "backup" } } });
    expect(restorePatch(map("live", false), map("backup", false), "configmaps")).toEqual({ metadata: { labels: { v: "backup" } }, data: { key: "backup" } });
  });
});
