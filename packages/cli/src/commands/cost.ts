import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { EXAMPLE_PRICE_TABLE, invalidArgument, parsePriceTable, type PriceTable } from "@kbackup/core";
import { EXIT_CODES, type ExitCode } from "../exit-codes.js";
import type { Session } from "../session.js";

/** The options of `kbackup cost`. */
export interface CostCommandOptions {
  prices?: string;
}

async function priceTable(session: Session, file: string | undefined): Promise<{ table: PriceTable; example: boolean }> {
  if (file === undefined) return { table: EXAMPLE_PRICE_TABLE, example: true };
  let text: string;
  try {
    text = await readFile(resolve(session.io.cwd, file), "utf8");
  } catch (error) {
    throw invalidArgument("--prices", `cannot read ${file}: ${(error as Error).message}`, error);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw invalidArgument("--prices", `${file} is not JSON: ${(error as Error).message}`, error);
  }
  return { table: parsePriceTable(value), example: false };
}

/**
 * `kbackup cost`: a monthly estimate per instance with the arithmetic of each component, from a price
 * table (`--prices FILE`, JSON); without one, the example table, said loudly to be an example.
 */
export async function costCommand(session: Session, options: CostCommandOptions): Promise<ExitCode> {
  const { table, example } = await priceTable(session, options.prices);
  const vault = await session.openVault();
  const center = await session.center(vault);
  const estimate = center.estimateCost(table);
  if (session.options.json) {
    session.printJson({ example, ...estimate });
    return EXIT_CODES.ok;
  }
  if (example) session.print("EXAMPLE PRICES, not real ones: pass --prices FILE with your own table for a real estimate.\n");
  else if (estimate.description) session.print(`${estimate.description}\n`);
  for (const cost of estimate.instances) {
    session.print(`${cost.vaultName}/${cost.instanceName}`);
    for (const line of cost.lines) session.print(`  ${line.text}`);
    session.print(`  total ${cost.total.toFixed(2)} ${estimate.currency}/month`);
    for (const note of cost.notes) session.print(`  note: ${note}`);
  }
  session.print(`\nTotal: ${estimate.total.toFixed(2)} ${estimate.currency}/month`);
  for (const note of estimate.notes) session.print(note);
  return EXIT_CODES.ok;
}
