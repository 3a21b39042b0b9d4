import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { reportData, renderReportPage, type ReportData } from "@kbackup/cli";
import { BackupCenter, aksDefaultPolicy, defaultVaultSettings, type BackupJob, type JobStatus, type RecoveryPointInfo } from "@kbackup/core";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The HTML report in headless Chromium: it renders without console errors or network requests,
// its charts hold the fixture's data (read back from the DOM's data attributes), its controls work,
// and a screenshot is kept in .test-results/html-report/ for a person to look at.
const CHROMIUM = "/usr/bin/chromium";
const results = fileURLToPath(new URL("../../../.test-results/html-report/", import.meta.url));
const NOW = new Date("2026-05-15T12:00:00Z");
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return;
  const install = spawnSync("bash", ["-c", "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium"], { stdio: "inherit", timeout: 900_000 });
  if (install.status !== 0 || !existsSync(CHROMIUM)) throw new Error("Chromium is not installed and `apt-get install chromium` failed: install it to run the HTML report tests.");
}

let sequence = 0;
function job(vaultName: string, instance: string, start: number, status: JobStatus, operation: "Backup" | "Restore" = "Backup"): BackupJob {
  sequence++;
  return {
    jobId: `job-${sequence}`,
    operation,
    operationCategory: operation,
    status,
    isUserTriggered: operation === "Restore",
    backupInstanceFriendlyName: instance,
    dataSourceName: `aks-${instance}`,
    dataSourceType: "Microsoft.ContainerService/managedClusters",
    vaultName,
    startTime: new Date(start).toISOString(),
    endTime: new Date(start + 120_000).toISOString(),
    ...(status === "Failed" ? { errorDetails: [{ code: "Unavailable", message: "The API server is unavailable." }] } : {}),
    ...(status === "CompletedWithWarnings" ? { warningDetails: [{ code: "BackupWarning", message: "volume <files> has no snapshot class" }] } : {}),
    extendedInfo: { additionalDetails: {} },
  };
}

function points(instance: string, days: number, bytes: number, stoppedDaysAgo = 0): RecoveryPointInfo[] {
  const out: RecoveryPointInfo[] = [];
  for (let t = NOW.getTime() - days * DAY; t <= NOW.getTime() - stoppedDaysAgo * DAY; t += 12 * HOUR) {
    const time = new Date(t).toISOString();
    const daily = new Date(t).getUTCHours() === 0;
    const operational = t > NOW.getTime() - 7 * DAY;
    if (!daily && !operational) continue;
    out.push({
      recoveryPointId: `${time.replace(/[-:.]/g, "")}-${instance.padEnd(8, "0").slice(0, 8).replace(/[^0-9a-f]/g, "a")}`,
      recoveryPointTime: time,
      backupInstanceName: instance,
      cluster: { name: `aks-${instance}` },
      itemCount: 40,
      archiveSizeInBytes: bytes,
      volumeSnapshotCount: 1,
      volumeBytes: bytes * 20,
      warningCount: 0,
      tags: {},
      retentionTag: daily ? "Daily" : "Default",
      onDemand: false,
      dataStores: {
        ...(operational ? { OperationalStore: { creationTime: time, expiryTime: new Date(t + 7 * DAY).toISOString() } } : {}),
        ...(daily ? { VaultStore: { creationTime: time, expiryTime: new Date(t + 84 * DAY).toISOString() } } : {}),
      },
      recoveryPointState: t === NOW.getTime() - 3 * DAY ? "SoftDeleted" : "Completed",
    });
  }
  return out;
}

/** Two vaults, three instances, two weeks of jobs with failures and warnings, and every kind of finding. */
function fixture(): ReportData {
  const center = new BackupCenter({ clock: { now: () => NOW, sleep: async () => {} } });
  center.ingestVault({ name: "prod", settings: defaultVaultSettings(), policies: { aks: aksDefaultPolicy() } });
  const safe = defaultVaultSettings();
  safe.storageSettings = [{ datastoreType: "VaultStore", type: "GeoRedundant" }];
  safe.securitySettings.immutabilitySettings.state = "Locked";
  center.ingestVault({ name: "dr", settings: safe, policies: { aks: aksDefaultPolicy() } });
  const base = { currentProtectionState: "ProtectionConfigured" as const, protectionStatus: { status: "ProtectionConfigured" as const }, missedScheduledCount: 0, policyName: "aks" };
  center.ingestInstance({ ...base, vaultName: "prod", name: "shop", cluster: { name: "aks-shop" }, protectedNamespaces: ["shop", "payments"], recoveryPoints: points("shop", 14, 40 * 1024 ** 2) });
  center.ingestInstance({ ...base, vaultName: "prod", name: "blog", cluster: { name: "aks-blog" }, protectedNamespaces: ["blog"], recoveryPoints: points("blog", 14, 8 * 1024 ** 2, 2) });
  center.ingestInstance({ ...base, vaultName: "dr", name: "analytics", cluster: { name: "aks-analytics" }, protectedNamespaces: ["analytics"], recoveryPoints: points("analytics", 10, 120 * 1024 ** 2) });
  const jobs: BackupJob[] = [];
  for (let t = NOW.getTime() - 14 * DAY; t <= NOW.getTime(); t += 4 * HOUR) {
    const n = jobs.length;
    jobs.push(job("prod", "shop", t, n % 17 === 5 ? "Failed" : n % 9 === 4 ? "CompletedWithWarnings" : "Completed"));
    jobs.push(job("prod", "blog", t + 600_000, t > NOW.getTime() - 2 * DAY ? "Failed" : "Completed"));
    if (t >= NOW.getTime() - 10 * DAY) jobs.push(job("dr", "analytics", t + 1_200_000, n % 23 === 0 ? "Cancelled" : "Completed"));
  }
  jobs.push(job("prod", "shop", NOW.getTime() - 3 * DAY, "Completed", "Restore"));
  center.ingestJobs(jobs);
  return reportData(center, { now: NOW, title: "kbackup report: fixture" });
}

let context: BrowserContext;
let page: Page;
let data: ReportData;
const consoleErrors: string[] = [];
const requests: string[] = [];
let userDataDir: string;

beforeAll(async () => {
  ensureChromium();
  data = fixture();
  await mkdir(results, { recursive: true });
  const file = join(results, "report.html");
  await writeFile(file, renderReportPage(data));
  userDataDir = await mkdtemp(join(tmpdir(), "kbackup-chromium-"));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    viewport: { width: 1280, height: 900 },
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(message.text());
  });
  page.on("pageerror", (error) => consoleErrors.push(error.message));
  page.on("request", (request) => {
    if (!request.url().startsWith("file:")) requests.push(request.url());
  });
  await page.goto(pathToFileURL(file).href);
  await page.waitForSelector("body[data-ready='true']");
  await page.screenshot({ path: join(results, "report.png"), fullPage: true });
}, 900_000);

afterAll(async () => {
  await context?.close();
  if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
});

describe("the HTML report in Chromium", () => {
  it("renders with no console errors and fetches nothing", () => {
    expect(consoleErrors).toEqual([]);
    expect(requests).toEqual([]);
  });

  it("draws every job of every day, stacked by status", async () => {
    const bars = await page.$$eval("#job-outcomes rect[data-status]", (rects) => rects.map((rect) => ({ day: rect.getAttribute("data-day"), status: rect.getAttribute("data-status"), count: Number(rect.getAttribute("data-count")), height: Number(rect.getAttribute("height")) })));
    const expected = data.outcomes.flatMap((bucket) => Object.entries(bucket.counts).filter(([, count]) => count > 0).map(([status, count]) => ({ day: bucket.start.slice(0, 10), status, count })));
    expect(bars.map(({ day, status, count }) => ({ day, status, count })).sort((a, b) => `${a.day}${a.status}`.localeCompare(`${b.day}${b.status}`))).toEqual(expected.sort((a, b) => `${a.day}${a.status}`.localeCompare(`${b.day}${b.status}`)));
    expect(Number(await page.getAttribute("#job-outcomes", "data-total"))).toBe(bars.reduce((sum, bar) => sum + bar.count, 0));
    expect(bars.filter((bar) => bar.status === "Failed").length).toBeGreaterThan(2);
    // Taller bars for more jobs: heights follow counts.
    const ones = bars.filter((bar) => bar.count === 1).map((bar) => bar.height);
    const biggest = bars.reduce((a, b) => (b.count > a.count ? b : a));
    expect(biggest.height).toBeGreaterThan(Math.max(...ones) * 2);
  });

  it("puts each instance's recovery points on the timeline by store", async () => {
    const circles = await page.$$eval("#recovery-points circle[data-recovery-point-id]", (nodes) => nodes.map((node) => `${node.getAttribute("data-instance")}|${node.getAttribute("data-store")}|${node.getAttribute("data-recovery-point-id")}|${node.getAttribute("data-state")}`));
    const expected = data.timelines.flatMap((timeline) => (["OperationalStore", "VaultStore"] as const).flatMap((store) => timeline.stores[store].map((point) => `${timeline.instanceName}|${store}|${point.recoveryPointId}|${point.state}`)));
    expect(circles.sort()).toEqual(expected.sort());
    expect(circles.some((circle) => circle.endsWith("|SoftDeleted"))).toBe(true);
    // Later points sit further right.
    const xs = await page.$$eval('#recovery-points circle[data-instance="shop"][data-store="VaultStore"]', (nodes) => nodes.map((node) => [node.getAttribute("data-time"), Number(node.getAttribute("cx"))] as const));
    const byTime = [...xs].sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    expect(byTime.map(([, x]) => x)).toEqual([...byTime.map(([, x]) => x)].sort((a, b) => a - b));
  });

  it("shows storage growing to what is kept now, per store", async () => {
    const finals = await page.$$eval("#storage-growth path[data-series]", (paths) => Object.fromEntries(paths.map((path) => [path.getAttribute("data-series"), Number(path.getAttribute("data-final-bytes"))])));
    expect(finals).toEqual({ OperationalStore: data.usage.totals.operationalStore.bytes, VaultStore: data.usage.totals.vaultStore.bytes, Snapshots: data.usage.totals.snapshots.bytes });
    const vaultPoints = await page.$$eval('#storage-growth circle[data-series="VaultStore"]', (nodes) => nodes.map((node) => Number(node.getAttribute("data-bytes"))));
    expect(vaultPoints).toEqual([...vaultPoints].sort((a, b) => a - b));
  });

  it("lists the compliance findings with their counts, and filters them by severity", async () => {
    const rows = await page.$$eval("#findings tr.finding", (nodes) => nodes.map((node) => `${node.getAttribute("data-severity")}|${node.getAttribute("data-check")}|${node.getAttribute("data-instance") ?? ""}`));
    expect(rows).toEqual(data.compliance.findings.map((finding) => `${finding.severity}|${finding.check}|${finding.instanceName ?? ""}`));
    expect(rows).toContain("Critical|BackupOverdue|blog");
    const counts = await page.$$eval("#compliance-counts rect[data-severity]", (nodes) => Object.fromEntries(nodes.map((node) => [node.getAttribute("data-severity"), Number(node.getAttribute("data-count"))])));
    expect(counts).toEqual(data.compliance.counts);
    await page.click('button.filter[data-filter="Critical"]');
    const visible = await page.$$eval("#findings tr.finding", (nodes) => nodes.filter((node) => node.getClientRects().length > 0).map((node) => node.getAttribute("data-severity")));
    expect(visible).toEqual(Array(data.compliance.counts.Critical).fill("Critical"));
    await page.click('button.filter[data-filter="all"]');
  });

  it("hides a series when its legend entry is clicked", async () => {
    const shown = () => page.$$eval('#job-outcomes rect[data-status="Failed"]', (nodes) => nodes.filter((node) => node.getClientRects().length > 0).length);
    const before = await shown();
    expect(before).toBeGreaterThan(0);
    await page.click('button.legend[data-chart="job-outcomes"][data-toggle="Failed"]');
    expect(await shown()).toBe(0);
    await page.click('button.legend[data-chart="job-outcomes"][data-toggle="Failed"]');
    expect(await shown()).toBe(before);
  });

  it("shows the summary tiles", async () => {
    expect(await page.textContent("#tile-instances .value")).toBe("3");
    expect(await page.textContent("#tile-failed .value")).toBe(String(data.outcomes.reduce((sum, bucket) => sum + bucket.counts.Failed, 0)));
    expect(await page.textContent("#tile-compliant .value")).toBe(`${data.compliance.compliantInstances} / 3`);
  });
});
