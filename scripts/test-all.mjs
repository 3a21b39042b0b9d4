// Every test of the project: type checks of the tests, the vitest suites, and the package checks
// (publint, are-the-types-wrong) on the built packages. Ends with one "N passed, N failed" line.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const bin = (name) => join(root, "node_modules", ".bin", name);
let passed = 0;
let failed = 0;

function run(title, command, args, options = {}) {
  console.log(`\n== ${title}`);
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit", ...options });
  return result.status === 0;
}

function check(title, command, args) {
  if (run(title, command, args)) passed++;
  else {
    failed++;
    console.log(`FAILED: ${title}`);
  }
}

check("type check of tests and benchmarks", bin("tsc"), ["-p", "tsconfig.test.json"]);

mkdirSync(join(root, ".test-results"), { recursive: true });
const report = join(root, ".test-results", "vitest.json");
run("vitest", bin("vitest"), ["run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`]);
try {
  const results = JSON.parse(readFileSync(report, "utf8"));
  passed += results.numPassedTests;
  failed += results.numFailedTests + (results.numFailedTestSuites ?? 0) - countSuitesWithFailedTests(results);
  if (results.numTotalTests === 0) failed++;
} catch (error) {
  console.log(`FAILED: vitest wrote no report (${error.message})`);
  failed++;
}

for (const dir of readdirSync(join(root, "packages"))) {
  const cwd = join(root, "packages", dir);
  check(`publint ${dir}`, bin("publint"), ["--strict", cwd]);
  check(`are-the-types-wrong ${dir}`, bin("attw"), ["--pack", cwd, "--profile", "esm-only", "--quiet"]);
  // The committed report in api-reports/ must match: a public API change shows in review (`npm run api:update`).
  check(`API report ${dir}`, bin("api-extractor"), ["run", "--config", join(cwd, "api-extractor.json")]);
}

check("API reference (typedoc)", bin("typedoc"), ["--logLevel", "Error"]);

console.log(`\nkbackup: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);

// A suite that failed to load has no failed tests of its own; one whose tests failed is counted by them.
function countSuitesWithFailedTests(results) {
  return results.testResults.filter((suite) => suite.status === "failed" && suite.assertionResults.some((test) => test.status === "failed")).length;
}
