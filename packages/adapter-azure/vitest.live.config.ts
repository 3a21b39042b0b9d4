// Tests against a real Azure subscription, never run by CI or by the default `vitest run`:
//   npx vitest run --config packages/adapter-azure/vitest.live.config.ts
// They sign in with DefaultAzureCredential (az login, a managed identity, or AZURE_* variables) and
// read what to use from KBACKUP_LIVE_* variables: see docs/azure.md.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const root = fileURLToPath(new URL("../..", import.meta.url));
const src = (pkg: string) => fileURLToPath(new URL(`../${pkg}/src/index.ts`, import.meta.url));

export default defineConfig({
  root,
  resolve: {
    alias: {
      "@kbackup/core": src("core"),
      "@kbackup/adapter-memory": src("adapter-memory"),
      "@kbackup/adapter-azure": src("adapter-azure"),
      "@kbackup/testing": src("testing"),
    },
  },
  test: {
    include: ["packages/adapter-azure/live/**/*.live.test.ts"],
    testTimeout: 15 * 60_000,
    hookTimeout: 15 * 60_000,
    // One at a time: real resources, real quotas.
    fileParallelism: false,
  },
});
