import { join, resolve } from "node:path";
import { mkdirSync } from "node:fs";
import { createPostgresClient } from "../../shared/journal/drivers/postgres.ts";
import { applyMigrations, createPgliteClient } from "../../shared/journal/drivers/pglite.ts";
import type { SqlClient } from "../../shared/journal/sql-client.ts";
import { SqlJournal } from "../../shared/journal/sql-journal.ts";
import { loadMigrations } from "./migrations.ts";

export const MIGRATIONS_DIR = resolve(import.meta.dirname, "../../supabase/migrations");

export interface OpenedJournal {
  journal: SqlJournal;
  client: SqlClient;
  /** Location of the records, for messages; never contains a password. */
  location: string;
}

/**
 * Opens the journal for a local command: Postgres when `DATABASE_URL` (or
 * `SUPABASE_DB_URL`) is set, else the embedded database in `dataDir`
 * (in memory when `dataDir` is null), migrated to the latest schema.
 */
export async function openLocalJournal(
  env: Record<string, string | undefined>,
  dataDir: string | null,
): Promise<OpenedJournal> {
  const url = env.DATABASE_URL || env.SUPABASE_DB_URL;
  if (url) {
    const client = createPostgresClient(url);
    return { journal: new SqlJournal(client), client, location: redactUrl(url) };
  }
  const client = await openEmbedded(dataDir);
  try {
    await applyMigrations(client, loadMigrations(MIGRATIONS_DIR));
  } catch (error) {
    await client.close().catch(() => {});
    throw new LocalDatabaseError(
      `cannot migrate the embedded database in ${dataDir ?? "memory"}: ` +
        `${error instanceof Error ? error.message : String(error)}. If another command is ` +
        "using the same TITAN_HOME or --db folder, wait for it or use another folder.",
    );
  }
  const location = dataDir ? `embedded database ${dataDir}` : "embedded database in memory";
  return { journal: new SqlJournal(client), client, location };
}

/** The embedded database could not be opened where the user pointed it. */
export class LocalDatabaseError extends Error {
  override readonly name = "LocalDatabaseError";
}

async function openEmbedded(dataDir: string | null): Promise<SqlClient> {
  try {
    if (dataDir) mkdirSync(dataDir, { recursive: true });
    return await createPgliteClient(dataDir ?? undefined);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException | null)?.code;
    const reason = code ?? (error instanceof Error ? error.message : JSON.stringify(error));
    // NOTE: PGlite allows one process per data folder. A second command on the
    // same folder fails here too, and the message names that cause.
    throw new LocalDatabaseError(
      `cannot open the embedded database in ${dataDir}: ${reason}. Point --db or ` +
        "TITAN_HOME at a folder you can write, and run one command at a time on it.",
    );
  }
}

/** Returns the embedded database folder under TITAN_HOME. */
export function embeddedDbDir(home: string): string {
  return join(home, "db");
}

function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return `Postgres ${parsed.host}${parsed.pathname}`;
  } catch {
    return "Postgres (unparseable URL)";
  }
}
