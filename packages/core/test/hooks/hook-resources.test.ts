import { describe, expect, it } from "vitest";
import { isKBackupError, parseBackupHook, parseRestoreHook, type KBackupError } from "@kbackup/core";

const API_VERSION = "clusterbackup.dataprotection.microsoft.com/v1alpha1";

/** The BackupHook of Azure's documentation, with empty YAML fields as null. */
function documentedBackupHook(): Record<string, unknown> {
  return {
    apiVersion: API_VERSION,
    kind: "BackupHook",
    metadata: { name: "bkphookname0", namespace: "default" },
    spec: {
      backupHook: [
        {
          name: "hook1",
          includedNamespaces: ["hrweb"],
          excludedNamespaces: null,
          labelSelector: null,
          preHooks: [
            { exec: { container: "webcontainer", command: ["/bin/uname", "-a"], onError: "Continue", timeout: "10s" } },
            { exec: { command: ["/bin/bash", "-c", "echo hello > hello.txt && echo goodbye > goodbye.txt"], container: "webcontainer", onError: "Continue" } },
          ],
          postHooks: [{ exec: { container: "webcontainer", command: ["/bin/uname", "-a"], onError: "Continue", timeout: "10s" } }],
        },
      ],
    },
  };
}

function documentedRestoreHook(): Record<string, unknown> {
  return {
    apiVersion: API_VERSION,
    kind: "RestoreHook",
    metadata: { name: "restorehookname0", namespace: "default" },
    spec: {
      restoreHook: [
        {
          name: "myhook-1",
          includedNamespaces: null,
          excludedNamespaces: null,
          labelSelector: null,
          postHooks: [
            {
              exec: {
                container: "webcontainer",
                command: ["/bin/bash", "-c", "echo hello > hello.txt && echo goodbye > goodbye.txt"],
                onError: "Continue",
                execTimeout: "30s",
                waitTimeout: "5m",
              },
            },
          ],
        },
      ],
    },
  };
}

function parseError(parse: () => unknown): KBackupError {
  try {
    parse();
  } catch (error) {
    if (isKBackupError(error)) return error;
    throw error;
  }
  throw new Error("expected parsing to fail");
}

/** The documented BackupHook in namespace shop named db-hooks, with `change` applied to its spec. */
function backupHookWith(change: (spec: any) => void): Record<string, unknown> {
  const object = documentedBackupHook();
  object.metadata = { name: "db-hooks", namespace: "shop" };
  change(object.spec);
  return object;
}

describe("parseBackupHook", () => {
  it("reads Azure's documented example", () => {
    expect(parseBackupHook(documentedBackupHook())).toEqual({
      kind: "BackupHook",
      namespace: "default",
      name: "bkphookname0",
      backupHook: [
        {
          name: "hook1",
          includedNamespaces: ["hrweb"],
          excludedNamespaces: [],
          preHooks: [
            { container: "webcontainer", command: ["/bin/uname", "-a"], onError: "Continue", timeoutInMs: 10_000 },
            { container: "webcontainer", command: ["/bin/bash", "-c", "echo hello > hello.txt && echo goodbye > goodbye.txt"], onError: "Continue" },
          ],
          postHooks: [{ container: "webcontainer", command: ["/bin/uname", "-a"], onError: "Continue", timeoutInMs: 10_000 }],
        },
      ],
    });
  });

  it("defaults onError to Fail, the container to the pod's first, and keeps the label selector", () => {
    const parsed = parseBackupHook(
      backupHookWith((spec) => {
        spec.backupHook[0].labelSelector = { matchLabels: { app: "db" }, matchExpressions: [{ key: "tier", operator: "In", values: ["data"] }] };
        spec.backupHook[0].preHooks = [{ exec: { command: ["fsfreeze", "--freeze", "/data"] } }];
        spec.backupHook[0].postHooks = null;
      }),
    );
    const [entry] = parsed.backupHook;
    expect(entry?.preHooks).toEqual([{ command: ["fsfreeze", "--freeze", "/data"], onError: "Fail" }]);
    expect(entry?.postHooks).toEqual([]);
    expect(entry?.labelSelector).toEqual({ matchLabels: { app: "db" }, matchExpressions: [{ key: "tier", operator: "In", values: ["data"] }] });
  });

  it("reads a minimal hook: only a name and a command", () => {
    const object = { apiVersion: API_VERSION, kind: "BackupHook", metadata: { name: "h", namespace: "n" }, spec: { backupHook: [{ name: "sync", postHooks: [{ exec: { command: ["sync"] } }] }] } };
    expect(parseBackupHook(object).backupHook).toEqual([
      { name: "sync", includedNamespaces: [], excludedNamespaces: [], preHooks: [], postHooks: [{ command: ["sync"], onError: "Fail" }] },
    ]);
  });

  it("accepts an empty or null hook list, and ignores status", () => {
    const object = backupHookWith((spec) => {
      spec.backupHook = null;
    });
    object.status = { anything: true };
    expect(parseBackupHook(object).backupHook).toEqual([]);
  });

  it("names the resource, the field and the hook in the error", () => {
    const error = parseError(() =>
      parseBackupHook(
        backupHookWith((spec) => {
          spec.backupHook[0].name = "freeze-db";
          spec.backupHook[0].preHooks[1].exec.timeout = "ten seconds";
        }),
      ),
    );
    expect(error.code).toBe("InvalidArgument");
    expect(error.field).toBe("spec.backupHook[0].preHooks[1].exec.timeout");
    expect(error.message).toMatch(/^BackupHook shop\/db-hooks: spec\.backupHook\[0\]\.preHooks\[1\]\.exec\.timeout: in hook "freeze-db": invalid duration "ten seconds"/);
  });

  it.each<[string, (spec: any) => void, string, RegExp]>([
    ["a missing hook name", (spec) => delete spec.backupHook[0].name, "spec.backupHook[0].name", /: is required/],
    ["an empty hook name", (spec) => (spec.backupHook[0].name = ""), "spec.backupHook[0].name", /must not be empty/],
    ["a hook list that is not an array", (spec) => (spec.backupHook = { name: "x" }), "spec.backupHook", /must be an array of hooks/],
    ["an invalid included namespace", (spec) => (spec.backupHook[0].includedNamespaces = ["HR_web"]), "spec.backupHook[0].includedNamespaces[0]", /invalid namespace name/],
    ["an excluded namespace that is not a string", (spec) => (spec.backupHook[0].excludedNamespaces = [3]), "spec.backupHook[0].excludedNamespaces[0]", /must be a namespace name/],
    [
      "a label selector with an unknown operator",
      (spec) => (spec.backupHook[0].labelSelector = { matchExpressions: [{ key: "app", operator: "Like", values: ["x"] }] }),
      "spec.backupHook[0].labelSelector.matchExpressions[0].operator",
      /the operator must be one of In, NotIn, Exists, DoesNotExist/,
    ],
    ["a label selector that is not an object", (spec) => (spec.backupHook[0].labelSelector = "app=db"), "spec.backupHook[0].labelSelector", /must be an object/],
    ["a hook without exec", (spec) => (spec.backupHook[0].preHooks[0] = {}), "spec.backupHook[0].preHooks[0].exec", /is required: an object/],
    ["an unknown exec field", (spec) => (spec.backupHook[0].preHooks[0].exec.timout = "5s"), "spec.backupHook[0].preHooks[0].exec.timout", /unknown field/],
    ["an unknown hook field", (spec) => (spec.backupHook[0].includedResources = ["pods"]), "spec.backupHook[0].includedResources", /unknown field/],
    ["an empty command", (spec) => (spec.backupHook[0].postHooks[0].exec.command = []), "spec.backupHook[0].postHooks[0].exec.command", /at least the program/],
    ["a command string", (spec) => (spec.backupHook[0].postHooks[0].exec.command = "/bin/sync"), "spec.backupHook[0].postHooks[0].exec.command", /array of strings/],
    ["a command argument that is a number", (spec) => (spec.backupHook[0].postHooks[0].exec.command = ["sleep", 5]), "spec.backupHook[0].postHooks[0].exec.command[1]", /must be a string/],
    ["an empty program", (spec) => (spec.backupHook[0].postHooks[0].exec.command = ["", "-a"]), "spec.backupHook[0].postHooks[0].exec.command", /program .* must not be empty/],
    ["a container that is not a string", (spec) => (spec.backupHook[0].postHooks[0].exec.container = 1), "spec.backupHook[0].postHooks[0].exec.container", /container name/],
    ["an unknown onError", (spec) => (spec.backupHook[0].postHooks[0].exec.onError = "Ignore"), "spec.backupHook[0].postHooks[0].exec.onError", /"Continue" or "Fail"/],
    ["a timeout without unit", (spec) => (spec.backupHook[0].postHooks[0].exec.timeout = "60"), "spec.backupHook[0].postHooks[0].exec.timeout", /missing unit/],
    ["a numeric timeout", (spec) => (spec.backupHook[0].postHooks[0].exec.timeout = 60), "spec.backupHook[0].postHooks[0].exec.timeout", /Go duration string/],
    ["a negative timeout", (spec) => (spec.backupHook[0].postHooks[0].exec.timeout = "-5s"), "spec.backupHook[0].postHooks[0].exec.timeout", /must not be negative/],
    ["an unknown spec field", (spec) => (spec.hooks = []), "spec.hooks", /unknown field/],
  ])("refuses %s", (_, change, field, message) => {
    const error = parseError(() => parseBackupHook(backupHookWith(change)));
    expect(error.code).toBe("InvalidArgument");
    expect(error.field).toBe(field);
    expect(error.message.startsWith(`BackupHook shop/db-hooks: ${field}: `)).toBe(true);
    expect(error.message).toMatch(message);
  });

  it("names the hook when one is known, and not when the name itself is missing", () => {
    const named = parseError(() => parseBackupHook(backupHookWith((spec) => (spec.backupHook[0].postHooks[0].exec.onError = "x"))));
    expect(named.message).toContain('in hook "hook1"');
    const unnamed = parseError(() => parseBackupHook(backupHookWith((spec) => delete spec.backupHook[0].name)));
    expect(unnamed.message).not.toContain("in hook");
  });

  it.each<[string, (object: any) => void, string, RegExp]>([
    ["another apiVersion", (object) => (object.apiVersion = "velero.io/v1"), "apiVersion", /must be "clusterbackup\.dataprotection\.microsoft\.com\/v1alpha1"/],
    ["another kind", (object) => (object.kind = "RestoreHook"), "kind", /must be "BackupHook"/],
    ["a missing namespace", (object) => delete object.metadata.namespace, "metadata.namespace", /namespaced/],
    ["a missing spec", (object) => delete object.spec, "spec", /is required/],
  ])("refuses %s", (_, change, field, message) => {
    const object = backupHookWith(() => undefined);
    change(object);
    const error = parseError(() => parseBackupHook(object));
    expect(error.field).toBe(field);
    expect(error.message).toMatch(message);
  });

  it("refuses something that is not an object, and names a resource without a name as ?", () => {
    expect(parseError(() => parseBackupHook("BackupHook")).message).toMatch(/^BackupHook \?\/\?: (\(the resource\)|apiVersion)/);
    const object = backupHookWith(() => undefined);
    object.metadata = { namespace: "shop" };
    expect(parseError(() => parseBackupHook(object)).message).toMatch(/^BackupHook shop\/\?: metadata\.name: is required/);
  });

  it("reports every problem in one error", () => {
    const error = parseError(() =>
      parseBackupHook(
        backupHookWith((spec) => {
          spec.backupHook[0].preHooks[0].exec.timeout = "soon";
          spec.backupHook[0].postHooks[0].exec.onError = "Maybe";
        }),
      ),
    );
    expect(error.message).toMatch(/^BackupHook shop\/db-hooks has 2 problems: /);
    expect(error.message).toContain("spec.backupHook[0].preHooks[0].exec.timeout: ");
    expect(error.message).toContain("spec.backupHook[0].postHooks[0].exec.onError: ");
    expect(error.field).toBe("spec.backupHook[0].preHooks[0].exec.timeout");
    expect((error.details?.faults as unknown[]).length).toBe(2);
  });
});

describe("parseRestoreHook", () => {
  it("reads Azure's documented example", () => {
    expect(parseRestoreHook(documentedRestoreHook())).toEqual({
      kind: "RestoreHook",
      namespace: "default",
      name: "restorehookname0",
      restoreHook: [
        {
          name: "myhook-1",
          includedNamespaces: [],
          excludedNamespaces: [],
          postHooks: [
            {
              container: "webcontainer",
              command: ["/bin/bash", "-c", "echo hello > hello.txt && echo goodbye > goodbye.txt"],
              onError: "Continue",
              timeoutInMs: 30_000,
              waitTimeoutInMs: 300_000,
            },
          ],
        },
      ],
    });
  });

  it("defaults onError to Continue and leaves the timeouts to the runner", () => {
    const object = documentedRestoreHook() as any;
    object.spec.restoreHook[0].postHooks = [{ exec: { command: ["/bin/true"] } }];
    expect(parseRestoreHook(object).restoreHook[0]?.postHooks).toEqual([{ command: ["/bin/true"], onError: "Continue" }]);
  });

  it.each<[string, (entry: any) => void, string, RegExp]>([
    ["a bad execTimeout", (entry) => (entry.postHooks[0].exec.execTimeout = "1 minute"), "spec.restoreHook[0].postHooks[0].exec.execTimeout", /unknown unit/],
    ["a bad waitTimeout", (entry) => (entry.postHooks[0].exec.waitTimeout = "5"), "spec.restoreHook[0].postHooks[0].exec.waitTimeout", /missing unit/],
    ["a backup-style timeout", (entry) => (entry.postHooks[0].exec.timeout = "5s"), "spec.restoreHook[0].postHooks[0].exec.timeout", /unknown field/],
    ["preHooks, which restore hooks do not have", (entry) => (entry.preHooks = []), "spec.restoreHook[0].preHooks", /unknown field/],
  ])("refuses %s", (_, change, field, message) => {
    const object = documentedRestoreHook() as any;
    change(object.spec.restoreHook[0]);
    const error = parseError(() => parseRestoreHook(object));
    expect(error.field).toBe(field);
    expect(error.message.startsWith(`RestoreHook default/restorehookname0: ${field}: in hook "myhook-1": `)).toBe(true);
    expect(error.message).toMatch(message);
  });

  it("refuses an init hook: only exec hooks run", () => {
    const object = documentedRestoreHook() as any;
    object.spec.restoreHook[0].postHooks[0] = { init: { initContainers: [] } };
    const error = parseError(() => parseRestoreHook(object));
    expect(error.message).toMatch(/^RestoreHook default\/restorehookname0 has 2 problems: /);
    expect(error.message).toContain('spec.restoreHook[0].postHooks[0].exec: in hook "myhook-1": is required');
    expect(error.message).toContain('spec.restoreHook[0].postHooks[0].init: in hook "myhook-1": unknown field');
  });

  it("refuses a BackupHook", () => {
    expect(parseError(() => parseRestoreHook(documentedBackupHook())).message).toMatch(/kind: must be "RestoreHook"/);
  });
});
