import { describe, expect, it } from "vitest";
import { isKBackupError, type KubeObject } from "@kbackup/core";
import { SYNTHETIC_LABEL, syntheticClusterObjects } from "@kbackup/testing";

const averageSize = (objects: KubeObject[]) => objects.reduce((sum, object) => sum + JSON.stringify(object).length, 0) / objects.length;

describe("syntheticClusterObjects", () => {
  it("makes the requested namespaces and objects, spread round robin", () => {
    const objects = syntheticClusterObjects({ objects: 1000, namespaces: 7 });
    const namespaces = objects.filter((object) => object.kind === "Namespace");
    expect(namespaces.map((object) => object.metadata.name)).toEqual(Array.from({ length: 7 }, (_, index) => `synthetic-00${index}`));
    expect(objects.slice(0, 7)).toEqual(namespaces);
    const namespaced = objects.slice(7);
    expect(namespaced).toHaveLength(1000);
    const perNamespace = new Map<string, number>();
    for (const object of namespaced) perNamespace.set(object.metadata.namespace ?? "", (perNamespace.get(object.metadata.namespace ?? "") ?? 0) + 1);
    expect([...perNamespace.values()].sort()).toEqual([142, 143, 143, 143, 143, 143, 143]);
  });

  it("mixes several kinds, every object labelled and with a distinct name and uid", () => {
    const objects = syntheticClusterObjects({ objects: 2000, namespaces: 10 });
    const kinds = new Set(objects.map((object) => object.kind));
    expect([...kinds].sort()).toEqual(["ConfigMap", "Deployment", "Namespace", "Role", "RoleBinding", "Secret", "Service", "ServiceAccount"]);
    expect(new Set(objects.map((object) => `${object.kind}/${object.metadata.namespace}/${object.metadata.name}`)).size).toBe(objects.length);
    expect(new Set(objects.map((object) => object.metadata.uid)).size).toBe(objects.length);
    for (const object of objects) expect(object.metadata.labels?.[SYNTHETIC_LABEL]).toBe("true");
  });

  it("aims each object's JSON at the requested size", () => {
    for (const objectSizeInBytes of [1024, 2048, 8192]) {
      const objects = syntheticClusterObjects({ objects: 500, namespaces: 5, objectSizeInBytes }).filter((object) => object.kind !== "Namespace");
      const average = averageSize(objects);
      expect(Math.abs(average - objectSizeInBytes) / objectSizeInBytes).toBeLessThan(0.1);
    }
  });

  it("is deterministic for a seed and differs between seeds", () => {
    const a = syntheticClusterObjects({ objects: 300, namespaces: 3, seed: 42 });
    expect(syntheticClusterObjects({ objects: 300, namespaces: 3, seed: 42 })).toEqual(a);
    expect(syntheticClusterObjects({ objects: 300, namespaces: 3, seed: 43 })).not.toEqual(a);
  });

  it("makes 100,000 objects of about 2 KB across 100 namespaces", () => {
    const objects = syntheticClusterObjects({ objects: 100_000, namespaces: 100, objectSizeInBytes: 2048 });
    expect(objects).toHaveLength(100_100);
    const sample = objects.filter((_, index) => index % 97 === 0 && index >= 100);
    expect(Math.abs(averageSize(sample) - 2048) / 2048).toBeLessThan(0.1);
  });

  it("rejects bad counts, naming the field", () => {
    const cases: Array<[Parameters<typeof syntheticClusterObjects>[0], string]> = [
      [{ objects: -1, namespaces: 1 }, "objects"],
      [{ objects: 1.5, namespaces: 1 }, "objects"],
      [{ objects: 10, namespaces: 0 }, "namespaces"],
      [{ objects: 10, namespaces: 1, objectSizeInBytes: -5 }, "objectSizeInBytes"],
      [{ objects: 10, namespaces: 1, seed: Number.NaN }, "seed"],
    ];
    for (const [options, field] of cases) {
      let error: unknown;
      try {
        syntheticClusterObjects(options);
      } catch (caught) {
        error = caught;
      }
      expect(isKBackupError(error, "InvalidArgument"), field).toBe(true);
      expect((error as { field?: string }).field).toBe(field);
    }
  });
});
