import { RE2JS } from "re2js";

/** Tells whether a string matches a compiled glob. */
export type GlobMatcher = (text: string) => boolean;

/** A pattern that is not a valid glob; the message says what is wrong. */
export class GlobSyntaxError extends Error {}

// Results are remembered per string: a restore meets few distinct resource types and namespaces,
// so after warm-up a match is one Map lookup. The bound keeps many distinct inputs from growing it.
const CACHE_LIMIT = 4096;
const ANY_CHAR = "(?s:.)";
const ANY_RUN = "(?s:.*)";

/**
 * Compiles a glob with the syntax Velero uses for resource modifier conditions (gobwas/glob):
 *
 * - `*` matches any run of characters except `separator`; `**` matches any run of characters;
 * - `?` matches one character except `separator`;
 * - `[abc]` one of a set, `[a-z]` one of a range, `[!abc]` / `[!a-z]` any other character
 *   (classes do not care about the separator); a class is one set or one range, never empty;
 * - `{a,b*,c}` one of the alternatives, which are globs themselves and may nest;
 * - `\c` the character `c` itself; any other character (`]`, `}` and `,` outside braces
 *   included) matches itself.
 *
 * The whole string must match. Matching takes time linear in the input (RE2), whatever the
 * pattern. Without a `separator`, `*` and `?` match any character.
 *
 * @throws GlobSyntaxError for an unclosed `[` or `{`, an empty, mixed or reversed class, or a
 *   trailing `\`.
 */
export function compileGlob(pattern: string, separator?: string): GlobMatcher {
  const parser = new GlobParser(pattern, separator);
  const source = parser.parse();
  if (!parser.special) return (text) => text === pattern;
  if (source === ANY_RUN) return () => true;
  const regexp = RE2JS.compile(source);
  const cache = new Map<string, boolean>();
  return (text) => {
    let result = cache.get(text);
    if (result === undefined) {
      result = regexp.testExact(text);
      if (cache.size < CACHE_LIMIT) cache.set(text, result);
    }
    return result;
  };
}

/** Translates a glob to RE2 syntax, one code point at a time. */
class GlobParser {
  /** Whether the pattern used any special character (an escape counts). */
  special = false;
  private position = 0;
  private readonly chars: string[];
  private readonly notSeparator: string;

  constructor(pattern: string, separator: string | undefined) {
    this.chars = Array.from(pattern);
    this.notSeparator = separator === undefined ? ANY_CHAR : `[^${escapeInClass(separator)}]`;
  }

  parse(): string {
    return this.sequence(false);
  }

  /** Terms up to the end or, inside braces, up to the `,` or `}` that ends this alternative. */
  private sequence(inBraces: boolean): string {
    let out = "";
    const chars = this.chars;
    while (this.position < chars.length) {
      const char = chars[this.position]!;
      if (inBraces && (char === "," || char === "}")) return out;
      const start = this.position++;
      if (char === "*" || char === "?" || char === "[" || char === "{" || char === "\\") this.special = true;
      switch (char) {
        case "*":
          if (chars[this.position] === "*") {
            this.position++;
            out += ANY_RUN;
          } else {
            out += `${this.notSeparator}*`;
          }
          break;
        case "?":
          out += this.notSeparator;
          break;
        case "[":
          out += this.characterClass(start);
          break;
        case "{":
          out += this.alternatives(start);
          break;
        case "\\":
          out += RE2JS.quote(this.escaped("a trailing \\ escapes nothing"));
          break;
        default:
          out += RE2JS.quote(char);
      }
    }
    return out;
  }

  private alternatives(start: number): string {
    const options: string[] = [];
    for (;;) {
      options.push(this.sequence(true));
      const char = this.chars[this.position++];
      if (char === undefined) throw new GlobSyntaxError(`unclosed "{" at offset ${start}`);
      if (char === "}") return `(?:${options.join("|")})`;
    }
  }

  private characterClass(start: number): string {
    const chars = this.chars;
    const unclosed = `unclosed "[" at offset ${start}`;
    const negated = chars[this.position] === "!";
    if (negated) this.position++;
    let body = "";
    const first = chars[this.position];
    if (first !== undefined && chars[this.position + 1] === "-") {
      const last = chars[this.position + 2];
      if (last === undefined) throw new GlobSyntaxError(unclosed);
      this.position += 3;
      if (first.codePointAt(0)! > last.codePointAt(0)!) {
        throw new GlobSyntaxError(`range "${first}-${last}" at offset ${start} is reversed`);
      }
      body = `${escapeInClass(first)}-${escapeInClass(last)}`;
    } else {
      while (this.position < chars.length && chars[this.position] !== "]") {
        const char = chars[this.position++]!;
        body += escapeInClass(char === "\\" ? this.escaped(unclosed) : char);
      }
    }
    if (this.position >= chars.length) throw new GlobSyntaxError(unclosed);
    if (chars[this.position] !== "]") {
      throw new GlobSyntaxError(`character class at offset ${start} must be one set like [abc] or one range like [a-z]`);
    }
    if (body === "") throw new GlobSyntaxError(`empty character class at offset ${start}`);
    this.position++;
    return `[${negated ? "^" : ""}${body}]`;
  }

  /** The character after a `\` that was just read. */
  private escaped(problem: string): string {
    const char = this.chars[this.position++];
    if (char === undefined) throw new GlobSyntaxError(problem);
    return char;
  }
}

function escapeInClass(text: string): string {
  return text.replace(/[\\\]\[^-]/g, (char) => `\\${char}`);
}
