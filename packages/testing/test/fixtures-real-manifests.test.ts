import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { isKBackupError } from "@kbackup/core";
import { parseManifests, realManifestFiles, realManifests } from "@kbackup/testing";

describe("realManifests", () => {
  it("parses every copied file into Kubernetes objects", () => {
    const files = realManifestFiles();
    expect(files.map((file) => file.path)).toContain("web/guestbook/frontend-deployment.yaml");
    for (const file of files) {
      expect(file.objects.length, file.path).toBeGreaterThan(0);
      for (const object of file.objects) {
        expect(typeof object.apiVersion).toBe("string");
        expect(typeof object.metadata.name).toBe("string");
      }
    }
    expect(realManifests()).toEqual(files.flatMap((file) => file.objects));
  });

  it("holds the guestbook, a StatefulSet with claim templates, RBAC and bound PV/PVC pairs", () => {
    const objects = realManifests();
    const names = (kind: string) => objects.filter((object) => object.kind === kind).map((object) => object.metadata.name);
    expect(names("Deployment")).toEqual(["frontend", "redis-master", "redis-replica"]);
    expect(names("Service")).toEqual(["frontend", "redis-master", "redis-replica"]);
    expect(names("Role")).toEqual(["elasticsearch"]);
    expect(names("RoleBinding")).toEqual(["elasticsearch"]);
    expect(names("StorageClass")).toEqual(["fast"]);
    const cassandra = objects.find((object) => object.kind === "StatefulSet");
    expect((cassandra?.spec as { volumeClaimTemplates: unknown[] }).volumeClaimTemplates).toHaveLength(1);
    const claim = objects.find((object) => object.metadata.name === "my-model-pvc");
    const volume = objects.find((object) => object.metadata.name === "my-model-pv");
    expect((claim?.spec as { volumeName: string }).volumeName).toBe(volume?.metadata.name);
    expect(objects.find((object) => object.kind === "PersistentVolume" && object.metadata.name === "sample-storage")?.spec).toMatchObject({ azureFile: { shareName: "k8stest" } });
  });

  it("returns fresh objects on every call", () => {
    const first = realManifests();
    first[0]!.metadata.name = "changed";
    expect(realManifests()[0]?.metadata.name).toBe("frontend");
  });

  it("ships the license and the notice of the copies", () => {
    const folder = new URL("../src/fixtures/real-manifests/", import.meta.url);
    expect(readFileSync(new URL("LICENSE", folder), "utf8")).toContain("Apache License");
    const notice = readFileSync(new URL("NOTICE", folder), "utf8");
    for (const file of realManifestFiles()) expect(notice).toContain(file.path);
  });
});

describe("parseManifests", () => {
  it("skips empty documents and reports a document that is not an object", () => {
    expect(parseManifests("a.yaml", "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\n")).toEqual([{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a" } }]);
    let error: unknown;
    try {
      parseManifests("b.yaml", "- just\n- a list\n");
    } catch (caught) {
      error = caught;
    }
    expect(isKBackupError(error, "Integrity")).toBe(true);
    expect((error as Error).message).toContain("b.yaml");
  });

  it("reports invalid YAML with the file's path", () => {
    expect(() => parseManifests("c.yaml", "a: [unclosed\n")).toThrow(/c\.yaml/);
  });
});
