import { invalidArgument } from "../errors.js";
import { normalRegion, pairedRegionOf } from "../preflight/region-pairs.js";

/** Two regions whose geo-redundant storage replicates to each other, both ways. */
export type RegionPair = readonly [string, string];

/** Checks extra region pairs given as an option. InvalidArgument naming `field` for a bad one. */
export function assertRegionPairs(pairs: unknown, field: string): asserts pairs is readonly RegionPair[] | undefined {
  if (pairs === undefined) return;
  if (!Array.isArray(pairs)) throw invalidArgument(field, "must be an array of [region, region] pairs");
  pairs.forEach((pair: unknown, i) => {
    if (!Array.isArray(pair) || pair.length !== 2 || !pair.every((region) => typeof region === "string" && normalRegion(region) !== "")) {
      throw invalidArgument(`${field}[${i}]`, "must be two region names");
    }
  });
}

/**
 * The regions a cross-region restore from `region` may go to: its pair in `AZURE_REGION_PAIRS` (the
 * region its geo-redundant data is replicated to), and the other region of each pair of `extra` it is in.
 */
export function pairedRegions(region: string, extra: readonly RegionPair[] = []): string[] {
  const from = normalRegion(region);
  const found = new Set<string>();
  const known = pairedRegionOf(from);
  if (known) found.add(known);
  for (const [first, second] of extra) {
    if (normalRegion(first) === from) found.add(normalRegion(second));
    if (normalRegion(second) === from) found.add(normalRegion(first));
  }
  found.delete(from);
  return [...found].sort();
}

/** True when a cross-region restore may go from `source` to `target` (see {@link pairedRegions}). */
export function isPairedRegion(source: string, target: string, extra: readonly RegionPair[] = []): boolean {
  return pairedRegions(source, extra).includes(normalRegion(target));
}
