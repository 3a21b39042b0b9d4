import { randomBytes } from "node:crypto";
import { invalidArgument } from "../errors.js";

/**
 * Object keys of a repository under its prefix:
 *
 *     config                         plain JSON: format, chunker, wrapped key (written once)
 *     packs/<2 hex>/<32 hex>         packs of sealed chunks, each with its own index in a trailer
 *     index/<32 hex>                 sealed indexes: chunk id → pack, offset, length
 *     snapshots/<snapshot id>        sealed snapshot manifests, written last: the commit marker
 *     copies/<copy id>               plain JSON markers of copies in flight, for garbage collection
 */
export const CONFIG_NAME = "config";
/** The folder of the packs. */
export const PACKS_FOLDER = "packs/";
/** The folder of the index objects. */
export const INDEX_FOLDER = "index/";
/** The folder of the sealed snapshot manifests. */
export const SNAPSHOTS_FOLDER = "snapshots/";
/** The folder of the markers of copies in flight. */
export const COPIES_FOLDER = "copies/";

const HEX_ID = /^[0-9a-f]{32}$/;
const NAME_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** A new random pack or index id: 32 hex digits. */
export function newObjectId(): string {
  return randomBytes(16).toString("hex");
}

/** Ids sort by time: `20261124T200102123Z-1f2e3d4c`. */
export function newSnapshotId(at: Date): string {
  return `${at.toISOString().replace(/[-:.]/g, "")}-${randomBytes(4).toString("hex")}`;
}

/** Throws `InvalidArgument` naming `field` unless `value` is 1 to 128 of `A-Z a-z 0-9 . _ -`, starting alphanumeric. */
export function assertNameId(value: unknown, field: string): asserts value is string {
  if (typeof value !== "string" || !NAME_ID.test(value)) throw invalidArgument(field, "must be 1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit");
}

/** Names (keys relative to the prefix) of a repository's objects; also the associated data of sealed ones. */
export const names = {
  config: CONFIG_NAME,
  pack: (packId: string) => `${PACKS_FOLDER}${packId.slice(0, 2)}/${packId}`,
  index: (indexId: string) => `${INDEX_FOLDER}${indexId}`,
  snapshot: (snapshotId: string) => `${SNAPSHOTS_FOLDER}${snapshotId}`,
  copy: (copyId: string) => `${COPIES_FOLDER}${copyId}`,
};

/** The pack id in a pack's name, or undefined for a name that is not a pack's. */
export function packIdOf(name: string): string | undefined {
  const id = name.slice(name.lastIndexOf("/") + 1);
  return name === names.pack(id) && HEX_ID.test(id) ? id : undefined;
}

/** The id in an index object's name, or undefined. */
export function indexIdOf(name: string): string | undefined {
  const id = name.slice(INDEX_FOLDER.length);
  return name.startsWith(INDEX_FOLDER) && HEX_ID.test(id) ? id : undefined;
}

/** Checks a prefix: "" or `/`-separated segments ending in `/`. Throws `InvalidArgument`. */
export function assertPrefix(prefix: string): void {
  if (prefix === "") return;
  if (typeof prefix !== "string" || !prefix.endsWith("/") || prefix.startsWith("/") || prefix.slice(0, -1).split("/").some((s) => s === "" || s === "." || s === "..")) {
    throw invalidArgument("prefix", 'must be "" or segments that end with "/", such as "vault/repository/"');
  }
}
