import { invalidArgument } from "../errors.js";
import { labelKeyProblem, labelValueProblem } from "./kube-names.js";

/** The operators of a `LabelSelector`'s `matchExpressions`, as Kubernetes spells them. */
export type LabelSelectorOperator = "In" | "NotIn" | "Exists" | "DoesNotExist";

/** One requirement of a `LabelSelector`: In/NotIn take at least one value, Exists/DoesNotExist none. */
export interface LabelSelectorRequirement {
  key: string;
  operator: LabelSelectorOperator;
  values?: string[];
}

/**
 * Kubernetes' `LabelSelector` object (`metav1.LabelSelector`): every `matchLabels` pair and every
 * `matchExpressions` requirement must hold. An empty selector matches every object.
 */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

/** An object's labels: `metadata.labels`. */
export type Labels = Readonly<Record<string, string>>;

/** A validated label selector, compiled for fast matching. Immutable. */
export interface CompiledLabelSelector {
  /**
   * The selector as a `LabelSelector` object: equality terms become `matchLabels` (unless their
   * key is already there), everything else `matchExpressions`.
   */
  readonly selector: LabelSelector;
  /** True when the selector has no requirement, so it matches every object. */
  readonly matchesEverything: boolean;
  /** True when `labels` (absent labels count as none) meet every requirement. */
  matches(labels: Labels | undefined): boolean;
  /** The selector in Kubernetes' string form, as {@link labelSelectorToString} writes it. */
  toString(): string;
}

const DEFAULT_FIELD = "labelSelector";
const OPERATORS: readonly LabelSelectorOperator[] = ["In", "NotIn", "Exists", "DoesNotExist"];
const NO_LABELS: Labels = Object.freeze({});

interface Requirement {
  key: string;
  operator: LabelSelectorOperator;
  values: string[];
  /** Written as `key=value` (or from `matchLabels`), so it belongs in `matchLabels`. */
  equality: boolean;
}

type LabelTest = (labels: Labels) => boolean;

/** A fault in a selector, before it is attached to a field. */
class SelectorProblem extends Error {}

/**
 * Parses a Kubernetes label selector string, such as `app=web,tier!=cache,env in (prod,qa),!legacy`,
 * with Kubernetes' grammar: terms separated by `,`; `k=v`, `k==v`, `k!=v`, `k in (v1,v2)`,
 * `k notin (v1,v2)`, `k` (exists), `!k` (does not exist); whitespace between tokens is ignored;
 * a value may be empty (`k=`). The empty string matches every object.
 * Throws InvalidArgument on `field` (default `labelSelector`) naming the selector and the offending
 * term: a syntax error, an invalid key or value, an empty value list, or `<`/`>` (which the
 * `LabelSelector` object cannot express).
 */
export function parseLabelSelector(text: string, field: string = DEFAULT_FIELD): CompiledLabelSelector {
  if (typeof text !== "string") throw invalidArgument(field, `a label selector must be a string, got ${typeof text}`);
  let requirements: Requirement[];
  try {
    requirements = new SelectorParser(text).parse();
  } catch (error) {
    if (error instanceof SelectorProblem) throw invalidArgument(field, `invalid label selector "${text}": ${error.message}`);
    throw error;
  }
  return compiled(requirements);
}

/**
 * Checks a Kubernetes label selector string as {@link parseLabelSelector} does: `undefined` when it
 * is valid, otherwise the problem, naming the selector and the offending term.
 */
export function labelSelectorProblem(text: string): string | undefined {
  if (typeof text !== "string") return `a label selector must be a string, got ${typeof text}`;
  try {
    new SelectorParser(text).parse();
    return undefined;
  } catch (error) {
    if (error instanceof SelectorProblem) return `invalid label selector "${text}": ${error.message}`;
    throw error;
  }
}

/**
 * Validates and compiles a `LabelSelector` object. `undefined` or `{}` matches every object.
 * Throws InvalidArgument on `field` (or `field.matchExpressions[i]...`) naming the offending term:
 * an unknown field, an invalid key or value, an unknown operator, In/NotIn without values, or
 * Exists/DoesNotExist with values.
 */
export function compileLabelSelector(selector: LabelSelector | undefined, field: string = DEFAULT_FIELD): CompiledLabelSelector {
  if (selector === undefined) return compiled([]);
  if (typeof selector !== "object" || selector === null || Array.isArray(selector)) {
    throw invalidArgument(field, "a label selector must be an object with matchLabels and/or matchExpressions");
  }
  for (const name of Object.keys(selector)) {
    if (name !== "matchLabels" && name !== "matchExpressions") throw invalidArgument(`${field}.${name}`, "unknown field of a label selector");
  }
  const requirements: Requirement[] = [];
  const { matchLabels, matchExpressions } = selector;
  if (matchLabels !== undefined) {
    if (typeof matchLabels !== "object" || matchLabels === null || Array.isArray(matchLabels)) {
      throw invalidArgument(`${field}.matchLabels`, "must be an object of label keys to values");
    }
    for (const [key, value] of Object.entries(matchLabels)) {
      const path = `${field}.matchLabels["${key}"]`;
      if (typeof value !== "string") throw invalidArgument(path, `term "${key}": the value must be a string`);
      const problem = labelKeyProblem(key) ?? labelValueProblem(value);
      if (problem !== undefined) throw invalidArgument(path, `term "${key}=${value}": ${problem}`);
      requirements.push({ key, operator: "In", values: [value], equality: true });
    }
  }
  if (matchExpressions !== undefined) {
    if (!Array.isArray(matchExpressions)) throw invalidArgument(`${field}.matchExpressions`, "must be an array");
    matchExpressions.forEach((expression, index) => {
      requirements.push(expressionRequirement(expression, `${field}.matchExpressions[${index}]`));
    });
  }
  return compiled(requirements);
}

/**
 * True when `labels` match `selector`. A string or `LabelSelector` is validated and compiled on
 * each call (throwing InvalidArgument like {@link parseLabelSelector} and {@link compileLabelSelector}):
 * on hot paths compile once and call `matches` on the result.
 */
export function matchesLabels(selector: CompiledLabelSelector | LabelSelector | string, labels: Labels | undefined): boolean {
  return toCompiled(selector).matches(labels);
}

/**
 * The selector in Kubernetes' string form, to send as a list's `labelSelector=` parameter:
 * `k=v` and `k!=v` for single values, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`, joined by `,`.
 * NotIn and DoesNotExist keep their meaning (an object without the key matches). Parsing the
 * result gives a selector that matches the same objects. `""` for a selector that matches all.
 * Throws InvalidArgument for an invalid `LabelSelector`, like {@link compileLabelSelector}.
 */
export function labelSelectorToString(selector: CompiledLabelSelector | LabelSelector | string): string {
  return toCompiled(selector).toString();
}

function toCompiled(selector: CompiledLabelSelector | LabelSelector | string): CompiledLabelSelector {
  if (typeof selector === "string") return parseLabelSelector(selector);
  if (isCompiled(selector)) return selector;
  return compileLabelSelector(selector);
}

function isCompiled(selector: CompiledLabelSelector | LabelSelector): selector is CompiledLabelSelector {
  return typeof (selector as Partial<CompiledLabelSelector>).matches === "function";
}

function expressionRequirement(expression: unknown, path: string): Requirement {
  if (typeof expression !== "object" || expression === null || Array.isArray(expression)) {
    throw invalidArgument(path, "a match expression must be an object with key, operator and values");
  }
  const { key, operator, values, ...rest } = expression as Record<string, unknown>;
  const unknownField = Object.keys(rest)[0];
  if (unknownField !== undefined) throw invalidArgument(`${path}.${unknownField}`, "unknown field of a match expression");
  if (typeof key !== "string") throw invalidArgument(`${path}.key`, "the key must be a string");
  const term = `term (key "${key}", operator ${String(operator)})`;
  const keyProblem = labelKeyProblem(key);
  if (keyProblem !== undefined) throw invalidArgument(`${path}.key`, `${term}: ${keyProblem}`);
  if (typeof operator !== "string" || !(OPERATORS as readonly string[]).includes(operator)) {
    throw invalidArgument(`${path}.operator`, `${term}: the operator must be one of ${OPERATORS.join(", ")}`);
  }
  const op = operator as LabelSelectorOperator;
  if (values !== undefined && (!Array.isArray(values) || values.some((value) => typeof value !== "string"))) {
    throw invalidArgument(`${path}.values`, `${term}: values must be an array of strings`);
  }
  const list = (values ?? []) as string[];
  if ((op === "In" || op === "NotIn") && list.length === 0) {
    throw invalidArgument(`${path}.values`, `${term}: ${op} needs at least one value`);
  }
  if ((op === "Exists" || op === "DoesNotExist") && list.length > 0) {
    throw invalidArgument(`${path}.values`, `${term}: ${op} takes no values`);
  }
  list.forEach((value, index) => {
    const problem = labelValueProblem(value);
    if (problem !== undefined) throw invalidArgument(`${path}.values[${index}]`, `${term}: ${problem}`);
  });
  return { key, operator: op, values: [...list], equality: false };
}

function compiled(requirements: Requirement[]): CompiledLabelSelector {
  const tests = requirements.map(compileRequirement);
  const text = requirements.map(requirementToString).join(",");
  const selector = toSelectorObject(requirements);
  let matches: (labels: Labels | undefined) => boolean;
  const [first, second] = tests;
  if (first === undefined) matches = () => true;
  else if (second === undefined) matches = (labels) => first(labels ?? NO_LABELS);
  else {
    matches = (labels) => {
      const present = labels ?? NO_LABELS;
      for (let i = 0; i < tests.length; i++) if (!tests[i]!(present)) return false;
      return true;
    };
  }
  return Object.freeze({ selector, matchesEverything: tests.length === 0, matches, toString: () => text });
}

// Label values are strings and Object.prototype has no string-valued members, so a `typeof`
// check tells a present label from an absent one (even for keys such as `constructor`).
function compileRequirement({ key, operator, values }: Requirement): LabelTest {
  const only = values.length === 1 ? values[0]! : undefined;
  const set = new Set(values);
  switch (operator) {
    case "In":
      return only !== undefined ? (labels) => labels[key] === only : (labels) => {
        const value = labels[key];
        return typeof value === "string" && set.has(value);
      };
    case "NotIn":
      return only !== undefined ? (labels) => labels[key] !== only : (labels) => {
        const value = labels[key];
        return typeof value !== "string" || !set.has(value);
      };
    case "Exists":
      return (labels) => typeof labels[key] === "string";
    case "DoesNotExist":
      return (labels) => typeof labels[key] !== "string";
  }
}

function requirementToString({ key, operator, values }: Requirement): string {
  switch (operator) {
    case "Exists":
      return key;
    case "DoesNotExist":
      return `!${key}`;
    case "In":
    case "NotIn": {
      if (values.length === 1) return `${key}${operator === "In" ? "=" : "!="}${values[0]}`;
      // An empty value is written last, `(a,)`: Kubernetes' parser refuses `(,a)`.
      const list = [...values.filter((value) => value !== ""), ...values.filter((value) => value === "")];
      return `${key} ${operator === "In" ? "in" : "notin"} (${list.join(",")})`;
    }
  }
}

function toSelectorObject(requirements: Requirement[]): LabelSelector {
  const matchLabels: Record<string, string> = {};
  const matchExpressions: LabelSelectorRequirement[] = [];
  for (const { key, operator, values, equality } of requirements) {
    if (equality && !Object.hasOwn(matchLabels, key)) matchLabels[key] = values[0]!;
    else if (operator === "Exists" || operator === "DoesNotExist") matchExpressions.push({ key, operator });
    else matchExpressions.push({ key, operator, values: [...values] });
  }
  const selector: LabelSelector = {};
  if (Object.keys(matchLabels).length > 0) selector.matchLabels = matchLabels;
  if (matchExpressions.length > 0) selector.matchExpressions = matchExpressions;
  return selector;
}

type TokenKind = "identifier" | "!" | "!=" | "=" | "==" | "(" | ")" | "," | "<" | ">" | "end";

interface Token {
  kind: TokenKind;
  text: string;
  start: number;
}

const SPECIAL = new Set(["!", "=", "(", ")", ",", "<", ">"]);
const WHITESPACE = new Set([" ", "\t", "\r", "\n"]);

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const char = text[i]!;
    if (WHITESPACE.has(char)) {
      i++;
    } else if (SPECIAL.has(char)) {
      const pair = text.slice(i, i + 2);
      const kind: TokenKind = pair === "!=" || pair === "==" ? pair : (char as TokenKind);
      tokens.push({ kind, text: kind, start: i });
      i += kind.length;
    } else {
      const start = i;
      while (i < text.length && !SPECIAL.has(text[i]!) && !WHITESPACE.has(text[i]!)) i++;
      tokens.push({ kind: "identifier", text: text.slice(start, i), start });
    }
  }
  tokens.push({ kind: "end", text: "", start: text.length });
  return tokens;
}

/** A recursive-descent parser of Kubernetes' selector grammar, one term at a time. */
class SelectorParser {
  private readonly tokens: Token[];
  private position = 0;
  private termStart = 0;

  constructor(private readonly text: string) {
    this.tokens = tokenize(text);
  }

  parse(): Requirement[] {
    const requirements: Requirement[] = [];
    if (this.peek().kind === "end") return requirements;
    for (;;) {
      this.termStart = this.peek().start;
      requirements.push(this.requirement());
      const next = this.next();
      if (next.kind === "end") return requirements;
      if (next.kind !== ",") throw this.problem(`expected ',' or the end of the selector after the term, found '${next.text}'`);
      if (this.peek().kind === "end") {
        this.termStart = this.peek().start;
        throw this.problem("a term is missing after the last ','");
      }
    }
  }

  private requirement(): Requirement {
    let token = this.next();
    const negated = token.kind === "!";
    if (negated) token = this.next();
    if (token.kind !== "identifier") {
      if (token.kind === ",") throw this.problem("the term is empty");
      throw this.problem(`expected ${negated ? "" : "'!' or "}a label key, found '${token.text || "end of selector"}'`);
    }
    const key = token.text;
    this.check(labelKeyProblem(key));
    const after = this.peek().kind;
    if (after === "end" || after === ",") {
      return { key, operator: negated ? "DoesNotExist" : "Exists", values: [], equality: false };
    }
    if (negated) throw this.problem(`'!${key}' (does not exist) takes no operator or value`);
    const operator = this.next();
    switch (operator.kind) {
      case "=":
      case "==":
      case "!=": {
        const value = this.exactValue(operator.kind);
        return { key, operator: operator.kind === "!=" ? "NotIn" : "In", values: [value], equality: operator.kind !== "!=" };
      }
      case "<":
      case ">":
        throw this.problem(`operator '${operator.kind}' is not supported: use =, ==, !=, in, notin, a bare key (exists) or !key (does not exist)`);
      case "identifier":
        if (operator.text === "in" || operator.text === "notin") {
          const values = this.valueSet(operator.text);
          return { key, operator: operator.text === "in" ? "In" : "NotIn", values, equality: false };
        }
        break;
      default:
        break;
    }
    throw this.problem(`expected an operator (=, ==, !=, in, notin), ',' or the end after key '${key}', found '${operator.text}'`);
  }

  private exactValue(operator: string): string {
    const token = this.peek();
    if (token.kind === "end" || token.kind === ",") return "";
    if (token.kind !== "identifier") throw this.problem(`expected a value after '${operator}', found '${token.text}'`);
    this.position++;
    this.check(labelValueProblem(token.text));
    return token.text;
  }

  private valueSet(operator: string): string[] {
    const open = this.next();
    if (open.kind !== "(") throw this.problem(`expected '(' after '${operator}', found '${open.text || "end of selector"}'`);
    if (this.peek().kind === ")") throw this.problem(`'${operator}' needs at least one value`);
    // Like Kubernetes, an empty value may follow a ',' but not open the list.
    if (this.peek().kind === ",") throw this.problem(`expected a value after '(', found ','`);
    const values: string[] = [];
    for (;;) {
      const token = this.peek();
      if (token.kind === "identifier") {
        this.position++;
        this.check(labelValueProblem(token.text));
        values.push(token.text);
      } else if (token.kind === "," || token.kind === ")") {
        values.push("");
      } else {
        throw this.problem(token.kind === "end" ? "missing ')'" : `expected a value, ',' or ')', found '${token.text}'`);
      }
      const separator = this.next();
      if (separator.kind === ")") return values;
      if (separator.kind !== ",") {
        throw this.problem(separator.kind === "end" ? "missing ')'" : `expected ',' or ')' after a value, found '${separator.text}'`);
      }
    }
  }

  private peek(): Token {
    return this.tokens[this.position]!;
  }

  private next(): Token {
    const token = this.tokens[this.position]!;
    if (token.kind !== "end") this.position++;
    return token;
  }

  private check(problem: string | undefined): void {
    if (problem !== undefined) throw this.problem(problem);
  }

  /** A fault naming the current term: the text from its start to the next top-level ','. */
  private problem(message: string): SelectorProblem {
    let depth = 0;
    let end = this.termStart;
    for (; end < this.text.length; end++) {
      const char = this.text[end];
      if (char === "(") depth++;
      else if (char === ")") depth = Math.max(0, depth - 1);
      else if (char === "," && depth === 0) break;
    }
    return new SelectorProblem(`term "${this.text.slice(this.termStart, end).trim()}": ${message}`);
  }
}
