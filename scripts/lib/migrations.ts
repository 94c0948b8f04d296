import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Migration } from "../../shared/journal/migrations.ts";

/** File names the Supabase CLI applies. It skips other files with only a warning. */
const MIGRATION_FILE = /^([0-9]+)_(.*)\.sql$/u;

/**
 * Reads the `.sql` files of a migrations folder in file name order, which is
 * the order `supabase db push` applies them. Throws when a `.sql` file does not
 * match `<digits>_<name>.sql`, because the CLI would skip it with only a warning.
 */
export function loadMigrations(dir: string): Migration[] {
  const files = readdirSync(dir).filter((file) => file.endsWith(".sql")).sort();
  return files.map((file) => {
    const match = MIGRATION_FILE.exec(file);
    if (match === null) {
      throw new Error(
        `Loading migrations from ${dir} failed: ${file} does not match <timestamp>_<name>.sql, ` +
          "so supabase db push would skip it. Rename the file.",
      );
    }
    const sql = readFileSync(join(dir, file), "utf8").replace(/^\uFEFF/u, "");
    return { version: match[1]!, name: match[2]!, sql };
  });
}
