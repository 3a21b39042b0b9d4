const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { "": 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/**
 * The number of bytes a Kubernetes quantity (`10Gi`, `500M`, `1e9`, `1.5Ki`) stands for, rounded
 * up to a whole byte; `undefined` when it is not a quantity.
 */
export function quantityToBytes(quantity: unknown): number | undefined {
  if (typeof quantity === "number") return Number.isFinite(quantity) && quantity >= 0 ? Math.ceil(quantity) : undefined;
  if (typeof quantity !== "string") return undefined;
  const match = /^\+?([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|[mkMGTPE]|[eE][+-]?[0-9]+)?$/.exec(quantity.trim());
  if (match === null) return undefined;
  const number = Number(match[1]);
  const suffix = match[2] ?? "";
  const factor = BINARY[suffix] ?? DECIMAL[suffix] ?? 10 ** Number(suffix.slice(1));
  return Math.ceil(number * factor);
}

/** A byte count as a Kubernetes quantity: `Gi`, `Mi` or `Ki` when it divides evenly, else plain bytes. */
export function bytesToQuantity(bytes: number): string {
  for (const suffix of ["Ti", "Gi", "Mi", "Ki"]) {
    const unit = BINARY[suffix] as number;
    if (bytes >= unit && bytes % unit === 0) return `${bytes / unit}${suffix}`;
  }
  return String(bytes);
}
