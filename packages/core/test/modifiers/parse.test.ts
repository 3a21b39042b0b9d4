import { describe, expect, it } from "vitest";
import {
  compileResourceModifiers,
  isKBackupError,
  MAX_RESOURCE_MODIFIERS_BYTES,
  parseResourceModifiers,
  resourceModifiersFromConfigMap,
  type KubeObject,
} from "@kbackup/core";

const valid = `
version: v1
resourceModifierRules:
- conditions:
    groupResource: persistentvolumeclaims
  patches:
  - operation: replace
    path: /spec/storageClassName
    value: premium
`;

/** The InvalidArgument a call throws, and its message. */
function invalid(call: () => unknown): { message: string; faults: { field: string; message: string }[] } {
  try {
    call();
  } catch (error) {
    expect(isKBackupError(error, "InvalidArgument")).toBe(true);
    const { message, details } = error as Error & { details?: { faults?: { field: string; message: string }[] } };
    return { message, faults: details?.faults ?? [] };
  }
  throw new Error("expected an InvalidArgument error");
}

/** Parses a document of one rule built from `rule`. */
function ruleFault(rule: unknown): string {
  return invalid(() => compileResourceModifiers({ version: "v1", resourceModifierRules: [rule] })).message;
}

const conditions = { groupResource: "pods" };
const patches = [{ operation: "remove", path: "/metadata/labels/a" }];

describe("parseResourceModifiers", () => {
  it("reads a YAML document into compiled rules", () => {
    const modifiers = parseResourceModifiers(valid);
    expect(modifiers.version).toBe("v1");
    expect(modifiers.rules).toHaveLength(1);
    expect(modifiers.rules[0]).toMatchObject({ index: 0, patchType: "json" });
    expect(modifiers.rules[0]!.source.conditions.groupResource).toBe("persistentvolumeclaims");
  });

  it("reads the same document written as JSON", () => {
    const json = JSON.stringify({
      version: "v1",
      resourceModifierRules: [{ conditions: { groupResource: "pods" }, mergePatches: [{ patchData: '{"spec":{"x":1}}' }] }],
    });
    expect(parseResourceModifiers(json).rules[0]!.patchType).toBe("merge");
  });

  it("refuses text that is not YAML", () => {
    expect(invalid(() => parseResourceModifiers("version: v1\nresourceModifierRules: [\n")).message).toMatch(
      /^resourceModifiers: is not valid YAML or JSON/,
    );
  });

  it("refuses several YAML documents and duplicate keys", () => {
    expect(invalid(() => parseResourceModifiers(`${valid}\n---\n${valid}`)).message).toBe(
      "resourceModifiers: holds 2 YAML documents; expected one",
    );
    expect(invalid(() => parseResourceModifiers(`version: v1\nversion: v1\nresourceModifierRules: []`)).message).toMatch(
      /^resourceModifiers: is not valid YAML or JSON: Map keys must be unique/,
    );
  });

  it("refuses an alias bomb", () => {
    const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let level = 1; level < 9; level++) {
      const previous = String.fromCharCode(96 + level);
      const name = String.fromCharCode(97 + level);
      lines.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(",")}]`);
    }
    const { message } = invalid(() => parseResourceModifiers(lines.join("\n")));
    expect(message).toMatch(/^resourceModifiers: cannot be read: .*alias/i);
  });

  it("refuses a document over 1 MiB, and accepts one just under", () => {
    expect(MAX_RESOURCE_MODIFIERS_BYTES).toBe(1024 * 1024);
    const padding = (bytes: number) => `${valid}#${"x".repeat(bytes - valid.length - 1)}`;
    expect(parseResourceModifiers(padding(MAX_RESOURCE_MODIFIERS_BYTES)).rules).toHaveLength(1);
    expect(invalid(() => parseResourceModifiers(padding(MAX_RESOURCE_MODIFIERS_BYTES + 1))).message).toBe(
      `resourceModifiers: is ${MAX_RESOURCE_MODIFIERS_BYTES + 1} bytes, over the limit of ${MAX_RESOURCE_MODIFIERS_BYTES} bytes (1 MiB, the most a ConfigMap holds)`,
    );
  });

  it("counts the size in UTF-8 bytes", () => {
    const text = `${valid}# ${"é".repeat(MAX_RESOURCE_MODIFIERS_BYTES / 2)}`;
    expect(text.length).toBeLessThan(MAX_RESOURCE_MODIFIERS_BYTES);
    expect(invalid(() => parseResourceModifiers(text)).message).toMatch(/over the limit/);
  });
});

describe("faults of the document", () => {
  it("version must be v1", () => {
    expect(invalid(() => parseResourceModifiers(valid.replace("version: v1", "version: v2"))).message).toBe(
      'version: unsupported version "v2"; only v1 is supported',
    );
    expect(invalid(() => compileResourceModifiers({ resourceModifierRules: [{ conditions, patches }] })).message).toBe(
      "version: is required; use v1",
    );
  });

  it("the document must be an object", () => {
    expect(invalid(() => parseResourceModifiers("")).message).toBe("resourceModifiers: must be an object, not null");
    expect(invalid(() => parseResourceModifiers("- a")).message).toBe("resourceModifiers: must be an object, not a list");
  });

  it("unknown fields are refused at every level", () => {
    expect(invalid(() => compileResourceModifiers({ version: "v1", resourceModifierRules: [{ conditions, patches }], extra: 1 })).message).toBe(
      "extra: unknown field; expected one of version, resourceModifierRules",
    );
    expect(ruleFault({ conditions, patches, priority: 1 })).toBe(
      "resourceModifierRules[0].priority: unknown field; expected one of conditions, patches, mergePatches, strategicPatches",
    );
    expect(ruleFault({ conditions: { ...conditions, groupKind: "pods" }, patches })).toBe(
      "resourceModifierRules[0].conditions.groupKind: unknown field; expected one of groupResource, namespaces, resourceNameRegex, labelSelector, matches",
    );
    expect(ruleFault({ conditions, patches: [{ ...patches[0], op: "remove" }] })).toBe(
      "resourceModifierRules[0].patches[0].op: unknown field; expected one of operation, path, from, value",
    );
    expect(ruleFault({ conditions, mergePatches: [{ patchData: "{}", patchBytes: "{}" }] })).toBe(
      "resourceModifierRules[0].mergePatches[0].patchBytes: unknown field; expected one of patchData",
    );
    expect(ruleFault({ conditions: { ...conditions, matches: [{ path: "/a", value: "b", op: "eq" }] }, patches })).toBe(
      "resourceModifierRules[0].conditions.matches[0].op: unknown field; expected one of path, value",
    );
    expect(ruleFault({ conditions: { ...conditions, labelSelector: { matchLabel: { a: "b" } } }, patches })).toBe(
      "resourceModifierRules[0].conditions.labelSelector.matchLabel: unknown field of a label selector",
    );
  });

  it("rules and their parts must be objects", () => {
    expect(ruleFault("pods")).toBe('resourceModifierRules[0]: must be an object, not string "pods"');
    expect(ruleFault({ conditions: ["pods"], patches })).toBe("resourceModifierRules[0].conditions: must be an object, not a list");
    expect(ruleFault({ conditions, patches: ["remove /a"] })).toBe('resourceModifierRules[0].patches[0]: must be an object, not string "remove /a"');
    expect(invalid(() => compileResourceModifiers(undefined)).message).toBe("resourceModifiers: must be an object, not nothing");
  });

  it("resourceModifierRules must be a non-empty list", () => {
    expect(invalid(() => compileResourceModifiers({ version: "v1", resourceModifierRules: [] })).message).toBe(
      "resourceModifierRules: must hold at least one rule",
    );
    expect(invalid(() => compileResourceModifiers({ version: "v1" })).message).toBe("resourceModifierRules: is required");
    expect(invalid(() => compileResourceModifiers({ version: "v1", resourceModifierRules: {} })).message).toBe(
      "resourceModifierRules: must be a list of rules",
    );
  });

  it("a rule needs conditions with a groupResource", () => {
    expect(ruleFault({ patches })).toBe("resourceModifierRules[0].conditions: is required");
    expect(ruleFault({ conditions: {}, patches })).toBe("resourceModifierRules[0].conditions.groupResource: is required");
    expect(ruleFault({ conditions: { groupResource: "" }, patches })).toBe("resourceModifierRules[0].conditions.groupResource: must not be empty");
    expect(ruleFault({ conditions: { groupResource: 3 }, patches })).toBe(
      "resourceModifierRules[0].conditions.groupResource: must be a string, not number 3",
    );
  });

  it("a rule takes exactly one of patches, mergePatches and strategicPatches", () => {
    expect(ruleFault({ conditions })).toBe("resourceModifierRules[0]: needs one of patches, mergePatches or strategicPatches");
    expect(ruleFault({ conditions, patches, mergePatches: [{ patchData: "{}" }] })).toBe(
      "resourceModifierRules[0]: has patches and mergePatches; a rule takes exactly one of patches, mergePatches or strategicPatches",
    );
    expect(ruleFault({ conditions, patches: [] })).toBe("resourceModifierRules[0].patches: must not be empty");
  });

  it("an operation must be one of RFC 6902's", () => {
    expect(ruleFault({ conditions, patches: [{ operation: "merge", path: "/a" }] })).toBe(
      'resourceModifierRules[0].patches[0].operation: unsupported operation "merge"; use one of add, remove, replace, copy, move, test',
    );
    expect(ruleFault({ conditions, patches: [{ operation: "Replace", path: "/a", value: "1" }] })).toMatch(/unsupported operation "Replace"/);
    expect(ruleFault({ conditions, patches: [{ path: "/a" }] })).toBe("resourceModifierRules[0].patches[0].operation: is required");
  });

  it("a path must be a non-empty JSON Pointer", () => {
    expect(ruleFault({ conditions, patches: [{ operation: "remove", path: "" }] })).toBe(
      "resourceModifierRules[0].patches[0].path: must not be empty",
    );
    expect(ruleFault({ conditions, patches: [{ operation: "remove" }] })).toBe("resourceModifierRules[0].patches[0].path: is required");
    expect(ruleFault({ conditions, patches: [{ operation: "remove", path: "spec/replicas" }] })).toBe(
      'resourceModifierRules[0].patches[0].path: JSON Pointer "spec/replicas" must be empty or start with "/"',
    );
    expect(ruleFault({ conditions, patches: [{ operation: "copy", path: "/a" }] })).toBe("resourceModifierRules[0].patches[0].from: is required");
  });

  it("a value must be a string, and valid JSON when it starts like JSON", () => {
    expect(ruleFault({ conditions, patches: [{ operation: "replace", path: "/spec/replicas", value: 3 }] })).toBe(
      'resourceModifierRules[0].patches[0].value: must be a string (quote it, as in "3" or "true"), not number 3',
    );
    expect(ruleFault({ conditions, patches: [{ operation: "add", path: "/spec/x", value: "{name: a}" }] })).toMatch(
      /^resourceModifierRules\[0\]\.patches\[0\]\.value: starts like JSON but is not valid JSON: /,
    );
  });

  it("resourceNameRegex must be a valid RE2 expression", () => {
    expect(ruleFault({ conditions: { ...conditions, resourceNameRegex: "[a-z" }, patches })).toBe(
      'resourceModifierRules[0].conditions.resourceNameRegex: invalid regular expression "[a-z": error parsing regexp: missing closing ]: `[a-z`',
    );
    // Lookahead and backreferences need backtracking, which RE2 does not do.
    expect(ruleFault({ conditions: { ...conditions, resourceNameRegex: "^(?=a)" }, patches })).toMatch(/invalid or unsupported Perl syntax/);
    expect(ruleFault({ conditions: { ...conditions, resourceNameRegex: "(a)\\1" }, patches })).toMatch(/invalid escape sequence/);
  });

  it("globs must be valid", () => {
    expect(ruleFault({ conditions: { groupResource: "deployments.{apps" }, patches })).toBe(
      'resourceModifierRules[0].conditions.groupResource: invalid glob "deployments.{apps": unclosed "{" at offset 12',
    );
    expect(ruleFault({ conditions: { ...conditions, namespaces: ["prod-[a"] }, patches })).toBe(
      'resourceModifierRules[0].conditions.namespaces[0]: invalid glob "prod-[a": unclosed "[" at offset 5',
    );
    expect(ruleFault({ conditions: { ...conditions, namespaces: ["a[]"] }, patches })).toMatch(/empty character class at offset 1/);
    expect(ruleFault({ conditions: { ...conditions, namespaces: ["a[a-cx]"] }, patches })).toMatch(/must be one set like \[abc\] or one range/);
    expect(ruleFault({ conditions: { ...conditions, namespaces: ["[z-a]"] }, patches })).toMatch(/range "z-a" at offset 0 is reversed/);
    expect(ruleFault({ conditions: { ...conditions, namespaces: ["ns\\"] }, patches })).toMatch(/a trailing \\ escapes nothing/);
    expect(ruleFault({ conditions: { ...conditions, namespaces: [""] }, patches })).toBe(
      "resourceModifierRules[0].conditions.namespaces[0]: must not be empty",
    );
    expect(ruleFault({ conditions: { ...conditions, namespaces: "prod" }, patches })).toBe(
      'resourceModifierRules[0].conditions.namespaces: must be a list, not string "prod"',
    );
  });

  it("a label selector must be valid", () => {
    expect(ruleFault({ conditions: { ...conditions, labelSelector: { matchExpressions: [{ key: "app", operator: "In" }] } }, patches })).toBe(
      'resourceModifierRules[0].conditions.labelSelector.matchExpressions[0].values: term (key "app", operator In): In needs at least one value',
    );
    expect(ruleFault({ conditions: { ...conditions, labelSelector: { matchExpressions: [{ key: "app", operator: "Has" }] } }, patches })).toMatch(
      /labelSelector\.matchExpressions\[0\]\.operator: .*must be one of In, NotIn, Exists, DoesNotExist/,
    );
    expect(ruleFault({ conditions: { ...conditions, labelSelector: { matchLabels: { "bad key!": "x" } } }, patches })).toMatch(
      /^resourceModifierRules\[0\]\.conditions\.labelSelector\.matchLabels\["bad key!"\]: /,
    );
  });

  it("matches need a path and a valid value", () => {
    expect(ruleFault({ conditions: { ...conditions, matches: [{ value: "x" }] }, patches })).toBe(
      "resourceModifierRules[0].conditions.matches[0].path: is required",
    );
    expect(ruleFault({ conditions: { ...conditions, matches: [{ path: "/a", value: "[1," }] }, patches })).toMatch(
      /matches\[0\]\.value: starts like JSON but is not valid JSON/,
    );
  });

  it("patchData must be YAML or JSON text of an object", () => {
    expect(ruleFault({ conditions, mergePatches: [{ patchData: "[1, 2]" }] })).toBe(
      "resourceModifierRules[0].mergePatches[0].patchData: must be a YAML or JSON object (a map of fields to change)",
    );
    expect(ruleFault({ conditions, strategicPatches: [{ patchData: "spec: [" }] })).toMatch(
      /^resourceModifierRules\[0\]\.strategicPatches\[0\]\.patchData: is not valid YAML or JSON: /,
    );
    expect(ruleFault({ conditions, mergePatches: [{ patchData: { spec: {} } }] })).toBe(
      "resourceModifierRules[0].mergePatches[0].patchData: must be a string, not an object",
    );
    expect(ruleFault({ conditions, mergePatches: [{}] })).toBe("resourceModifierRules[0].mergePatches[0].patchData: is required");
  });

  it("collects every fault of every rule into one error", () => {
    const text = `
version: v1
resourceModifierRules:
- conditions:
    groupResource: pods
  patches:
  - operation: replace
    path: /spec/replicas
    value: "2"
- conditions:
    resourceNameRegex: "(unclosed"
  patches:
  - operation: upsert
    path: ""
- conditions:
    groupResource: pods
    resourceNameRegex: "[a-"
  mergePatches:
  - patchData: "a: 1"
  strategicPatches:
  - patchData: "a: 1"
`;
    const { message, faults } = invalid(() => parseResourceModifiers(text));
    expect(faults.map((fault) => fault.field)).toEqual([
      "resourceModifierRules[1].conditions.groupResource",
      "resourceModifierRules[1].conditions.resourceNameRegex",
      "resourceModifierRules[1].patches[0].operation",
      "resourceModifierRules[1].patches[0].path",
      "resourceModifierRules[2].conditions.resourceNameRegex",
      "resourceModifierRules[2]",
    ]);
    expect(message).toMatch(/^resourceModifiers has 6 problems: resourceModifierRules\[1\]\.conditions\.groupResource: is required; /);
    expect(message).toContain("resourceModifierRules[2].conditions.resourceNameRegex: invalid regular expression");
  });
});

describe("resourceModifiersFromConfigMap", () => {
  const configMap = (data: unknown): KubeObject => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "rules", namespace: "ops" }, data });

  it("reads the one key of the ConfigMap's data, whatever its name", () => {
    expect(resourceModifiersFromConfigMap(configMap({ "sub.yml": valid })).rules).toHaveLength(1);
  });

  it("needs exactly one key", () => {
    expect(invalid(() => resourceModifiersFromConfigMap(configMap({ a: valid, b: valid }))).message).toBe(
      "configMap.data: ConfigMap ops/rules must hold exactly one key with the resource modifiers, found 2",
    );
    expect(invalid(() => resourceModifiersFromConfigMap(configMap({}))).message).toMatch(/found 0/);
    expect(invalid(() => resourceModifiersFromConfigMap(configMap(undefined))).message).toBe("configMap.data: ConfigMap ops/rules has no data");
  });

  it("reports the document's faults", () => {
    expect(invalid(() => resourceModifiersFromConfigMap(configMap({ "rules.yaml": "version1: v1" }))).message).toMatch(
      /^resourceModifiers has 3 problems: version1: unknown field/,
    );
  });
});
