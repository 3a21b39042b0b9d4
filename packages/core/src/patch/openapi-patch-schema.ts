import { invalidArgument } from "../errors.js";
import { hasOwn, isJsonObject, type JsonObject } from "./json-value.js";
import type { PatchSchema, PatchStrategy } from "./patch-schema.js";

const STRATEGIES: ReadonlySet<string> = new Set<PatchStrategy>(["merge", "replace", "retainKeys", "merge,retainKeys"]);

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Which kind to build the schema of. `group` is "" for the core group. */
export interface OpenApiKind {
  group: string;
  version: string;
  kind: string;
}

/**
 * Builds the patch metadata of one kind from an OpenAPI document as the Kubernetes API server
 * publishes it: v2 (`/openapi/v2`, schemas under `definitions`) or v3 (`/openapi/v3/...`, schemas
 * under `components.schemas`). The kind's schema is the one whose `x-kubernetes-group-version-kind`
 * names it; `$ref` and `allOf` are followed (recursive schemas included), and each property's
 * `x-kubernetes-patch-strategy` / `x-kubernetes-patch-merge-key` become its `patchStrategy` /
 * `patchMergeKey`.
 * @returns undefined when the document has no schema for that kind.
 * @throws InvalidArgument when the document has neither `definitions` nor `components.schemas`,
 *   or declares a patch strategy Kubernetes does not know.
 */
export function patchSchemaFromOpenApi(document: unknown, target: OpenApiKind): PatchSchema | undefined {
  const schemas = schemasOf(document);
  const name = Object.keys(schemas).find((key) => namesKind(schemas[key], target));
  if (name === undefined) return undefined;
  return new OpenApiConverter(schemas).fromName(name);
}

function schemasOf(document: unknown): JsonObject {
  if (isJsonObject(document)) {
    const definitions = document["definitions"];
    if (isJsonObject(definitions)) return definitions;
    const components = document["components"];
    if (isJsonObject(components) && isJsonObject(components["schemas"])) return components["schemas"];
  }
  throw invalidArgument("document", "must be an OpenAPI v2 document with definitions or a v3 document with components.schemas");
}

function namesKind(schema: unknown, target: OpenApiKind): boolean {
  if (!isJsonObject(schema)) return false;
  const gvks = schema["x-kubernetes-group-version-kind"];
  if (!Array.isArray(gvks)) return false;
  return gvks.some((gvk) => isJsonObject(gvk) && (gvk["group"] ?? "") === target.group && gvk["version"] === target.version && gvk["kind"] === target.kind);
}

class OpenApiConverter {
  private readonly built = new Map<string, PatchSchema>();

  constructor(private readonly schemas: JsonObject) {}

  fromName(name: string): PatchSchema {
    const done = this.built.get(name);
    if (done !== undefined) return done;
    const schema = this.resolveName(name);
    if (schema === undefined) return { type: "primitive" };
    const properties = this.propertiesOf(schema);
    if (properties === undefined) {
      const node = this.shape(schema, `definitions.${name}`);
      this.built.set(name, node);
      return node;
    }
    // Registered before its fields are built, so that recursive schemas end.
    const fields: Record<string, PatchSchema> = {};
    const node: PatchSchema = { type: "object", fields };
    this.built.set(name, node);
    for (const [key, property] of Object.entries(properties)) fields[key] = this.fromProperty(property, `definitions.${name}.${key}`);
    return node;
  }

  private fromRef(ref: string): PatchSchema {
    return this.fromName(refName(ref));
  }

  /** A property's schema with the patch metadata declared on the property itself. */
  private fromProperty(property: unknown, path: string): PatchSchema {
    if (!isJsonObject(property)) return { type: "primitive" };
    const base = this.fromSchema(property, path);
    const strategy = property["x-kubernetes-patch-strategy"];
    const mergeKey = property["x-kubernetes-patch-merge-key"];
    if (strategy === undefined && mergeKey === undefined) return base;
    if (strategy !== undefined && (typeof strategy !== "string" || !STRATEGIES.has(strategy))) {
      throw invalidArgument(`document.${path}`, `unknown x-kubernetes-patch-strategy ${JSON.stringify(strategy)}`);
    }
    const node: Mutable<PatchSchema> = { ...base };
    if (typeof strategy === "string") node.patchStrategy = strategy as PatchStrategy;
    if (typeof mergeKey === "string") node.patchMergeKey = mergeKey;
    return node;
  }

  private fromSchema(schema: JsonObject, path: string): PatchSchema {
    const ref = this.refOf(schema);
    if (ref !== undefined) return this.fromRef(ref);
    const properties = this.propertiesOf(schema);
    if (properties !== undefined) {
      const fields: Record<string, PatchSchema> = {};
      for (const [key, property] of Object.entries(properties)) fields[key] = this.fromProperty(property, `${path}.${key}`);
      return { type: "object", fields };
    }
    return this.shape(schema, path);
  }

  /** Lists, maps and primitives. */
  private shape(schema: JsonObject, path: string): PatchSchema {
    const items = schema["items"];
    if (schema["type"] === "array" || isJsonObject(items)) {
      return isJsonObject(items) ? { type: "list", items: this.fromSchema(items, `${path}[]`) } : { type: "list" };
    }
    const values = schema["additionalProperties"];
    if (isJsonObject(values)) return { type: "map", values: this.fromSchema(values, `${path}.*`) };
    if (schema["type"] === "object") return { type: "map" };
    return { type: "primitive" };
  }

  /** The one `$ref` a schema stands for: its own, or that of an `allOf` with a single member. */
  private refOf(schema: JsonObject): string | undefined {
    if (typeof schema["$ref"] === "string") return schema["$ref"];
    const allOf = schema["allOf"];
    if (Array.isArray(allOf) && allOf.length === 1 && isJsonObject(allOf[0]) && typeof allOf[0]["$ref"] === "string") return allOf[0]["$ref"];
    return undefined;
  }

  /** The properties of an object schema, gathering those of every `allOf` member; undefined when it has none. */
  private propertiesOf(schema: JsonObject): Record<string, unknown> | undefined {
    let properties: Record<string, unknown> | undefined = isJsonObject(schema["properties"]) ? { ...schema["properties"] } : undefined;
    const allOf = schema["allOf"];
    if (Array.isArray(allOf)) {
      for (const member of allOf) {
        if (!isJsonObject(member)) continue;
        const resolved = typeof member["$ref"] === "string" ? this.resolve(member["$ref"]) : member;
        const more = resolved === undefined ? undefined : this.propertiesOf(resolved);
        if (more !== undefined) properties = { ...more, ...properties };
      }
    }
    return properties;
  }

  private resolve(ref: string): JsonObject | undefined {
    return this.resolveName(refName(ref));
  }

  private resolveName(name: string): JsonObject | undefined {
    const schema = hasOwn(this.schemas, name) ? this.schemas[name] : undefined;
    return isJsonObject(schema) ? schema : undefined;
  }
}

/** The schema name a local `$ref` points to: `#/definitions/<name>` or `#/components/schemas/<name>`. */
function refName(ref: string): string {
  return decodeURIComponent(ref.slice(ref.lastIndexOf("/") + 1)).replaceAll("~1", "/").replaceAll("~0", "~");
}
