// A JSON number, exactly as RFC 8259 writes one.
const JSON_NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;

/**
 * Turns the string `value` of a resource modifier's JSON Patch operation (or of a `matches`
 * condition) into the JSON value it stands for, as Velero reads it:
 *
 * - `null` → null; `true` / `false` → booleans; a JSON number (`3`, `-1.5`, `1e3`) → that number;
 * - a value starting with `{` or `[` → that JSON object or array;
 * - a value wrapped in double quotes → the string between them, so `"\"3\""` is the string `3`;
 * - anything else, the empty string included → the string itself.
 *
 * @throws SyntaxError when a value starting with `{` or `[` is not valid JSON.
 */
export function patchValueFromString(value: string): unknown {
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) return value.slice(1, -1);
  if (value === "null") return null;
  if (value === "true") return true;
  if (value === "false") return false;
  if (value.startsWith("{") || value.startsWith("[")) return JSON.parse(value) as unknown;
  if (JSON_NUMBER.test(value)) return Number(value);
  return value;
}
