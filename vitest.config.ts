import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    globalSetup: ["tests/setup/postgres-cluster.ts"],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    fileParallelism: true,
  },
});
