import type { StorageRedundancy } from "../vault/vault-settings.js";
import { parsePriceTable, type PriceTable } from "./price-table.js";
import type { InstanceUsage, UsageReport } from "./usage.js";

/** Bytes in a GB as storage is billed: 1024³. */
export const BYTES_PER_GB = 1024 ** 3;

/** The components of an estimate. */
export type CostComponent = "ProtectedInstance" | "SnapshotStorage" | "VaultStorage";

/** One line of an estimate: quantity × unit price = amount, and the line as text. */
export interface CostLine {
  component: CostComponent;
  /** The quantity as shown (GB rounded to hundredths). */
  quantity: number;
  unit: "namespace" | "GB-month";
  unitPrice: number;
  /** Rounded to hundredths of the currency. */
  amount: number;
  /** `3 namespaces × 1.00 = 3.00`. */
  text: string;
}

/** The monthly estimate of one backup instance. */
export interface InstanceCost {
  vaultName: string;
  instanceName: string;
  lines: CostLine[];
  total: number;
  /** What the estimate had to assume for this instance. */
  notes: string[];
}

/** A monthly cost estimate of every instance, and its total. */
export interface CostEstimate {
  currency: string;
  description?: string;
  prices: PriceTable;
  instances: InstanceCost[];
  total: number;
  /** What every estimate assumes. */
  notes: string[];
}

const REDUNDANCY_KEY: Record<StorageRedundancy, keyof PriceTable["vaultStorePerGBMonth"]> = { LocallyRedundant: "LRS", ZoneRedundant: "ZRS", GeoRedundant: "GRS" };

/** An amount or price as text: hundredths at least, more decimals only where the price has them (at most 6). */
export function formatMoney(value: number): string {
  const text = value.toFixed(6).replace(/0+$/, "");
  const [whole, decimals = ""] = text.split(".");
  return `${whole}.${decimals.padEnd(2, "0")}`;
}

function line(component: CostComponent, quantity: number, unit: CostLine["unit"], unitPrice: number, label: string): CostLine {
  const amount = Math.round(quantity * unitPrice * 100) / 100;
  return { component, quantity, unit, unitPrice, amount, text: `${label} × ${formatMoney(unitPrice)} = ${amount.toFixed(2)}` };
}

function gigabytes(bytes: number): number {
  return Math.round((bytes / BYTES_PER_GB) * 100) / 100;
}

function instanceCost(usage: InstanceUsage, prices: PriceTable): InstanceCost {
  const notes: string[] = [];
  const namespaces = usage.protectedNamespaces?.length;
  if (namespaces === undefined) notes.push("its protected namespaces are unknown (no recovery point read), so no instance fee is counted");
  const snapshotGB = gigabytes(usage.snapshots.bytes);
  const vaultGB = gigabytes(usage.vaultStore.bytes);
  const key = REDUNDANCY_KEY[usage.vaultStoreRedundancy];
  const lines = [
    line("ProtectedInstance", namespaces ?? 0, "namespace", prices.protectedInstancePerNamespaceMonth, `${namespaces ?? 0} namespace${namespaces === 1 ? "" : "s"}`),
    line("SnapshotStorage", snapshotGB, "GB-month", prices.snapshotPerGBMonth, `${snapshotGB.toFixed(2)} GB snapshots`),
    line("VaultStorage", vaultGB, "GB-month", prices.vaultStorePerGBMonth[key], `${vaultGB.toFixed(2)} GB vault store ${key}`),
  ];
  const total = Math.round(lines.reduce((sum, entry) => sum + entry.amount * 100, 0)) / 100;
  return { vaultName: usage.vaultName, instanceName: usage.instanceName, lines, total, notes };
}

/**
 * A monthly estimate from what the instances keep now (as if it stayed so for the month): per
 * instance, the protected instance fee per namespace, snapshot storage by the size of the
 * snapshotted volumes (an incremental snapshot takes less, so this is an upper bound), and the
 * vault store's archive bytes at its vault's redundancy; each line shows its arithmetic.
 * @throws InvalidArgument for a bad price table (see {@link parsePriceTable}).
 */
export function estimateCost(usage: UsageReport, prices: unknown): CostEstimate {
  const table = parsePriceTable(prices);
  const instances = usage.instances.map((row) => instanceCost(row, table));
  const total = Math.round(instances.reduce((sum, cost) => sum + cost.total * 100, 0)) / 100;
  return {
    currency: table.currency,
    ...(table.description !== undefined ? { description: table.description } : {}),
    prices: table,
    instances,
    total,
    notes: [
      "Monthly, from what is kept now; GB = 1024³ bytes, rounded to hundredths.",
      "Snapshot storage counts the full size of each snapshotted volume; incremental snapshots take less.",
    ],
  };
}
