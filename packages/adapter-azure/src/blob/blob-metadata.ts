/**
 * Object metadata as Azure blob metadata. Azure metadata names are C# identifiers (no leading
 * digit) and it drops empty values, while kbackup's keys are `[a-z0-9_]+` and values may be empty.
 * So a key that starts with a letter other than an `x_` prefix is stored as it is; any other key
 * is stored as `x_<key>`; and the names of empty values are listed in {@link EMPTY_VALUES_NAME},
 * which no key maps to (its leading `_` is always escaped).
 */
const ESCAPE = "x_";
const EMPTY_VALUES_NAME = "_kbackup_empty";

/** The blob metadata that stores `metadata`. */
export function toBlobMetadata(metadata: Record<string, string> | undefined): Record<string, string> | undefined {
  if (metadata === undefined) return undefined;
  const stored: Record<string, string> = {};
  const empty: string[] = [];
  for (const [key, value] of Object.entries(metadata)) {
    const name = /^[a-z]/.test(key) && !key.startsWith(ESCAPE) ? key : ESCAPE + key;
    if (value === "") empty.push(name);
    else stored[name] = value;
  }
  if (empty.length > 0) stored[EMPTY_VALUES_NAME] = empty.join(",");
  return stored;
}

/** The object metadata stored as `blobMetadata` (undefined when there is none). */
export function fromBlobMetadata(blobMetadata: Record<string, string> | undefined): Record<string, string> | undefined {
  if (blobMetadata === undefined) return undefined;
  const entries: Array<[string, string]> = Object.entries(blobMetadata).filter(([name]) => name !== EMPTY_VALUES_NAME);
  for (const name of blobMetadata[EMPTY_VALUES_NAME]?.split(",") ?? []) if (name !== "") entries.push([name, ""]);
  if (entries.length === 0) return undefined;
  const metadata: Record<string, string> = {};
  for (const [name, value] of entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    metadata[name.startsWith(ESCAPE) ? name.slice(ESCAPE.length) : name] = value;
  }
  return metadata;
}
