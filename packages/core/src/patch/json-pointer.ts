import { invalidArgument } from "../errors.js";

/**
 * Splits an RFC 6901 JSON Pointer into its unescaped reference tokens: `""` → `[]`,
 * `"/a~1b/~0c"` → `["a/b", "~c"]`.
 * @param field named in the error, for example `operations[2].path`.
 * @throws InvalidArgument when the pointer is not a string, does not start with `/` (and is not
 *   empty), or holds a `~` that is not followed by `0` or `1`.
 */
export function parseJsonPointer(pointer: unknown, field: string): string[] {
  if (typeof pointer !== "string") throw invalidArgument(field, "must be a JSON Pointer string");
  if (pointer === "") return [];
  if (pointer[0] !== "/") throw invalidArgument(field, `JSON Pointer "${pointer}" must be empty or start with "/"`);
  const tokens = pointer.slice(1).split("/");
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as string;
    if (!token.includes("~")) continue;
    if (/~(?![01])/.test(token)) throw invalidArgument(field, `JSON Pointer "${pointer}" has a "~" not followed by 0 or 1`);
    // ~1 first, then ~0, so that "~01" becomes "~1" and not "/".
    tokens[i] = token.replaceAll("~1", "/").replaceAll("~0", "~");
  }
  return tokens;
}

/** Escapes one reference token for a JSON Pointer: `~` → `~0`, `/` → `~1`. */
export function escapeJsonPointerToken(token: string): string {
  return token.replaceAll("~", "~0").replaceAll("/", "~1");
}

/** Builds a JSON Pointer from unescaped reference tokens; `[]` → `""`. */
export function formatJsonPointer(tokens: readonly string[]): string {
  return tokens.map((token) => `/${escapeJsonPointerToken(token)}`).join("");
}
