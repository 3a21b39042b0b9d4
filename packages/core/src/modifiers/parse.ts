import { invalidArgument } from "../errors.js";
import type { KubeObject } from "../kube/types.js";
import { isJsonObject } from "../patch/json-value.js";
import { compileResourceModifiers, type ResourceModifiers } from "./compile.js";
import { readYamlText } from "./yaml-text.js";

/**
 * Reads a resource modifiers document (Velero's `version: v1` format, YAML or JSON) and compiles
 * it, ready for {@link applyResourceModifiers}.
 *
 * @throws KBackupError `InvalidArgument` on `resourceModifiers` when the text is not a string, is
 *   over 1 MiB (`MAX_RESOURCE_MODIFIERS_BYTES`), is not valid YAML or JSON, holds several
 *   documents or duplicate keys, or resolves more than `MAX_YAML_ALIASES` aliases; otherwise what
 *   {@link compileResourceModifiers} throws for the content, listing every fault.
 */
export function parseResourceModifiers(text: string): ResourceModifiers {
  if (typeof text !== "string") throw invalidArgument("resourceModifiers", `must be YAML or JSON text, not ${typeof text}`);
  let document: unknown;
  try {
    document = readYamlText(text);
  } catch (error) {
    throw invalidArgument("resourceModifiers", (error as Error).message, error);
  }
  return compileResourceModifiers(document);
}

/**
 * Reads the resource modifiers held by a ConfigMap: its `data` must have exactly one key, whose
 * value is the document (any key name, as `kubectl create cm --from-file` writes it).
 *
 * @throws KBackupError `InvalidArgument` on `configMap.data` when `data` is missing or does not
 *   have exactly one string value; otherwise what {@link parseResourceModifiers} throws.
 */
export function resourceModifiersFromConfigMap(configMap: KubeObject): ResourceModifiers {
  if (!isJsonObject(configMap)) throw invalidArgument("configMap", "must be a ConfigMap object");
  const data = configMap["data"];
  const name = `${configMap.metadata?.namespace ?? ""}/${configMap.metadata?.name ?? ""}`;
  if (!isJsonObject(data)) throw invalidArgument("configMap.data", `ConfigMap ${name} has no data`);
  const keys = Object.keys(data);
  if (keys.length !== 1) {
    throw invalidArgument("configMap.data", `ConfigMap ${name} must hold exactly one key with the resource modifiers, found ${keys.length}`);
  }
  const text = data[keys[0]!];
  if (typeof text !== "string") throw invalidArgument(`configMap.data["${keys[0]}"]`, "must be a string");
  return parseResourceModifiers(text);
}
