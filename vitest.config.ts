import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    alias: {
      "@kbackup/core": src("core"),
      "@kbackup/adapter-memory": src("adapter-memory"),
      "@kbackup/adapter-fs": src("adapter-fs"),
      "@kbackup/adapter-azure": src("adapter-azure"),
      "@kbackup/adapter-kubernetes": src("adapter-kubernetes"),
      "@kbackup/testing": src("testing"),
      "@kbackup/cli": src("cli"),
    },
  },
  test: {
    include: ["packages/*/test/**/*.test.ts", "packages/*/src/**/*.test.ts", "examples/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
  },
});
