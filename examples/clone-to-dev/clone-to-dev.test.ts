import { describe, expect, it } from "vitest";
import { collect, type RestoreItemResult } from "@kbackup/core";
import { firstImage, run } from "./clone-to-dev.js";

const DEPLOYMENTS = { group: "apps", version: "v1", resource: "deployments" };
const STATEFULSETS = { group: "apps", version: "v1", resource: "statefulsets" };
const AUTOSCALERS = { group: "autoscaling", version: "v2", resource: "horizontalpodautoscalers" };
const CLAIMS = { group: "", version: "v1", resource: "persistentvolumeclaims" };
const PODS = { group: "", version: "v1", resource: "pods" };

describe("clone to dev example", () => {
  it("restores shop as shop-dev in the dev cluster, changed by the dev rules; production stays as it was", async () => {
    const { restore, dev, devNamespaces, production } = await run();
    expect(restore.errorDetails ?? []).toEqual([]);
    expect(restore.warningDetails ?? []).toEqual([]);
    expect(restore.status).toBe("Completed");
    expect(devNamespaces).toEqual(["kbackup", "shop-dev"]);

    const web = await dev.get(DEPLOYMENTS, "web", { namespace: "shop-dev" });
    expect((web?.spec as { replicas: number }).replicas).toBe(1);
    expect(firstImage(web)).toBe("devregistry.azurecr.io/aks-store-demo/store-front:2.1.0");
    expect((web?.spec as { template: { spec: Record<string, unknown> } }).template.spec).not.toHaveProperty("priorityClassName");
    const postgres = await dev.get(STATEFULSETS, "postgres", { namespace: "shop-dev" });
    expect((postgres?.spec as { replicas: number }).replicas).toBe(1);
    expect(firstImage(postgres)).toBe("devregistry.azurecr.io/library/postgres:16.4");
    const autoscaler = await dev.get(AUTOSCALERS, "web", { namespace: "shop-dev" });
    expect(autoscaler?.spec).toMatchObject({ minReplicas: 1, maxReplicas: 2 });

    // The claim is provisioned on the dev class, empty.
    const claim = await dev.get(CLAIMS, "data-postgres-0", { namespace: "shop-dev" });
    expect((claim?.spec as { storageClassName: string }).storageClassName).toBe("managed-hdd");
    expect((claim?.spec as { volumeName?: string }).volumeName).toBeTruthy();
    expect(restore.extendedInfo.counts?.volumesRestored).toBe(0);

    // Pods and replica sets were left to the dev cluster; each item says which rules changed it.
    expect(await collect(dev.list(PODS, { namespace: "shop-dev" }))).toEqual([]);
    const items = restore.extendedInfo.itemResults as RestoreItemResult[];
    const webItem = items.find((item) => item.kind === "Deployment" && item.name === "web");
    expect(webItem).toMatchObject({ outcome: "Created", namespace: "shop-dev", sourceNamespace: "shop", appliedRules: [0, 3, 5] });

    expect(production).toEqual({ webReplicas: 2, webImage: "mcr.microsoft.com/azuredocs/aks-store-demo/store-front:2.1.0", claimStorageClass: "managed-csi" });
  });
});
