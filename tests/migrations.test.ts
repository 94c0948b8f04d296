import { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadMigrations } from "../scripts/lib/migrations.ts";
import { ABORT_REASON_NAMES } from "../shared/cycle/reasons.ts";
import { createPostgresClient } from "../shared/journal/drivers/postgres.ts";
import { PGLITE_OPTIONS, pgliteClient } from "../shared/journal/drivers/pglite.ts";
import { applyMigrations, type Migration } from "../shared/journal/migrations.ts";
import type { SqlClient } from "../shared/journal/sql-client.ts";
import { clusterUrl, createTestDatabase } from "./helpers/database.ts";
import { createPgliteTemplate, MIGRATIONS_DIR } from "./helpers/pglite.ts";

const SCHEMAS = ["public", "supabase_migrations"];

/** Tables, columns, constraints and functions, in a form both Postgres versions print alike. */
async function describeSchema(client: SqlClient) {
  const tables = await client.query(
    `select table_schema, table_name, table_type from information_schema.tables
     where table_schema = any($1) order by 1, 2`,
    [SCHEMAS],
  );
  const columns = await client.query(
    `select table_schema, table_name, column_name, data_type, is_nullable, column_default
     from information_schema.columns where table_schema = any($1) order by 1, 2, ordinal_position`,
    [SCHEMAS],
  );
  // Postgres 18 (PGlite) also stores NOT NULL as constraints (contype n); is_nullable covers them.
  const constraints = await client.query(
    `select n.nspname as schema, c.conrelid::regclass::text as relation, c.conname as name,
       c.contype as type, pg_get_constraintdef(c.oid) as definition
     from pg_constraint c join pg_namespace n on n.oid = c.connamespace
     where n.nspname = any($1) and c.contype in ('p', 'u', 'f', 'c', 'x') order by 1, 2, 3`,
    [SCHEMAS],
  );
  const functions = await client.query(
    `select p.proname as name, pg_get_function_identity_arguments(p.oid) as arguments,
       pg_get_function_result(p.oid) as result, p.prosecdef as security_definer
     from pg_proc p where p.pronamespace = 'public'::regnamespace order by 1, 2`,
  );
  return { tables, columns, constraints, functions };
}

async function history(client: SqlClient) {
  return client.query<{ version: string; name: string; statements: string[] }>(
    "select version, name, statements from supabase_migrations.schema_migrations order by version",
  );
}

let files: Migration[];
let pglite: SqlClient;
let cluster: SqlClient;
let clusterPostgres: SqlClient;

beforeAll(async () => {
  files = loadMigrations(MIGRATIONS_DIR);
  pglite = await (await createPgliteTemplate()).copy();
  cluster = createPostgresClient(await createTestDatabase(), { maxConnections: 1 });
  clusterPostgres = createPostgresClient(clusterUrl(), { maxConnections: 1 });
});
afterAll(async () => {
  await pglite.close();
  await cluster.close();
  await clusterPostgres.close();
});

describe("migrations on PGlite and the Postgres cluster", () => {
  it("create the same schema", async () => {
    const onPglite = await describeSchema(pglite);
    const onCluster = await describeSchema(cluster);
    expect(onCluster.tables).toContainEqual({
      table_schema: "public",
      table_name: "execution_logs",
      table_type: "BASE TABLE",
    });
    expect(onPglite.tables).toEqual(onCluster.tables);
    expect(onPglite.columns).toEqual(onCluster.columns);
    expect(onPglite.constraints).toEqual(onCluster.constraints);
    expect(onPglite.functions).toEqual(onCluster.functions);
  });

  it("create the same tables in the pg_cron database", async () => {
    const onPglite = await describeSchema(pglite);
    const onPostgres = await describeSchema(clusterPostgres);
    expect(onPglite.tables).toEqual(onPostgres.tables);
    expect(onPglite.columns).toEqual(onPostgres.columns);
  });

  it("list every file in schema_migrations", async () => {
    const expected = files.map((f) => ({ version: f.version, name: f.name }));
    const versions = (rows: { version: string; name: string }[]) =>
      rows.map(({ version, name }) => ({ version, name }));
    expect(versions(await history(pglite))).toEqual(expected);
    expect(versions(await history(cluster))).toEqual(expected);
    expect(versions(await history(clusterPostgres))).toEqual(expected);
  });

  it("record the statements the Supabase CLI records", async () => {
    const onPglite = await history(pglite);
    const onCluster = await history(cluster);
    expect(onPglite.length).toBe(files.length);
    for (const [i, row] of onPglite.entries()) {
      expect(row.statements, row.version).toEqual(onCluster[i]?.statements);
    }
  });

  it("check abort reasons against ABORT_REASONS", async () => {
    const [row] = await cluster.query<{ definition: string }>(
      `select pg_get_constraintdef(oid) as definition from pg_constraint
       where conname = 'execution_logs_abort_reason_check'`,
    );
    const listed = [...(row?.definition ?? "").matchAll(/'([A-Z_]+)'/g)].map((m) => m[1]);
    expect(listed.sort()).toEqual([...ABORT_REASON_NAMES].sort());
  });
});

describe("applyMigrations", () => {
  let db: PGlite;
  let client: SqlClient;
  const first: Migration = {
    version: "20240101000000",
    name: "one",
    sql: "create table t1 (a int);",
  };
  const second: Migration = {
    version: "20240102000000",
    name: "two",
    sql: "create table t2 (a int)",
  };

  beforeAll(async () => {
    db = await PGlite.create(PGLITE_OPTIONS);
    client = pgliteClient(db);
  });
  afterAll(() => client.close());

  it("applies pending files once", async () => {
    const firstRun = await applyMigrations(client, [first]);
    const secondRun = await applyMigrations(client, [first, second]);
    const thirdRun = await applyMigrations(client, [first, second]);
    expect(firstRun).toEqual(["20240101000000"]);
    expect(secondRun).toEqual(["20240102000000"]);
    expect(thirdRun).toEqual([]);
  });

  it("rejects a file older than the newest applied", async () => {
    const late: Migration = { version: "20240101120000", name: "late", sql: "select 1" };
    await expect(applyMigrations(client, [first, late, second])).rejects.toThrow(
      "20240101120000 predate the newest applied version 20240102000000",
    );
  });

  it("rejects an applied version with no file", async () => {
    await expect(applyMigrations(client, [first])).rejects.toThrow(
      "the database lists versions with no migration file: 20240102000000",
    );
  });

  it("rolls back a failing file", async () => {
    const broken: Migration = {
      version: "20240103000000",
      name: "broken",
      sql: "create table t3 (a int);\nselect * from missing_table;",
    };
    const run = applyMigrations(client, [first, second, broken]);
    await expect(run).rejects.toThrow("Applying migration 20240103000000_broken.sql failed");
    const tables = await client.query("select 1 from pg_tables where tablename = 't3'");
    const recorded = await history(client);
    expect(tables).toEqual([]);
    expect(recorded.map((r) => r.version)).toEqual(["20240101000000", "20240102000000"]);
  });
});
