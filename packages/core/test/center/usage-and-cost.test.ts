import { BackupCenter, EXAMPLE_PRICE_TABLE, csvField, formatMoney, isKBackupError, jobsToCsv, parsePriceTable, type PriceTable } from "@kbackup/core";
import { describe, expect, it } from "vitest";
import { instance, job, point, vault } from "./fixtures.js";

const GB = 1024 ** 3;

function fleet(): BackupCenter {
  const center = new BackupCenter();
  center.ingestVault(vault("lrs"));
  center.ingestVault(vault("grs", { storageSettings: [{ datastoreType: "VaultStore", type: "GeoRedundant" }] }));
  center.ingestInstance(
    instance("lrs", "shop", [
      point("shop", "2026-04-01T09:00:00Z", { vault: true, tag: "Daily", bytes: 2 * GB, volumeBytes: 8 * GB }),
      point("shop", "2026-04-01T13:00:00Z", { bytes: 0.5 * GB, volumeBytes: 8 * GB }),
      point("shop", "2026-03-20T09:00:00Z", { operational: false, vault: true, tag: "Daily", bytes: 1.5 * GB }),
    ], { protectedNamespaces: ["shop", "payments", "web"] }),
  );
  center.ingestInstance(instance("grs", "blog", [point("blog", "2026-04-01T09:00:00Z", { vault: true, tag: "Daily", bytes: 10 * GB })], { protectedNamespaces: ["blog"] }));
  center.ingestInstance(instance("grs", "unknown", [], { protectedNamespaces: undefined } as never));
  return center;
}

describe("usage", () => {
  it("counts recovery points and bytes per store, snapshot bytes and namespaces, per instance, vault and in all", () => {
    const usage = fleet().usage();
    expect(usage.instances.find((row) => row.instanceName === "shop")).toMatchObject({
      operationalStore: { recoveryPoints: 2, bytes: 2.5 * GB },
      vaultStore: { recoveryPoints: 2, bytes: 3.5 * GB },
      snapshots: { snapshots: 2, bytes: 16 * GB },
      protectedNamespaces: ["shop", "payments", "web"],
      vaultStoreRedundancy: "LocallyRedundant",
    });
    expect(usage.vaults.map((row) => [row.vaultName, row.instances, row.namespacesProtected, row.vaultStoreRedundancy])).toEqual([
      ["grs", 2, 1, "GeoRedundant"],
      ["lrs", 1, 3, "LocallyRedundant"],
    ]);
    expect(usage.totals).toEqual({
      instances: 3,
      namespacesProtected: 4,
      operationalStore: { recoveryPoints: 3, bytes: 12.5 * GB },
      vaultStore: { recoveryPoints: 3, bytes: 13.5 * GB },
      snapshots: { snapshots: 2, bytes: 16 * GB },
    });
  });

  it("shows storage growth per store as running totals of what is kept", () => {
    const series = Object.fromEntries(fleet().storageGrowth().map((entry) => [entry.name, entry.points]));
    expect(series.VaultStore).toEqual([
      { time: "2026-03-20T09:00:00.000Z", bytes: 1.5 * GB },
      { time: "2026-04-01T09:00:00.000Z", bytes: 13.5 * GB },
    ]);
    expect(series.Snapshots?.at(-1)).toEqual({ time: "2026-04-01T13:00:00.000Z", bytes: 16 * GB });
  });
});

describe("cost estimates", () => {
  const prices: PriceTable = { currency: "EUR", protectedInstancePerNamespaceMonth: 1, snapshotPerGBMonth: 0.05, vaultStorePerGBMonth: { LRS: 0.0224, ZRS: 0.028, GRS: 0.0448 } };

  it("shows the arithmetic of each component per instance, with the vault's redundancy", () => {
    const estimate = fleet().estimateCost(prices);
    const shop = estimate.instances.find((cost) => cost.instanceName === "shop")!;
    expect(shop.lines.map((line) => line.text)).toEqual(["3 namespaces × 1.00 = 3.00", "16.00 GB snapshots × 0.05 = 0.80", "3.50 GB vault store LRS × 0.0224 = 0.08"]);
    expect(shop.total).toBe(3.88);
    const blog = estimate.instances.find((cost) => cost.instanceName === "blog")!;
    expect(blog.lines.map((line) => line.text)).toEqual(["1 namespace × 1.00 = 1.00", "0.00 GB snapshots × 0.05 = 0.00", "10.00 GB vault store GRS × 0.0448 = 0.45"]);
    const unknown = estimate.instances.find((cost) => cost.instanceName === "unknown")!;
    expect(unknown.notes[0]).toMatch(/namespaces are unknown/);
    expect(estimate.total).toBe(3.88 + 1.45);
    expect(estimate.currency).toBe("EUR");
  });

  it("ships an example table that says it is an example, and checks a supplied one", () => {
    expect(EXAMPLE_PRICE_TABLE.description).toMatch(/EXAMPLE.*not real prices/);
    expect(parsePriceTable(EXAMPLE_PRICE_TABLE)).toEqual(EXAMPLE_PRICE_TABLE);
    try {
      parsePriceTable({ currency: "EUR", protectedInstancePerNamespaceMonth: -1, snapshotPerGBMonth: "0.05", vaultStorePerGBMonth: { LRS: 1, ZRS: 1 } });
      expect.unreachable();
    } catch (error) {
      expect(isKBackupError(error, "InvalidArgument")).toBe(true);
      const fields = ((error as { details?: { faults?: Array<{ field: string }> } }).details?.faults ?? []).map((fault) => fault.field).sort();
      expect(fields).toEqual(["prices.protectedInstancePerNamespaceMonth", "prices.snapshotPerGBMonth", "prices.vaultStorePerGBMonth.GRS"]);
    }
  });

  it("formats money with hundredths at least", () => {
    expect([formatMoney(1), formatMoney(0.05), formatMoney(0.0224), formatMoney(12.5)]).toEqual(["1.00", "0.05", "0.0224", "12.50"]);
  });
});

/** A small RFC 4180 reader, to read back what the export wrote. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\r" && text[i + 1] === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      i++;
    } else field += c;
  }
  return rows;
}

describe("job exports", () => {
  it("write RFC 4180 CSV: quoted fields where needed, quotes doubled, CRLF line ends", () => {
    expect([csvField("plain"), csvField("a,b"), csvField('say "hi"'), csvField("two\nlines"), csvField(undefined), csvField(42)]).toEqual(["plain", '"a,b"', '"say ""hi"""', '"two\nlines"', "", "42"]);
    const failed = job("v", "web", "2026-04-01T00:00:00Z", "Failed", "Backup", {
      errorDetails: [
        { code: "Adapter", message: 'The store said "no", then hung up,\r\nat once' },
        { code: "Timeout", message: "later" },
      ],
    });
    const text = jobsToCsv([failed, job("v", "db", "2026-04-02T00:00:00Z")]);
    expect(text.endsWith("\r\n")).toBe(true);
    const rows = parseCsv(text);
    expect(rows).toHaveLength(3);
    const header = rows[0]!;
    const record = Object.fromEntries(header.map((name, i) => [name, rows[1]![i]]));
    expect(record).toMatchObject({ jobId: failed.jobId, status: "Failed", errorCodes: "Adapter;Timeout", errorMessages: 'The store said "no", then hung up,\r\nat once\nlater', warningCount: "0" });
    expect(rows.every((row) => row.length === header.length)).toBe(true);
  });

  it("export the jobs a filter selects, newest first, as CSV or JSON", () => {
    const center = new BackupCenter();
    const jobs = [job("v", "a", "2026-04-01T00:00:00Z"), job("v", "a", "2026-04-02T00:00:00Z", "Failed"), job("w", "a", "2026-04-03T00:00:00Z", "Failed")];
    center.ingestJobs(jobs);
    const parsed = JSON.parse(center.exportJobs({ status: "Failed" }, "json")) as Array<{ jobId: string }>;
    expect(parsed.map((entry) => entry.jobId)).toEqual([jobs[2]!.jobId, jobs[1]!.jobId]);
    expect(parseCsv(center.exportJobs({ vaultName: "v" })).slice(1).map((row) => row[0])).toEqual([jobs[1]!.jobId, jobs[0]!.jobId]);
    expect(() => center.exportJobs({}, "xml" as never)).toThrow(/format/);
  });
});
