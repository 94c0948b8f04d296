import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPostgresClient } from "../shared/journal/drivers/postgres.ts";
import { type SqlClient, SqlError } from "../shared/journal/sql-client.ts";
import { createTestDatabase } from "./helpers/database.ts";

const API_ROLES = ["anon", "authenticated"] as const;
const JOURNAL_FUNCTIONS = [
  "titan_claim_cycle",
  "titan_paper_seed",
  "titan_paper_fill",
  "titan_finish_cycle",
];
const PERMISSION_DENIED = "42501";

interface Relation {
  name: string;
  /** `r` table, `p` partitioned table, `v` view, `m` materialized view. */
  kind: string;
  /** First column that an UPDATE may set (not an identity or generated column). */
  firstColumn: string;
}

let client: SqlClient;
let relations: Relation[];
let functions: { signature: string; name: string }[];

/** Runs `sql` as `role` and rolls back; returns "ok" or the SQLSTATE of the error. */
async function attempt(role: string, sql: string): Promise<string> {
  try {
    await client.transaction(async (tx) => {
      await tx.query(`set local role ${role}`);
      await tx.query(sql);
      throw new Rollback();
    });
    return "ok";
  } catch (error) {
    if (error instanceof Rollback) return "ok";
    if (error instanceof SqlError) return error.code ?? error.message;
    throw error;
  }
}

class Rollback extends Error {}

/** Maps each name to the outcome of `run(name)`, so a failure names the object. */
async function outcomes<T>(
  items: T[],
  key: (item: T) => string,
  run: (item: T) => Promise<string>,
) {
  const result: Record<string, string> = {};
  for (const item of items) result[key(item)] = await run(item);
  return result;
}

function all(items: { name: string }[], outcome: string): Record<string, string> {
  return Object.fromEntries(items.map((item) => [item.name, outcome]));
}

const claimSql = "select * from public.titan_claim_cycle('rls-1', 'BTC/USD', now(), 'PAPER', " +
  "'inv', 'test', now())";

beforeAll(async () => {
  client = createPostgresClient(await createTestDatabase(), { maxConnections: 1 });
  relations = await client.query<Relation>(
    `select c.relname as name, c.relkind as kind,
       (select a.attname from pg_attribute a
        where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
          and a.attidentity = '' and a.attgenerated = ''
        order by a.attnum limit 1) as "firstColumn"
     from pg_class c
     where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p', 'v', 'm')
     order by c.relname`,
  );
  functions = await client.query(
    `select p.oid::regprocedure::text as signature, p.proname as name
     from pg_proc p where p.pronamespace = 'public'::regnamespace and p.prokind = 'f'
     order by 1`,
  );
});
afterAll(() => client.close());

describe("row level security", () => {
  it("is enabled on every table", async () => {
    const rows = await client.query<{ name: string; enabled: boolean }>(
      `select relname as name, relrowsecurity as enabled from pg_class
       where relnamespace = 'public'::regnamespace and relkind in ('r', 'p') order by relname`,
    );
    const tables = relations.filter((r) => r.kind === "r" || r.kind === "p");
    expect(rows.length).toBeGreaterThanOrEqual(5);
    expect(Object.fromEntries(rows.map((r) => [r.name, r.enabled]))).toEqual(
      Object.fromEntries(tables.map((t) => [t.name, true])),
    );
  });

  it("has no policy for the API roles", async () => {
    const policies = await client.query(
      `select tablename, policyname from pg_policies
       where schemaname = 'public' and roles && array['anon', 'authenticated', 'public']::name[]`,
    );
    expect(policies).toEqual([]);
  });

  it("hides rows when a grant slips through", async () => {
    await client.query(claimSql);
    const seen = await client.transaction(async (tx) => {
      await tx.query("grant select on public.execution_logs to anon");
      await tx.query("set local role anon");
      const rows = await tx.query<{ count: string }>("select count(*) from public.execution_logs");
      await tx.query("reset role");
      await tx.query("revoke select on public.execution_logs from anon");
      return rows[0]?.count;
    });
    const total = await client.query<{ count: string }>(
      "select count(*) from public.execution_logs",
    );
    expect(total[0]?.count).toBe("1");
    expect(seen).toBe("0");
  });
});

describe.each(API_ROLES)("as %s", (role) => {
  it("cannot read any table or view", async () => {
    const result = await outcomes(
      relations,
      (r) => r.name,
      (r) => attempt(role, `select * from public."${r.name}" limit 1`),
    );
    expect(result).toEqual(all(relations, PERMISSION_DENIED));
  });

  it("cannot insert into any table", async () => {
    const tables = relations.filter((r) => r.kind === "r" || r.kind === "p");
    const result = await outcomes(
      tables,
      (t) => t.name,
      (t) => attempt(role, `insert into public."${t.name}" default values`),
    );
    expect(result).toEqual(all(tables, PERMISSION_DENIED));
  });

  it("cannot update any table", async () => {
    const tables = relations.filter((r) => r.kind === "r" || r.kind === "p");
    const result = await outcomes(
      tables,
      (t) => t.name,
      (t) => attempt(role, `update public."${t.name}" set "${t.firstColumn}" = "${t.firstColumn}"`),
    );
    expect(result).toEqual(all(tables, PERMISSION_DENIED));
  });

  it("cannot delete from or truncate any table", async () => {
    const tables = relations.filter((r) => r.kind === "r" || r.kind === "p");
    const deletes = await outcomes(
      tables,
      (t) => t.name,
      (t) => attempt(role, `delete from public."${t.name}"`),
    );
    const truncates = await outcomes(
      tables,
      (t) => t.name,
      (t) => attempt(role, `truncate public."${t.name}"`),
    );
    expect(deletes).toEqual(all(tables, PERMISSION_DENIED));
    expect(truncates).toEqual(all(tables, PERMISSION_DENIED));
  });

  it("cannot execute any function", async () => {
    const rows = await client.query<{ signature: string; allowed: boolean }>(
      `select p.oid::regprocedure::text as signature,
         has_function_privilege($1, p.oid, 'EXECUTE') as allowed
       from pg_proc p where p.pronamespace = 'public'::regnamespace and p.prokind = 'f'
       order by 1`,
      [role],
    );
    const claim = await attempt(role, claimSql);
    expect(rows.length).toBe(functions.length);
    expect(Object.fromEntries(rows.map((r) => [r.signature, r.allowed]))).toEqual(
      Object.fromEntries(functions.map((f) => [f.signature, false])),
    );
    expect(claim).toBe(PERMISSION_DENIED);
  });
});

describe("as service_role", () => {
  it("reads every table and view", async () => {
    const result = await outcomes(
      relations,
      (r) => r.name,
      (r) => attempt("service_role", `select * from public."${r.name}" limit 1`),
    );
    expect(result).toEqual(all(relations, "ok"));
  });

  it("writes the paper balances", async () => {
    const result = await attempt(
      "service_role",
      "insert into public.paper_balances (asset, amount) values ('USD', 1)",
    );
    expect(result).toBe("ok");
  });

  it("executes the journal functions", async () => {
    const journal = functions.filter((f) => JOURNAL_FUNCTIONS.includes(f.name));
    const rows = await client.query<{ signature: string; allowed: boolean }>(
      `select p.oid::regprocedure::text as signature,
         has_function_privilege('service_role', p.oid, 'EXECUTE') as allowed
       from pg_proc p where p.pronamespace = 'public'::regnamespace and p.proname = any($1)`,
      [JOURNAL_FUNCTIONS],
    );
    const claim = await attempt("service_role", claimSql.replace("rls-1", "rls-2"));
    expect(journal).toHaveLength(JOURNAL_FUNCTIONS.length);
    expect(rows.every((r) => r.allowed)).toBe(true);
    expect(rows).toHaveLength(JOURNAL_FUNCTIONS.length);
    expect(claim).toBe("ok");
  });
});
