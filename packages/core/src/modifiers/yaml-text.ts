import { parseAllDocuments } from "yaml";

/**
 * The largest resource modifiers document accepted, in UTF-8 bytes: 1 MiB, the most data a
 * Kubernetes ConfigMap can hold.
 */
export const MAX_RESOURCE_MODIFIERS_BYTES = 1024 * 1024;

/**
 * The most alias references (`*name`) a YAML text may resolve. Each alias can stand for a large
 * subtree, so a few nested ones grow without bound ("billion laughs"); real rule files use none.
 */
export const MAX_YAML_ALIASES = 100;

/**
 * Reads one YAML 1.2 (or JSON) document into plain data, refusing what could exhaust memory:
 * texts over {@link MAX_RESOURCE_MODIFIERS_BYTES}, more than {@link MAX_YAML_ALIASES} aliases.
 * Duplicate keys and several documents in one text are errors. An empty text reads as `null`.
 *
 * @throws Error whose message says what is wrong, for the caller to attach to its field.
 */
export function readYamlText(text: string): unknown {
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > MAX_RESOURCE_MODIFIERS_BYTES) {
    throw new Error(`is ${bytes} bytes, over the limit of ${MAX_RESOURCE_MODIFIERS_BYTES} bytes (1 MiB, the most a ConfigMap holds)`);
  }
  const documents = parseAllDocuments(text, { uniqueKeys: true, prettyErrors: false, logLevel: "silent" });
  if (documents.length > 1) throw new Error(`holds ${documents.length} YAML documents; expected one`);
  const [document] = documents;
  if (document === undefined) return null;
  const [error] = document.errors;
  if (error !== undefined) throw new Error(`is not valid YAML or JSON: ${error.message}`);
  try {
    return document.toJS({ maxAliasCount: MAX_YAML_ALIASES }) as unknown;
  } catch (cause) {
    throw new Error(`cannot be read: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}
