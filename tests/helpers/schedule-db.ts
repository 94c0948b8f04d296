/**
 * Test databases for the schedule and the Studio views: fresh copies of the
 * migrated template on the test cluster, with the pg_net double and the Vault
 * stand-in installed, and small helpers for postgres.js.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import postgres from "postgres";
import { createTestDatabase } from "./database.ts";

export const PG_NET_DOUBLE = readFileSync(resolve(import.meta.dirname, "pg-net-double.sql"), "utf8");
export const VAULT_STAND_IN = readFileSync(resolve(import.meta.dirname, "vault-stand-in.sql"), "utf8");

export const PROJECT_URL = "https://abcdefghijklmnop.supabase.co";
export const CRON_SECRET = "cron-secret-for-tests-0123456789";
/** Vault secrets the dispatch reads; the URL ends with a slash that the dispatch must drop. */
export const SECRETS = { titan_project_url: `${PROJECT_URL}/`, titan_cron_secret: CRON_SECRET };

export type Sql = postgres.Sql;

export interface TestDatabase {
  url: string;
  sql: Sql;
}

/** Connects to `url` with at most `max` connections and ignores notices. */
export function connect(url: string, max = 1): Sql {
  return postgres(url, { max, onnotice: () => {} });
}

/** Opens a fresh migrated database with the pg_net double and the Vault stand-in. */
export async function databaseWithDoubles(secrets: Record<string, string>): Promise<TestDatabase> {
  const url = await createTestDatabase();
  const sql = connect(url, 2);
  await sql.unsafe(PG_NET_DOUBLE);
  await sql.unsafe(VAULT_STAND_IN);
  for (const [name, value] of Object.entries(secrets)) {
    await sql`insert into vault.decrypted_secrets (name, decrypted_secret) values (${name}, ${value})`;
  }
  return { url, sql };
}

/** Runs `fn` in a transaction that is always rolled back. */
export async function rolledBack(
  sql: Sql,
  fn: (tx: postgres.TransactionSql) => Promise<void>,
): Promise<void> {
  const rollback = new Error("rollback");
  await sql.begin(async (tx) => {
    await fn(tx);
    throw rollback;
  }).catch((error: unknown) => {
    if (error !== rollback) throw error;
  });
}

/** Returns the error `promise` rejects with, or throws when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<postgres.PostgresError> {
  try {
    await promise;
  } catch (error) {
    return error as postgres.PostgresError;
  }
  throw new Error("expected the query to fail, but it succeeded");
}
