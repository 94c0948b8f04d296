import { existsSync, readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import type { Catalog } from "../scripts/lib/db-catalog.ts";
import { DATABASE_DOC_PATH, MIGRATIONS_DIR, readMigratedCatalog } from "../scripts/lib/db-doc.ts";
import { renderDatabaseDoc } from "../scripts/lib/db-markdown.ts";

let catalog: Catalog;
beforeAll(async () => {
  catalog = await readMigratedCatalog(MIGRATIONS_DIR);
}, 60_000);

/** Describes the first line that differs: its number (from 1) and both versions. */
function firstDifference(current: string, generated: string): string {
  const currentLines = current.split("\n");
  const generatedLines = generated.split("\n");
  const count = Math.max(currentLines.length, generatedLines.length);
  for (let i = 0; i < count; i++) {
    if (currentLines[i] !== generatedLines[i]) {
      return `line ${i + 1}: the file has ${JSON.stringify(currentLines[i] ?? null)}, ` +
        `the schema gives ${JSON.stringify(generatedLines[i] ?? null)}`;
    }
  }
  return "none";
}

describe("docs/DATABASE.md", () => {
  it("matches the migrated schema", () => {
    const generated = renderDatabaseDoc(catalog);
    const current = existsSync(DATABASE_DOC_PATH) ? readFileSync(DATABASE_DOC_PATH, "utf8") : "";
    const message = "docs/DATABASE.md is out of date with supabase/migrations. " +
      "Run npm run db:docs and commit the result. First difference: " +
      firstDifference(current, generated);
    expect(current === generated, message).toBe(true);
  });

  it("renders the same bytes twice", () => {
    expect(renderDatabaseDoc(catalog)).toBe(renderDatabaseDoc(catalog));
  });
});

describe("migrated schema", () => {
  it("has row level security on every table", () => {
    const off = catalog.tables.filter((t) => !t.rowLevelSecurity).map((t) => t.name);
    expect(off, "enable row level security on these in a new migration").toEqual([]);
  });

  it("runs every view as its caller", () => {
    const definer = catalog.views.filter((v) => !v.securityInvoker).map((v) => v.name);
    expect(definer, "create these views with (security_invoker = true)").toEqual([]);
  });

  it("grants anon and authenticated nothing", () => {
    const objects = [...catalog.tables, ...catalog.views, ...catalog.functions];
    const exposed = objects
      .filter((o) => o.grants.some((g) => ["anon", "authenticated", "PUBLIC"].includes(g.role)))
      .map((o) => o.name);
    expect(exposed, "revoke these from anon, authenticated and public").toEqual([]);
  });

  it("comments every table, view and function", () => {
    const objects = [...catalog.tables, ...catalog.views, ...catalog.functions];
    const missing = objects.filter((o) => o.comment === null).map((o) => o.name);
    expect(missing, "add COMMENT ON for these in a new migration").toEqual([]);
  });
});
