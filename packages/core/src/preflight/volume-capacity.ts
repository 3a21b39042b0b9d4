import type { KubeObject } from "../kube/types.js";

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { "": 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };
const QUANTITY = /^\+?([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|[kMGTPE]|[eE][+-]?[0-9]+)?$/;

/**
 * The size of a persistent volume in bytes, from its `spec.capacity.storage` quantity (`10Gi`,
 * `500G`, `1e12`); `undefined` when it has none or it does not parse.
 */
export function volumeCapacityInBytes(persistentVolume: KubeObject): number | undefined {
  const storage = (persistentVolume.spec as { capacity?: { storage?: unknown } } | undefined)?.capacity?.storage;
  if (typeof storage === "number") return Number.isFinite(storage) && storage >= 0 ? storage : undefined;
  if (typeof storage !== "string") return undefined;
  const match = QUANTITY.exec(storage.trim());
  if (match === null) return undefined;
  const suffix = match[2] ?? "";
  const factor = BINARY[suffix] ?? DECIMAL[suffix] ?? 10 ** Number(suffix.slice(1));
  return Math.ceil(Number(match[1]) * factor);
}
