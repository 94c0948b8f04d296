/**
 * `npm run db:docs`: regenerates docs/DATABASE.md from the migrations, or
 * with `--check` only reports whether it is up to date.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { fail, usageError } from "./lib/cli.ts";
import { buildDatabaseDoc, DATABASE_DOC_PATH, MIGRATIONS_DIR } from "./lib/db-doc.ts";

const USAGE = `Usage: npm run db:docs [-- --check]

Applies every migration in supabase/migrations to a fresh in-memory PGlite
and writes docs/DATABASE.md from the resulting schema: tables, columns,
constraints, indexes, row level security, grants, views and functions with
their COMMENT ON text. Needs no database server.

Options:
  --check   write nothing; exit 1 when docs/DATABASE.md is out of date
  --help    show this help`;

async function main(): Promise<number> {
  let values: { check: boolean; help: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        check: { type: "boolean", default: false },
        help: { type: "boolean", default: false },
      },
      strict: true,
    }));
  } catch (error) {
    if (usageError(error)) fail(error.message, USAGE);
    throw error;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }

  const markdown = await buildDatabaseDoc(MIGRATIONS_DIR);
  if (values.check) {
    if (readCurrent() === markdown) {
      console.log(`${DATABASE_DOC_PATH} is up to date.`);
      return 0;
    }
    console.error(`${DATABASE_DOC_PATH} is out of date. Run npm run db:docs and commit it.`);
    return 1;
  }
  writeFileSync(DATABASE_DOC_PATH, markdown);
  console.log(`Wrote ${DATABASE_DOC_PATH}.`);
  return 0;
}

function readCurrent(): string | null {
  try {
    return readFileSync(DATABASE_DOC_PATH, "utf8");
  } catch {
    return null;
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`db:docs failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
