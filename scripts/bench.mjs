// Runs every benchmark in bench/, one after the other, each in its own process.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";

const dir = new URL("../bench/", import.meta.url).pathname;
const only = process.argv.slice(2);
let failed = 0;
for (const file of readdirSync(dir).filter((name) => name.endsWith(".bench.ts")).sort()) {
  if (only.length > 0 && !only.some((name) => file.startsWith(name))) continue;
  console.log(`\n== ${file}`);
  const result = spawnSync(process.execPath, [dir + file], { stdio: "inherit" });
  if (result.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
