/**
 * Fresh databases on the test cluster that `tests/setup/postgres-cluster.ts`
 * starts. Each is a copy of the migrated template, so a test file reads only
 * its own rows.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { inject } from "vitest";
import type {} from "../setup/postgres-cluster.ts";

/** URL of the cluster's migrated `postgres` database (the one pg_cron serves). */
export function clusterUrl(): string {
  const url = inject("titanDatabaseUrl");
  if (!url) {
    throw new Error(
      "The test Postgres cluster is not running: add tests/setup/postgres-cluster.ts to " +
        "test.globalSetup in vitest.config.ts.",
    );
  }
  return url;
}

/**
 * Creates an empty, migrated database from the template and returns its URL.
 * The database lives until the cluster stops at the end of the run.
 */
export async function createTestDatabase(): Promise<string> {
  const adminUrl = clusterUrl();
  const template = inject("titanTemplateDatabase");
  const name = `titan_test_${randomBytes(6).toString("hex")}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name} template ${template}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
