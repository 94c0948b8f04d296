/**
 * Migrated PGlite databases for tests. Starting PGlite and applying the
 * migrations takes seconds, so each test file does it once and copies the
 * result for every test that needs empty tables.
 *
 * @module
 */
import { resolve } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { loadMigrations } from "../../scripts/lib/migrations.ts";
import { applyMigrations } from "../../shared/journal/migrations.ts";
import { PGLITE_OPTIONS, pgliteClient } from "../../shared/journal/drivers/pglite.ts";
import type { SqlClient } from "../../shared/journal/sql-client.ts";

export const MIGRATIONS_DIR = resolve(import.meta.dirname, "../../supabase/migrations");

export interface PgliteTemplate {
  /** Opens a new in-memory database with the template's schema and rows. */
  copy(): Promise<SqlClient>;
}

/** Creates an in-memory PGlite database with every migration applied. */
export async function createPgliteTemplate(): Promise<PgliteTemplate> {
  const db = await PGlite.create(PGLITE_OPTIONS);
  await applyMigrations(pgliteClient(db), loadMigrations(MIGRATIONS_DIR));
  const dump = await db.dumpDataDir("none");
  await db.close();
  return {
    async copy() {
      return pgliteClient(await PGlite.create({ ...PGLITE_OPTIONS, loadDataDir: dump }));
    },
  };
}
