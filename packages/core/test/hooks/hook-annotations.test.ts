import { describe, expect, it } from "vitest";
import { backupHookFromAnnotations, restoreHookFromAnnotations } from "@kbackup/core";
import { pod } from "./fake-cluster.js";

describe("backupHookFromAnnotations", () => {
  it("reads a JSON array command with every option", () => {
    const annotated = pod("shop", "db-0", {
      annotations: {
        "pre.hook.backup.velero.io/command": '["/sbin/fsfreeze", "--freeze", "/var/lib/postgresql/data"]',
        "pre.hook.backup.velero.io/container": "postgres",
        "pre.hook.backup.velero.io/on-error": "Continue",
        "pre.hook.backup.velero.io/timeout": "1m30s",
      },
    });
    expect(backupHookFromAnnotations(annotated, "pre")).toEqual({
      hook: {
        hookName: "pre.hook.backup.velero.io",
        hookSource: "annotation",
        exec: { command: ["/sbin/fsfreeze", "--freeze", "/var/lib/postgresql/data"], container: "postgres", onError: "Continue", timeoutInMs: 90_000 },
      },
      warnings: [],
    });
  });

  it("reads a single command string, defaulting onError to Fail and leaving container and timeout to the runner", () => {
    const annotated = pod("shop", "db-0", { annotations: { "post.hook.backup.velero.io/command": "/usr/local/bin/thaw" } });
    expect(backupHookFromAnnotations(annotated, "post").hook?.exec).toEqual({ command: ["/usr/local/bin/thaw"], onError: "Fail" });
    expect(backupHookFromAnnotations(annotated, "pre").hook).toBeUndefined();
  });

  it("has no hook without a command, whatever else is annotated", () => {
    const annotated = pod("shop", "db-0", { annotations: { "pre.hook.backup.velero.io/container": "db", "pre.hook.backup.velero.io/command": "  " } });
    expect(backupHookFromAnnotations(annotated, "pre")).toEqual({ warnings: [] });
  });

  it("runs a command that looks like JSON but is not an array of strings as one program, with a warning", () => {
    const annotated = pod("shop", "db-0", { annotations: { "pre.hook.backup.velero.io/command": '["/bin/sync", 3' } });
    const { hook, warnings } = backupHookFromAnnotations(annotated, "pre");
    expect(hook?.exec.command).toEqual(['["/bin/sync", 3']);
    expect(warnings).toEqual([expect.stringMatching(/^pod shop\/db-0: annotation pre\.hook\.backup\.velero\.io\/command: .*not a JSON array/)]);
  });

  it("replaces an unusable on-error or timeout by its default, with a warning each", () => {
    const annotated = pod("shop", "db-0", {
      annotations: {
        "post.hook.backup.velero.io/command": '["thaw"]',
        "post.hook.backup.velero.io/on-error": "Ignore",
        "post.hook.backup.velero.io/timeout": "30",
      },
    });
    const { hook, warnings } = backupHookFromAnnotations(annotated, "post");
    expect(hook?.exec).toEqual({ command: ["thaw"], onError: "Fail" });
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/on-error: "Ignore" is neither Fail nor Continue; using Fail/);
    expect(warnings[1]).toMatch(/timeout: missing unit in duration "30".*using the default/);
  });

  it("honours the legacy pre hook prefix, unless the pre. form is there", () => {
    const legacy = pod("shop", "db-0", { annotations: { "hook.backup.velero.io/command": "freeze", "hook.backup.velero.io/timeout": "5s" } });
    expect(backupHookFromAnnotations(legacy, "pre").hook).toEqual({
      hookName: "hook.backup.velero.io",
      hookSource: "annotation",
      exec: { command: ["freeze"], onError: "Fail", timeoutInMs: 5_000 },
    });
    const both = pod("shop", "db-0", { annotations: { "hook.backup.velero.io/command": "old", "pre.hook.backup.velero.io/command": "new" } });
    expect(backupHookFromAnnotations(both, "pre").hook?.exec.command).toEqual(["new"]);
    expect(backupHookFromAnnotations(legacy, "post").hook).toBeUndefined();
  });
});

describe("restoreHookFromAnnotations", () => {
  it("reads Velero's exec restore hook annotations", () => {
    const annotated = pod("shop", "db-0", {
      annotations: {
        "post.hook.restore.velero.io/container": "postgres",
        "post.hook.restore.velero.io/command": '["/bin/bash", "-c", "psql < /backup/backup.sql"]',
        "post.hook.restore.velero.io/wait-timeout": "5m",
        "post.hook.restore.velero.io/exec-timeout": "45s",
        "post.hook.restore.velero.io/on-error": "Fail",
      },
    });
    expect(restoreHookFromAnnotations(annotated)).toEqual({
      hook: {
        hookName: "post.hook.restore.velero.io",
        hookSource: "annotation",
        exec: { command: ["/bin/bash", "-c", "psql < /backup/backup.sql"], container: "postgres", onError: "Fail", timeoutInMs: 45_000, waitTimeoutInMs: 300_000 },
      },
      warnings: [],
    });
  });

  it("defaults onError to Continue and warns about a bad wait-timeout", () => {
    const annotated = pod("shop", "db-0", { annotations: { "post.hook.restore.velero.io/command": "warm-cache", "post.hook.restore.velero.io/wait-timeout": "-1m" } });
    const { hook, warnings } = restoreHookFromAnnotations(annotated);
    expect(hook?.exec).toEqual({ command: ["warm-cache"], onError: "Continue" });
    expect(warnings).toEqual([expect.stringMatching(/wait-timeout: duration "-1m" must not be negative; using the default/)]);
  });
});
