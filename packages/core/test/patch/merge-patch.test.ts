import { describe, expect, it } from "vitest";
import { applyMergePatch } from "@kbackup/core";

// RFC 7396 Appendix A: original, patch, result.
const RFC_7396_EXAMPLES: Array<[unknown, unknown, unknown]> = [
  [{ a: "b" }, { a: "c" }, { a: "c" }],
  [{ a: "b" }, { b: "c" }, { a: "b", b: "c" }],
  [{ a: "b" }, { a: null }, {}],
  [{ a: "b", b: "c" }, { a: null }, { b: "c" }],
  [{ a: ["b"] }, { a: "c" }, { a: "c" }],
  [{ a: "c" }, { a: ["b"] }, { a: ["b"] }],
  [{ a: { b: "c" } }, { a: { b: "d", c: null } }, { a: { b: "d" } }],
  [{ a: [{ b: "c" }] }, { a: [1] }, { a: [1] }],
  [["a", "b"], ["c", "d"], ["c", "d"]],
  [{ a: "b" }, ["c"], ["c"]],
  [{ a: "foo" }, null, null],
  [{ a: "foo" }, "bar", "bar"],
  [{ e: null }, { a: 1 }, { e: null, a: 1 }],
  [[1, 2], { a: "b", c: null }, { a: "b" }],
  [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
];

describe("applyMergePatch", () => {
  it.each(RFC_7396_EXAMPLES.map(([original, patch, result], i) => ({ n: i + 1, original, patch, result })))(
    "RFC 7396 Appendix A example $n",
    ({ original, patch, result }) => {
      const before = structuredClone(original);
      const patchBefore = structuredClone(patch);
      expect(applyMergePatch(original, patch)).toEqual(result);
      expect(original).toEqual(before);
      expect(patch).toEqual(patchBefore);
    },
  );

  it("does not let the result alias the patch's values", () => {
    const patch = { spec: { args: ["a"] } };
    const result = applyMergePatch({}, patch) as typeof patch;
    expect(result.spec.args).toEqual(["a"]);
    expect(result.spec.args).not.toBe(patch.spec.args);
  });

  it("merges nested maps and keeps untouched members of the target", () => {
    const target = { metadata: { labels: { app: "web", tier: "fe" }, name: "x" }, spec: { replicas: 1 } };
    const result = applyMergePatch(target, { metadata: { labels: { tier: null, env: "prod" } }, spec: { replicas: 3 } }) as typeof target;
    expect(result).toEqual({ metadata: { labels: { app: "web", env: "prod" }, name: "x" }, spec: { replicas: 3 } });
    expect(target.spec.replicas).toBe(1);
  });
});
