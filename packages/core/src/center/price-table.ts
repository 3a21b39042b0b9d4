import { z } from "zod";
import { faultsError } from "../selection/faults.js";

/**
 * The prices a cost estimate uses, per month, in one currency: Azure Backup for AKS's components.
 * The user supplies them (from their agreement or the public price list of their region); kbackup
 * ships none that are real.
 */
export interface PriceTable {
  /** ISO 4217 code or any label, shown with every amount. */
  currency: string;
  /** Shown with every estimate: where the prices come from. */
  description?: string;
  /** The protected instance fee, per protected namespace per month. */
  protectedInstancePerNamespaceMonth: number;
  /** Volume snapshot storage in the operational tier, per GB-month. */
  snapshotPerGBMonth: number;
  /** Vault-store storage per GB-month, by the vault's redundancy. */
  vaultStorePerGBMonth: { LRS: number; ZRS: number; GRS: number };
}

const price = z.number().min(0);

const priceTableSchema = z.object({
  currency: z.string().min(1).max(16),
  description: z.string().max(500).optional(),
  protectedInstancePerNamespaceMonth: price,
  snapshotPerGBMonth: price,
  vaultStorePerGBMonth: z.object({ LRS: price, ZRS: price, GRS: price }),
});

/**
 * An example price table, for trying estimates out. These are NOT Azure's prices: round numbers
 * in an invented currency, so that nobody mistakes an estimate made with them for a quote.
 */
export const EXAMPLE_PRICE_TABLE: PriceTable = Object.freeze({
  currency: "XXX",
  description: "EXAMPLE prices for illustration only, not real prices: supply your own table (kbackup cost --prices FILE).",
  protectedInstancePerNamespaceMonth: 1,
  snapshotPerGBMonth: 0.05,
  vaultStorePerGBMonth: Object.freeze({ LRS: 0.02, ZRS: 0.025, GRS: 0.04 }),
}) as PriceTable;

/**
 * Checks a price table: every price a number of at least 0, a currency, the three redundancies.
 * @throws InvalidArgument listing every fault with its path under `prices`.
 */
export function parsePriceTable(value: unknown): PriceTable {
  const parsed = priceTableSchema.safeParse(value);
  if (!parsed.success) {
    throw faultsError("prices", parsed.error.issues.map((issue) => ({ field: ["prices", ...issue.path.map(String)].join("."), message: issue.message })));
  }
  const table = parsed.data;
  return { ...table, vaultStorePerGBMonth: { ...table.vaultStorePerGBMonth } } as PriceTable;
}
