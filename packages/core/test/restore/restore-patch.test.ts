import { describe, expect, it } from "vitest";
import type { KubeObject } from "@kbackup/core";
import { restorePatch } from "../../src/restore/restore-patch.js";

const object = (apiVersion: string, kind: string, fields: Record<string, unknown>): KubeObject => ({ apiVersion, kind, metadata: { name: "x" }, ...fields });

describe("restorePatch leaves alone what the API server refuses to change", () => {
  it("a secret's type", () => {
    const live = object("v1", "Secret", { type: "Opaque", data: { key: "bGl2ZQ==" } });
    const desired = object("v1", "Secret", { type: "kubernetes.io/tls", data: { key: "YmFja3Vw" } });
    expect(restorePatch(live, desired, "secrets")).toEqual({ data: { key: "YmFja3Vw" } });
  });

  it("a priority class's value and preemption policy", () => {
    const live = object("scheduling.k8s.io/v1", "PriorityClass", { value: 1000, preemptionPolicy: "Never", description: "live" });
    const desired = object("scheduling.k8s.io/v1", "PriorityClass", { value: 2000, preemptionPolicy: "PreemptLowerPriority", description: "backup" });
    expect(restorePatch(live, desired, "priorityclasses.scheduling.k8s.io")).toEqual({ description: "backup" });
  });

  it("an ingress class's controller", () => {
    const live = object("networking.k8s.io/v1", "IngressClass", { spec: { controller: "example.com/live", parameters: { kind: "A", name: "a" } } });
    const desired = object("networking.k8s.io/v1", "IngressClass", { spec: { controller: "example.com/backup", parameters: { kind: "B", name: "b" } } });
    expect(restorePatch(live, desired, "ingressclasses.networking.k8s.io")).toEqual({ spec: { parameters: { kind: "B", name: "b" } } });
  });

  it("a claim's volume and class, but not its other fields", () => {
    const live = object("v1", "PersistentVolumeClaim", { spec: { volumeName: "pv-live", storageClassName: "live", resources: { requests: { storage: "1Gi" } } } });
    const desired = object("v1", "PersistentVolumeClaim", { spec: { volumeName: "pv-backup", storageClassName: "backup", resources: { requests: { storage: "2Gi" } } } });
    expect(restorePatch(live, desired, "persistentvolumeclaims")).toEqual({ spec: { resources: { requests: { storage: "2Gi" } } } });
  });
});
