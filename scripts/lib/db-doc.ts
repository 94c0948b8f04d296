/**
 * Builds docs/DATABASE.md: applies every migration to a fresh in-memory
 * PGlite, reads the catalog and renders it.
 *
 * @module
 */
import { resolve } from "node:path";
import { applyMigrations, createPgliteClient } from "../../shared/journal/drivers/pglite.ts";
import { type Catalog, readCatalog } from "./db-catalog.ts";
import { renderDatabaseDoc } from "./db-markdown.ts";
import { loadMigrations } from "./migrations.ts";

/** The migrations `supabase db push` applies. */
export const MIGRATIONS_DIR = resolve(import.meta.dirname, "../../supabase/migrations");

/** The generated document. */
export const DATABASE_DOC_PATH = resolve(import.meta.dirname, "../../docs/DATABASE.md");

/**
 * Returns the catalog of schema public after applying the migrations in
 * `migrationsDir` to a fresh in-memory PGlite. Takes a few seconds, most of
 * them to start PGlite. Throws the migration error when a migration fails.
 */
export async function readMigratedCatalog(migrationsDir: string): Promise<Catalog> {
  const client = await createPgliteClient();
  try {
    await applyMigrations(client, loadMigrations(migrationsDir));
    return await readCatalog(client, "public");
  } finally {
    await client.close();
  }
}

/** Returns the Markdown of the database document for the migrations in `migrationsDir`. */
export async function buildDatabaseDoc(migrationsDir: string): Promise<string> {
  return renderDatabaseDoc(await readMigratedCatalog(migrationsDir));
}
