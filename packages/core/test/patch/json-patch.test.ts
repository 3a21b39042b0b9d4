import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { applyJsonPatch, isKBackupError, type JsonPatchOperation } from "@kbackup/core";

interface SuiteCase {
  comment?: string;
  doc: unknown;
  patch: JsonPatchOperation[];
  expected?: unknown;
  error?: string;
  disabled?: boolean;
}

const require = createRequire(import.meta.url);
const suites: Record<string, SuiteCase[]> = {
  "tests.json": require("json-patch-test-suite/tests.json") as SuiteCase[],
  "spec_tests.json": require("json-patch-test-suite/spec_tests.json") as SuiteCase[],
};

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
    Object.freeze(value);
  }
  return value;
}

for (const [file, cases] of Object.entries(suites)) {
  describe(`json-patch-test-suite ${file}`, () => {
    // The suite itself marks a few cases disabled (behaviour it leaves to implementations); only those are left out.
    const enabled = cases.map((c, i) => ({ ...c, title: `#${i} ${c.comment ?? JSON.stringify(c.patch)}` })).filter((c) => !c.disabled);
    it("has cases to run", () => expect(enabled.length).toBeGreaterThan(10));
    for (const c of enabled) {
      it(c.title, () => {
        // Frozen inputs prove that nothing is written in place.
        const doc = deepFreeze(structuredClone(c.doc));
        const patch = deepFreeze(structuredClone(c.patch));
        if (c.error !== undefined) {
          let thrown: unknown;
          try {
            applyJsonPatch(doc, patch);
          } catch (error) {
            thrown = error;
          }
          expect(isKBackupError(thrown), `expected an error: ${c.error}`).toBe(true);
          return;
        }
        const result = applyJsonPatch(doc, patch);
        expect(doc).toEqual(c.doc);
        if ("expected" in c) expect(result).toEqual(c.expected);
      });
    }
  });
}

function errorOf(fn: () => unknown): { code: string; message: string; field?: string; details?: Record<string, unknown> } {
  try {
    fn();
  } catch (error) {
    if (isKBackupError(error)) return { code: error.code, message: error.message, field: error.field, details: error.details };
    throw error;
  }
  throw new Error("expected a KBackupError");
}

describe("applyJsonPatch", () => {
  it("names the operation and field of a malformed operation", () => {
    const ops = (list: unknown[]) => list as JsonPatchOperation[];
    expect(errorOf(() => applyJsonPatch({}, ops([{ op: "add", path: "/a", value: 1 }, { op: "spam", path: "/a" }])))).toMatchObject({
      code: "InvalidArgument",
      field: "operations[1].op",
    });
    expect(errorOf(() => applyJsonPatch({}, ops([{ op: "add", path: "a", value: 1 }])))).toMatchObject({ code: "InvalidArgument", field: "operations[0].path" });
    expect(errorOf(() => applyJsonPatch({}, ops([{ op: "add", value: 1 }])))).toMatchObject({ code: "InvalidArgument", field: "operations[0].path" });
    expect(errorOf(() => applyJsonPatch({}, ops([{ op: "add", path: "/a~2", value: 1 }])))).toMatchObject({ code: "InvalidArgument", field: "operations[0].path" });
    expect(errorOf(() => applyJsonPatch({ a: 1 }, ops([{ op: "move", path: "/b" }])))).toMatchObject({ code: "InvalidArgument", field: "operations[0].from" });
    expect(errorOf(() => applyJsonPatch({ a: 1 }, ops([{ op: "replace", path: "/a" }])))).toMatchObject({ code: "InvalidArgument", field: "operations[0].value" });
    expect(errorOf(() => applyJsonPatch({}, ops(["add"])))).toMatchObject({ code: "InvalidArgument", field: "operations[0]" });
  });

  it("reports a failed test as PreconditionFailed with the operation index", () => {
    const error = errorOf(() =>
      applyJsonPatch({ a: 1 }, [
        { op: "test", path: "/a", value: 1 },
        { op: "test", path: "/a", value: 2 },
      ]),
    );
    expect(error.code).toBe("PreconditionFailed");
    expect(error.details).toEqual({ operationIndex: 1, op: "test", path: "/a" });
    expect(errorOf(() => applyJsonPatch({}, [{ op: "test", path: "/missing", value: null }])).code).toBe("PreconditionFailed");
  });

  it.each<[string, unknown, JsonPatchOperation[]]>([
    ["a missing parent", { a: {} }, [{ op: "add", path: "/a/b/c", value: 1 }]],
    ["an index out of range", { a: [1] }, [{ op: "replace", path: "/a/1", value: 2 }]],
    ["a leading zero index", { a: [1, 2] }, [{ op: "remove", path: "/a/01" }]],
    ["remove of a missing member", { a: 1 }, [{ op: "remove", path: "/b" }]],
    ["a move into its own child", { a: { b: {} } }, [{ op: "move", from: "/a", path: "/a/b/c" }]],
    ["a copy from a missing location", { a: 1 }, [{ op: "copy", from: "/x", path: "/b" }]],
    ["an add under a scalar", { a: 1 }, [{ op: "add", path: "/a/b", value: 1 }]],
  ])("reports %s as Conflict naming the operation and path", (_name, doc, patch) => {
    const error = errorOf(() => applyJsonPatch(doc, patch));
    expect(error.code).toBe("Conflict");
    expect(error.details).toMatchObject({ operationIndex: 0, op: patch[0]!.op, path: patch[0]!.path });
    expect(error.message).toContain("operations[0]");
  });

  it("shares untouched subtrees and copies the changed path", () => {
    const doc = { metadata: { labels: { a: "1" } }, spec: { containers: [{ name: "c", image: "x" }] } };
    const result = applyJsonPatch(doc, [{ op: "replace", path: "/spec/containers/0/image", value: "y" }]) as typeof doc;
    expect(result.spec.containers[0]!.image).toBe("y");
    expect(doc.spec.containers[0]!.image).toBe("x");
    expect(result.metadata).toBe(doc.metadata);
    expect(result.spec).not.toBe(doc.spec);
  });

  it("copies values taken from the operations and from copy sources", () => {
    const value = { deep: [1] };
    const result = applyJsonPatch({}, [
      { op: "add", path: "/a", value },
      { op: "copy", from: "/a", path: "/b" },
    ]) as { a: typeof value; b: typeof value };
    expect(result.a).not.toBe(value);
    expect(result.b).not.toBe(result.a);
    expect(result).toEqual({ a: { deep: [1] }, b: { deep: [1] } });
  });

  it("treats __proto__ as an ordinary member", () => {
    const result = applyJsonPatch({}, [{ op: "add", path: "/__proto__", value: { polluted: true } }]) as Record<string, unknown>;
    expect(Object.keys(result)).toEqual(["__proto__"]);
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
    expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
  });
});
