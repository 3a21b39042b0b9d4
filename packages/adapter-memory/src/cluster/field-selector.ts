import { invalidArgument, type KubeObject } from "@kbackup/core";

const FIELDS = {
  "metadata.name": (object: KubeObject) => object.metadata.name ?? "",
  "metadata.namespace": (object: KubeObject) => object.metadata.namespace ?? "",
} as const;

/**
 * Compiles a field selector on `metadata.name` and `metadata.namespace`: terms joined by `,`, each
 * `field=value`, `field==value` or `field!=value`. The empty string matches everything. Throws
 * InvalidArgument (field `fieldSelector`) for another field or a malformed term.
 */
export function compileFieldSelector(text: string): (object: KubeObject) => boolean {
  if (typeof text !== "string") throw invalidArgument("fieldSelector", "must be a string");
  const tests: Array<(object: KubeObject) => boolean> = [];
  for (const rawTerm of text.split(",")) {
    const term = rawTerm.trim();
    if (term === "") {
      if (text.trim() === "") continue;
      throw invalidArgument("fieldSelector", `empty term in "${text}"`);
    }
    const match = /^([^!=\s]+)\s*(==|!=|=)\s*(.*)$/.exec(term);
    if (match === null) throw invalidArgument("fieldSelector", `"${term}" is not field=value, field==value or field!=value`);
    const [, field, operator, value] = match as unknown as [string, string, string, string];
    if (!Object.hasOwn(FIELDS, field)) throw invalidArgument("fieldSelector", `"${field}" is not a supported field; use metadata.name or metadata.namespace`);
    const read = FIELDS[field as keyof typeof FIELDS];
    const expected = value.trim();
    tests.push(operator === "!=" ? (object) => read(object) !== expected : (object) => read(object) === expected);
  }
  return (object) => tests.every((test) => test(object));
}
