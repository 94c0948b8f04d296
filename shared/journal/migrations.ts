/**
 * Applies the `supabase/migrations` files to a database the way
 * `supabase db push` does, so PGlite and Supabase end with the same schema and
 * the same history in `supabase_migrations.schema_migrations`.
 *
 * @module
 */
import { splitStatements } from "./sql-statements.ts";
import type { SqlClient } from "./sql-client.ts";

/** One migration file: `<version>_<name>.sql`. */
export interface Migration {
  /** The digits before the first `_` of the file name, e.g. `20261204160000`. */
  version: string;
  name: string;
  sql: string;
}

/** A first line that makes the Supabase CLI run a file outside a transaction. */
const NO_TRANSACTION_MARKER = "-- pg-delta: transaction=false";

/** The history table as the Supabase CLI (2.117.0) creates it. */
const HISTORY_DDL = [
  "CREATE SCHEMA IF NOT EXISTS supabase_migrations",
  "CREATE TABLE IF NOT EXISTS supabase_migrations.schema_migrations " +
  "(version text NOT NULL PRIMARY KEY)",
  "ALTER TABLE supabase_migrations.schema_migrations ADD COLUMN IF NOT EXISTS statements text[]",
  "ALTER TABLE supabase_migrations.schema_migrations ADD COLUMN IF NOT EXISTS name text",
];

/**
 * Applies, in version order, each migration whose version the history table
 * does not list, every file in its own transaction together with its history
 * row. Returns the versions applied.
 *
 * Throws, before applying anything, when versions are not unique and
 * increasing, when the database lists a version missing from `migrations`, or
 * when a pending version is older than the newest applied one (migrations are
 * forward-only).
 */
export async function applyMigrations(
  client: SqlClient,
  migrations: readonly Migration[],
): Promise<string[]> {
  checkOrder(migrations);
  await client.transaction(async (tx) => {
    for (const statement of HISTORY_DDL) await tx.query(statement);
  });

  const rows = await client.query<{ version: string }>(
    "SELECT version FROM supabase_migrations.schema_migrations ORDER BY version",
  );
  const applied = new Set(rows.map((row) => row.version));
  const pending = migrations.filter((m) => !applied.has(m.version));
  checkHistory(migrations, applied, pending);

  for (const migration of pending) await applyOne(client, migration);
  return pending.map((m) => m.version);
}

async function applyOne(client: SqlClient, migration: Migration): Promise<void> {
  const statements = splitStatements(migration.sql);
  const run = async (db: SqlClient) => {
    for (const statement of statements) {
      try {
        await db.query(statement);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new Error(
          `Applying migration ${migration.version}_${migration.name}.sql failed: ${reason}. ` +
            `Statement: ${statement.slice(0, 200)}`,
          { cause: error },
        );
      }
    }
    await db.query(
      "INSERT INTO supabase_migrations.schema_migrations(version, name, statements) " +
        "VALUES($1, $2, $3)",
      [migration.version, migration.name, statements],
    );
  };
  const firstLine = migration.sql.split("\n", 1)[0]?.replace(/\r$/u, "");
  if (firstLine === NO_TRANSACTION_MARKER) await run(client);
  else await client.transaction(run);
}

function checkOrder(migrations: readonly Migration[]): void {
  for (let i = 0; i < migrations.length; i++) {
    const migration = migrations[i]!;
    if (!/^[0-9]+$/u.test(migration.version)) {
      throw new Error(
        `Applying migrations failed: version "${migration.version}" of ${migration.name} ` +
          "must be digits. Name the file <timestamp>_<name>.sql.",
      );
    }
    const previous = migrations[i - 1];
    if (previous !== undefined && previous.version >= migration.version) {
      throw new Error(
        `Applying migrations failed: versions must be unique and increasing, but ` +
          `${migration.version} follows ${previous.version}. Sort the list by file name.`,
      );
    }
  }
}

function checkHistory(
  migrations: readonly Migration[],
  applied: ReadonlySet<string>,
  pending: readonly Migration[],
): void {
  const known = new Set(migrations.map((m) => m.version));
  const unknown = [...applied].filter((version) => !known.has(version));
  if (unknown.length > 0) {
    throw new Error(
      `Applying migrations failed: the database lists versions with no migration file: ` +
        `${unknown.join(", ")}. Restore those files, or use a new database.`,
    );
  }
  const newest = [...applied].sort().at(-1);
  const late = pending.filter((m) => newest !== undefined && m.version < newest);
  if (late.length > 0) {
    throw new Error(
      `Applying migrations failed: ${late.map((m) => m.version).join(", ")} ` +
        `predate the newest applied version ${newest}. Migrations are forward-only: ` +
        "give the file a newer timestamp.",
    );
  }
}
