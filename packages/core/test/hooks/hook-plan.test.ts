import { describe, expect, it } from "vitest";
import { planBackupHooks, planRestoreHooks, podHooksForClaim, type BackupHookResource, type RestoreHookResource } from "@kbackup/core";
import { pod } from "./fake-cluster.js";

const freeze = { command: ["fsfreeze", "--freeze", "/data"], onError: "Fail" as const };
const thaw = { command: ["fsfreeze", "--unfreeze", "/data"], onError: "Fail" as const };
const audit = { command: ["audit"], onError: "Continue" as const };

const dbHooks: BackupHookResource = {
  kind: "BackupHook",
  namespace: "shop",
  name: "db-hooks",
  backupHook: [
    { name: "freeze-db", includedNamespaces: ["shop", "crm"], excludedNamespaces: [], labelSelector: { matchLabels: { app: "db" } }, preHooks: [freeze], postHooks: [thaw] },
    { name: "audit", includedNamespaces: [], excludedNamespaces: ["crm"], preHooks: [audit], postHooks: [] },
  ],
};

describe("planBackupHooks", () => {
  it("applies entries by namespace and labels, in order, and leaves out pods without hooks", () => {
    const pods = [
      pod("shop", "db-0", { labels: { app: "db" } }),
      pod("shop", "web-0", { labels: { app: "web" } }),
      pod("crm", "db-0", { labels: { app: "db" } }),
      pod("crm", "web-0", { labels: { app: "web" } }),
      pod("hr", "db-0", { labels: { app: "db" } }),
    ];
    const plan = planBackupHooks([dbHooks], pods);
    const summary = plan.map((entry) => ({
      pod: `${entry.pod.metadata.namespace}/${entry.pod.metadata.name}`,
      pre: entry.pre.map((hook) => `${hook.hookSource}:${hook.hookName}:${hook.exec.command[0]}`),
      post: entry.post.map((hook) => hook.hookName),
    }));
    expect(summary).toEqual([
      { pod: "shop/db-0", pre: ["BackupHook shop/db-hooks:freeze-db:fsfreeze", "BackupHook shop/db-hooks:audit:audit"], post: ["freeze-db"] },
      { pod: "shop/web-0", pre: ["BackupHook shop/db-hooks:audit:audit"], post: [] },
      { pod: "crm/db-0", pre: ["BackupHook shop/db-hooks:freeze-db:fsfreeze"], post: ["freeze-db"] },
      { pod: "hr/db-0", pre: ["BackupHook shop/db-hooks:audit:audit"], post: [] },
    ]);
  });

  it("treats * in includedNamespaces as every namespace", () => {
    const everywhere: BackupHookResource = { ...dbHooks, backupHook: [{ name: "all", includedNamespaces: ["*"], excludedNamespaces: ["hr"], preHooks: [audit], postHooks: [] }] };
    const plan = planBackupHooks([everywhere], [pod("a", "p"), pod("hr", "p"), pod("b", "p")]);
    expect(plan.map((entry) => entry.pod.metadata.namespace)).toEqual(["a", "b"]);
  });

  it("lets annotations take the place of the resource hooks, phase by phase", () => {
    const annotated = pod("shop", "db-0", { labels: { app: "db" }, annotations: { "pre.hook.backup.velero.io/command": '["pg_start_backup"]' } });
    const [entry] = planBackupHooks([dbHooks], [annotated]);
    expect(entry?.pre).toEqual([{ hookName: "pre.hook.backup.velero.io", hookSource: "annotation", exec: { command: ["pg_start_backup"], onError: "Fail" } }]);
    expect(entry?.post.map((hook) => hook.hookName)).toEqual(["freeze-db"]);
  });

  it("plans annotation hooks for pods no resource selects, and carries their warnings", () => {
    const annotated = pod("other", "cache-0", { annotations: { "post.hook.backup.velero.io/command": "thaw", "post.hook.backup.velero.io/timeout": "soon" } });
    const [entry] = planBackupHooks([], [annotated]);
    expect(entry?.pre).toEqual([]);
    expect(entry?.post[0]?.exec.command).toEqual(["thaw"]);
    expect(entry?.warnings).toEqual([expect.stringContaining("post.hook.backup.velero.io/timeout")]);
  });

  it("finds the planned pods that mount a claim", () => {
    const plan = planBackupHooks(
      [dbHooks],
      [pod("shop", "db-0", { labels: { app: "db" }, claims: ["data-db-0"] }), pod("shop", "db-1", { labels: { app: "db" }, claims: ["data-db-1"] }), pod("crm", "db-0", { labels: { app: "db" }, claims: ["data-db-0"] })],
    );
    expect(podHooksForClaim(plan, { namespace: "shop", name: "data-db-0" }).map((entry) => `${entry.pod.metadata.namespace}/${entry.pod.metadata.name}`)).toEqual(["shop/db-0"]);
    expect(podHooksForClaim(plan, { namespace: "shop", name: "nothing" })).toEqual([]);
  });
});

describe("planRestoreHooks", () => {
  const restoreHooks: RestoreHookResource = {
    kind: "RestoreHook",
    namespace: "ops",
    name: "after-restore",
    restoreHook: [
      { name: "reindex", includedNamespaces: ["shop-restored"], excludedNamespaces: [], labelSelector: { matchExpressions: [{ key: "app", operator: "In", values: ["db"] }] }, postHooks: [{ command: ["reindex"], onError: "Continue" }] },
    ],
  };

  it("matches the pods' target namespace, and an annotation replaces the resource hooks", () => {
    const plan = planRestoreHooks(
      [restoreHooks],
      [
        pod("shop-restored", "db-0", { labels: { app: "db" } }),
        pod("shop", "db-0", { labels: { app: "db" } }),
        pod("shop-restored", "db-1", { labels: { app: "db" }, annotations: { "post.hook.restore.velero.io/command": "warm" } }),
      ],
    );
    expect(plan.map((entry) => [entry.pod.metadata.name, entry.hooks.map((hook) => `${hook.hookSource}:${hook.exec.command[0]}`)])).toEqual([
      ["db-0", ["RestoreHook ops/after-restore:reindex"]],
      ["db-1", ["annotation:warm"]],
    ]);
  });
});
