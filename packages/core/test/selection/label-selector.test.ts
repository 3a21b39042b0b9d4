import { describe, expect, it } from "vitest";
import {
  compileLabelSelector,
  isKBackupError,
  labelSelectorProblem,
  labelSelectorToString,
  matchesLabels,
  parseLabelSelector,
  type LabelSelector,
  type Labels,
} from "@kbackup/core";

function errorOf(action: () => unknown): { code: string; field: string | undefined; message: string } {
  try {
    action();
  } catch (error) {
    if (!isKBackupError(error)) throw error;
    return { code: error.code, field: error.field, message: error.message };
  }
  throw new Error("expected an error");
}

const web: Labels = { app: "web", tier: "frontend", env: "prod" };
const cache: Labels = { app: "cache", tier: "backend" };
const bare: Labels = {};

describe("parseLabelSelector: matching", () => {
  const cases: Array<{ selector: string; matches: Labels[]; rejects: Labels[] }> = [
    { selector: "", matches: [web, cache, bare], rejects: [] },
    { selector: "   ", matches: [web, bare], rejects: [] },
    { selector: "app=web", matches: [web], rejects: [cache, bare] },
    { selector: "app==web", matches: [web], rejects: [cache, bare] },
    { selector: "app!=web", matches: [cache, bare], rejects: [web] },
    { selector: "app in (web,cache)", matches: [web, cache], rejects: [bare] },
    { selector: "app notin (web)", matches: [cache, bare], rejects: [web] },
    { selector: "app notin (web,cache)", matches: [bare], rejects: [web, cache] },
    { selector: "env", matches: [web], rejects: [cache, bare] },
    { selector: "!env", matches: [cache, bare], rejects: [web] },
    { selector: "app=web,tier=frontend", matches: [web], rejects: [cache] },
    { selector: "app=web,tier=backend", matches: [], rejects: [web, cache] },
    { selector: "app=web,app=cache", matches: [], rejects: [web, cache] },
    { selector: "a=b,c==d,e!=f,g in (x,y),h notin (z),i,!j", matches: [{ a: "b", c: "d", g: "x", i: "" }], rejects: [{ a: "b", c: "d", g: "x" }] },
    { selector: " app = web , tier in ( frontend , x ) ,! legacy ", matches: [web], rejects: [cache, { ...web, legacy: "1" }] },
    { selector: "app\tin(web)\n", matches: [web], rejects: [cache] },
    { selector: "env=", matches: [{ env: "" }], rejects: [web, bare] },
    { selector: "env!=", matches: [web, bare], rejects: [{ env: "" }] },
    { selector: "env in (prod,)", matches: [web, { env: "" }], rejects: [bare] },
    { selector: "example.com/team=core", matches: [{ "example.com/team": "core" }], rejects: [{ team: "core" }] },
    { selector: "in=notin", matches: [{ in: "notin" }], rejects: [bare] },
    // Keys that name Object.prototype members must not see them.
    { selector: "constructor", matches: [{ constructor: "x" }], rejects: [bare] },
    { selector: "!toString", matches: [bare], rejects: [{ toString: "x" }] },
    { selector: "hasOwnProperty notin (a,b)", matches: [bare], rejects: [{ hasOwnProperty: "a" }] },
  ];
  for (const { selector, matches, rejects } of cases) {
    it(`"${selector}"`, () => {
      const compiled = parseLabelSelector(selector);
      for (const labels of matches) expect(compiled.matches(labels), JSON.stringify(labels)).toBe(true);
      for (const labels of rejects) expect(compiled.matches(labels), JSON.stringify(labels)).toBe(false);
      // The string form keeps the meaning.
      const again = parseLabelSelector(compiled.toString());
      for (const labels of [...matches, ...rejects]) expect(again.matches(labels)).toBe(compiled.matches(labels));
    });
  }

  it("treats absent labels as no labels", () => {
    expect(parseLabelSelector("!app").matches(undefined)).toBe(true);
    expect(parseLabelSelector("app").matches(undefined)).toBe(false);
    expect(parseLabelSelector("app!=web").matches(undefined)).toBe(true);
  });

  it("says when it matches everything", () => {
    expect(parseLabelSelector("").matchesEverything).toBe(true);
    expect(parseLabelSelector("a").matchesEverything).toBe(false);
  });
});

describe("parseLabelSelector: errors", () => {
  const cases: Array<{ selector: string; message: string }> = [
    { selector: "a=b,", message: `term "": a term is missing after the last ','` },
    { selector: ",a=b", message: `term "": the term is empty` },
    { selector: "a=b,,c", message: `term "": the term is empty` },
    { selector: "=b", message: `term "=b": expected '!' or a label key, found '='` },
    { selector: "!", message: `term "!": expected a label key, found 'end of selector'` },
    { selector: "!a=b", message: `term "!a=b": '!a' (does not exist) takes no operator or value` },
    { selector: "a b", message: `term "a b": expected an operator (=, ==, !=, in, notin), ',' or the end after key 'a', found 'b'` },
    { selector: "a=b c", message: `term "a=b c": expected ',' or the end of the selector after the term, found 'c'` },
    { selector: "a=b=c", message: `term "a=b=c": expected ',' or the end of the selector after the term, found '='` },
    { selector: "a=(b)", message: `term "a=(b)": expected a value after '=', found '('` },
    { selector: "a>1", message: `term "a>1": operator '>' is not supported` },
    { selector: "a<1", message: `term "a<1": operator '<' is not supported` },
    { selector: "a in x", message: `term "a in x": expected '(' after 'in', found 'x'` },
    { selector: "a notin", message: `term "a notin": expected '(' after 'notin', found 'end of selector'` },
    { selector: "x=y,a in ()", message: `term "a in ()": 'in' needs at least one value` },
    { selector: "a notin ()", message: `term "a notin ()": 'notin' needs at least one value` },
    { selector: "a in (,b)", message: `term "a in (,b)": expected a value after '(', found ','` },
    { selector: "a in (b", message: `term "a in (b": missing ')'` },
    { selector: "a in (b c)", message: `term "a in (b c)": expected ',' or ')' after a value, found 'c'` },
    { selector: "a in (b,=)", message: `term "a in (b,=)": expected a value, ',' or ')', found '='` },
    { selector: "a in (b,", message: `term "a in (b,": missing ')'` },
    { selector: "-a=b", message: `term "-a=b": label key "-a" must consist of alphanumeric characters` },
    { selector: `${"k".repeat(64)}=v`, message: `has a name longer than 63 characters` },
    { selector: "/a=b", message: `label key "/a" has an empty prefix before '/'` },
    { selector: "a/=b", message: `label key "a/" has an empty name` },
    { selector: "a/b/c=d", message: `label key "a/b/c" has more than one '/'` },
    { selector: "Example.com/a=b", message: `label key "Example.com/a" has an invalid prefix` },
    { selector: `${"p".repeat(254)}/a`, message: "is longer than 253 characters" },
    { selector: "a=b_", message: `term "a=b_": label value "b_" must be empty or consist of` },
    { selector: `a=${"v".repeat(64)}`, message: "is longer than 63 characters" },
    { selector: "a in (ok,-bad)", message: `term "a in (ok,-bad)": label value "-bad" must be empty` },
  ];
  for (const { selector, message } of cases) {
    it(`rejects "${selector.slice(0, 40)}"`, () => {
      const error = errorOf(() => parseLabelSelector(selector, "spec.selector"));
      expect(error.code).toBe("InvalidArgument");
      expect(error.field).toBe("spec.selector");
      expect(error.message).toContain(`spec.selector: invalid label selector "${selector}": `);
      expect(error.message).toContain(message);
      expect(labelSelectorProblem(selector)).toContain(message);
    });
  }

  it("defaults the field to labelSelector", () => {
    expect(errorOf(() => parseLabelSelector("a in ()")).field).toBe("labelSelector");
  });

  it("rejects a value that is not a string", () => {
    expect(errorOf(() => parseLabelSelector(42 as unknown as string)).message).toContain("must be a string");
    expect(labelSelectorProblem(null as unknown as string)).toContain("must be a string");
  });

  it("accepts what it does not reject", () => {
    expect(labelSelectorProblem("a in (b, c), !d")).toBeUndefined();
  });
});

describe("compileLabelSelector", () => {
  it("matches matchLabels and every operator", () => {
    const compiled = compileLabelSelector({
      matchLabels: { app: "web" },
      matchExpressions: [
        { key: "env", operator: "In", values: ["prod", "qa"] },
        { key: "tier", operator: "NotIn", values: ["backend"] },
        { key: "owner", operator: "Exists" },
        { key: "legacy", operator: "DoesNotExist", values: [] },
      ],
    });
    expect(compiled.matches({ app: "web", env: "qa", owner: "x" })).toBe(true);
    expect(compiled.matches({ app: "web", env: "qa", owner: "x", tier: "frontend" })).toBe(true);
    expect(compiled.matches({ app: "web", env: "qa", owner: "x", tier: "backend" })).toBe(false);
    expect(compiled.matches({ app: "web", env: "dev", owner: "x" })).toBe(false);
    expect(compiled.matches({ app: "web", env: "qa" })).toBe(false);
    expect(compiled.matches({ app: "web", env: "qa", owner: "x", legacy: "" })).toBe(false);
    expect(compiled.matches({ app: "api", env: "qa", owner: "x" })).toBe(false);
  });

  it("matches everything when empty or absent", () => {
    expect(compileLabelSelector({}).matches({ a: "b" })).toBe(true);
    expect(compileLabelSelector(undefined).matchesEverything).toBe(true);
  });

  const invalid: Array<{ name: string; selector: unknown; field: string; message: string }> = [
    { name: "In without values", selector: { matchExpressions: [{ key: "a", operator: "In" }] }, field: "sel.matchExpressions[0].values", message: `term (key "a", operator In): In needs at least one value` },
    { name: "NotIn with empty values", selector: { matchExpressions: [{ key: "a", operator: "NotIn", values: [] }] }, field: "sel.matchExpressions[0].values", message: "NotIn needs at least one value" },
    { name: "Exists with values", selector: { matchExpressions: [{ key: "a", operator: "Exists", values: ["x"] }] }, field: "sel.matchExpressions[0].values", message: "Exists takes no values" },
    { name: "DoesNotExist with values", selector: { matchExpressions: [{ key: "a", operator: "DoesNotExist", values: ["x"] }] }, field: "sel.matchExpressions[0].values", message: "DoesNotExist takes no values" },
    { name: "an unknown operator", selector: { matchExpressions: [{ key: "a", operator: "Gt", values: ["1"] }] }, field: "sel.matchExpressions[0].operator", message: "the operator must be one of In, NotIn, Exists, DoesNotExist" },
    { name: "a lower case operator", selector: { matchExpressions: [{ key: "a", operator: "in", values: ["1"] }] }, field: "sel.matchExpressions[0].operator", message: "operator in)" },
    { name: "an invalid key", selector: { matchExpressions: [{ key: "a b", operator: "Exists" }] }, field: "sel.matchExpressions[0].key", message: `label key "a b"` },
    { name: "a key that is not a string", selector: { matchExpressions: [{ key: 1, operator: "Exists" }] }, field: "sel.matchExpressions[0].key", message: "the key must be a string" },
    { name: "an invalid value", selector: { matchExpressions: [{ key: "a", operator: "In", values: ["ok", "no way"] }] }, field: "sel.matchExpressions[0].values[1]", message: `label value "no way"` },
    { name: "values that are not strings", selector: { matchExpressions: [{ key: "a", operator: "In", values: [1] }] }, field: "sel.matchExpressions[0].values", message: "values must be an array of strings" },
    { name: "an unknown field of an expression", selector: { matchExpressions: [{ key: "a", operator: "Exists", value: "x" }] }, field: "sel.matchExpressions[0].value", message: "unknown field" },
    { name: "an expression that is not an object", selector: { matchExpressions: ["a=b"] }, field: "sel.matchExpressions[0]", message: "must be an object" },
    { name: "matchExpressions not an array", selector: { matchExpressions: {} }, field: "sel.matchExpressions", message: "must be an array" },
    { name: "an invalid matchLabels key", selector: { matchLabels: { "-x": "y" } }, field: `sel.matchLabels["-x"]`, message: `term "-x=y": label key "-x"` },
    { name: "an invalid matchLabels value", selector: { matchLabels: { x: "y z" } }, field: `sel.matchLabels["x"]`, message: `term "x=y z": label value "y z"` },
    { name: "a matchLabels value that is not a string", selector: { matchLabels: { x: 1 } }, field: `sel.matchLabels["x"]`, message: "the value must be a string" },
    { name: "matchLabels not an object", selector: { matchLabels: ["a"] }, field: "sel.matchLabels", message: "must be an object" },
    { name: "an unknown field", selector: { matchLabel: { a: "b" } }, field: "sel.matchLabel", message: "unknown field of a label selector" },
    { name: "a string", selector: "a=b", field: "sel", message: "must be an object" },
  ];
  for (const { name, selector, field, message } of invalid) {
    it(`rejects ${name}`, () => {
      const error = errorOf(() => compileLabelSelector(selector as LabelSelector, "sel"));
      expect(error.code).toBe("InvalidArgument");
      expect(error.field).toBe(field);
      expect(error.message).toContain(message);
    });
  }

  it("gives back the selector as an object, equality terms as matchLabels", () => {
    expect(parseLabelSelector("a=b,c!=d,e in (f,g),h,!i,a=x").selector).toEqual({
      matchLabels: { a: "b" },
      matchExpressions: [
        { key: "c", operator: "NotIn", values: ["d"] },
        { key: "e", operator: "In", values: ["f", "g"] },
        { key: "h", operator: "Exists" },
        { key: "i", operator: "DoesNotExist" },
        { key: "a", operator: "In", values: ["x"] },
      ],
    });
    expect(parseLabelSelector("").selector).toEqual({});
  });
});

describe("labelSelectorToString", () => {
  const cases: Array<{ selector: LabelSelector; text: string }> = [
    { selector: {}, text: "" },
    { selector: { matchLabels: { app: "web", "example.com/tier": "" } }, text: "app=web,example.com/tier=" },
    { selector: { matchExpressions: [{ key: "a", operator: "In", values: ["x"] }] }, text: "a=x" },
    { selector: { matchExpressions: [{ key: "a", operator: "In", values: ["x", "y"] }] }, text: "a in (x,y)" },
    { selector: { matchExpressions: [{ key: "a", operator: "NotIn", values: ["x"] }] }, text: "a!=x" },
    { selector: { matchExpressions: [{ key: "a", operator: "NotIn", values: ["x", "y"] }] }, text: "a notin (x,y)" },
    { selector: { matchExpressions: [{ key: "a", operator: "In", values: ["", "x"] }] }, text: "a in (x,)" },
    { selector: { matchExpressions: [{ key: "a", operator: "Exists" }] }, text: "a" },
    { selector: { matchExpressions: [{ key: "a", operator: "DoesNotExist" }] }, text: "!a" },
  ];
  for (const { selector, text } of cases) {
    it(`writes ${JSON.stringify(selector)} as "${text}"`, () => {
      expect(labelSelectorToString(selector)).toBe(text);
      expect(compileLabelSelector(selector).toString()).toBe(text);
    });
  }

  it("keeps NotIn and DoesNotExist semantics through a round trip", () => {
    const selector: LabelSelector = {
      matchExpressions: [
        { key: "tier", operator: "NotIn", values: ["cache", "db"] },
        { key: "legacy", operator: "DoesNotExist" },
      ],
    };
    const parsed = parseLabelSelector(labelSelectorToString(selector));
    const samples: Labels[] = [{}, { tier: "web" }, { tier: "db" }, { legacy: "1" }, { tier: "cache", legacy: "" }];
    for (const labels of samples) {
      expect(parsed.matches(labels)).toBe(compileLabelSelector(selector).matches(labels));
    }
    expect(parsed.matches({})).toBe(true);
  });

  it("normalises a string", () => {
    expect(labelSelectorToString(" a == b ,  c in ( d , e ) ")).toBe("a=b,c in (d,e)");
  });

  it("throws for an invalid selector", () => {
    expect(errorOf(() => labelSelectorToString({ matchExpressions: [{ key: "a", operator: "In" }] })).code).toBe("InvalidArgument");
  });
});

describe("matchesLabels", () => {
  it("accepts a compiled selector, an object or a string", () => {
    const compiled = parseLabelSelector("app=web");
    expect(matchesLabels(compiled, { app: "web" })).toBe(true);
    expect(matchesLabels({ matchLabels: { app: "web" } }, { app: "web" })).toBe(true);
    expect(matchesLabels("app!=web", { app: "web" })).toBe(false);
    expect(matchesLabels({ matchExpressions: [{ key: "app", operator: "DoesNotExist" }] }, undefined)).toBe(true);
  });

  it("throws InvalidArgument for an invalid selector", () => {
    expect(errorOf(() => matchesLabels("a in ()", {})).code).toBe("InvalidArgument");
  });
});
