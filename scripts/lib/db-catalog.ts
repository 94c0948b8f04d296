/**
 * Reads the tables, views and functions of one schema from the Postgres
 * catalog, sorted by name, for the generated database document.
 *
 * @module
 */
import type { SqlClient } from "../../shared/journal/sql-client.ts";

export interface CatalogColumn {
  name: string;
  /** Type as `format_type` spells it, e.g. `timestamp with time zone`. */
  type: string;
  notNull: boolean;
  /** Default expression, or `generated always as identity`; null when none. */
  defaultValue: string | null;
  comment: string | null;
}

export interface CatalogConstraint {
  name: string;
  /** Definition as `pg_get_constraintdef` prints it, e.g. `CHECK ((amount >= 0))`. */
  definition: string;
}

export interface CatalogIndex {
  name: string;
  definition: string;
}

/** Privileges a role has on an object: `ALL` when it has every one of several the owner has. */
export interface CatalogGrant {
  role: string;
  privileges: string;
}

export interface CatalogTable {
  name: string;
  comment: string | null;
  columns: CatalogColumn[];
  constraints: CatalogConstraint[];
  indexes: CatalogIndex[];
  rowLevelSecurity: boolean;
  policies: string[];
  grants: CatalogGrant[];
}

export interface CatalogView {
  name: string;
  comment: string | null;
  securityInvoker: boolean;
  columns: CatalogColumn[];
  grants: CatalogGrant[];
}

export interface CatalogFunction {
  name: string;
  arguments: string;
  result: string;
  language: string;
  securityDefiner: boolean;
  comment: string | null;
  grants: CatalogGrant[];
}

export interface CatalogMigration {
  version: string;
  name: string;
}

export interface Catalog {
  schema: string;
  migrations: CatalogMigration[];
  tables: CatalogTable[];
  views: CatalogView[];
  functions: CatalogFunction[];
}

interface RelationRow {
  oid: number;
  name: string;
  kind: string;
  comment: string | null;
  rls: boolean;
  security_invoker: boolean;
}

/** Reads every table, view and function of `schema`, and the applied migrations. */
export async function readCatalog(client: SqlClient, schema = "public"): Promise<Catalog> {
  const relations = await client.query<RelationRow>(
    `select c.oid::int as oid, c.relname as name, c.relkind::text as kind,
       obj_description(c.oid, 'pg_class') as comment, c.relrowsecurity as rls,
       coalesce('security_invoker=true' = any(c.reloptions)
         or 'security_invoker=on' = any(c.reloptions), false) as security_invoker
     from pg_catalog.pg_class c
     where c.relnamespace = $1::regnamespace and c.relkind in ('r', 'p', 'v')
     order by c.relname collate "C"`,
    [schema],
  );
  const tables: CatalogTable[] = [];
  const views: CatalogView[] = [];
  for (const relation of relations) {
    const columns = await readColumns(client, relation.oid);
    const grants = await readGrants(client, "pg_class", relation.oid);
    if (relation.kind === "v") {
      const { name, comment } = relation;
      views.push({ name, comment, securityInvoker: relation.security_invoker, columns, grants });
    } else {
      tables.push(await readTable(client, relation, columns, grants));
    }
  }
  return {
    schema,
    migrations: await readMigrations(client),
    tables,
    views,
    functions: await readFunctions(client, schema),
  };
}

async function readTable(
  client: SqlClient,
  relation: RelationRow,
  columns: CatalogColumn[],
  grants: CatalogGrant[],
): Promise<CatalogTable> {
  // contype 'n' is the NOT NULL constraint of Postgres 18, shown in the columns already.
  const constraints = await client.query<CatalogConstraint>(
    `select conname as name, pg_get_constraintdef(oid) as definition
     from pg_catalog.pg_constraint
     where conrelid = $1 and contype <> 'n'
     order by conname collate "C"`,
    [relation.oid],
  );
  const indexes = await client.query<CatalogIndex>(
    `select c.relname as name, pg_get_indexdef(i.indexrelid) as definition
     from pg_catalog.pg_index i join pg_catalog.pg_class c on c.oid = i.indexrelid
     where i.indrelid = $1
     order by c.relname collate "C"`,
    [relation.oid],
  );
  const policies = await client.query<{ name: string }>(
    `select polname as name from pg_catalog.pg_policy where polrelid = $1
     order by polname collate "C"`,
    [relation.oid],
  );
  return {
    name: relation.name,
    comment: relation.comment,
    columns,
    constraints,
    indexes,
    rowLevelSecurity: relation.rls,
    policies: policies.map((p) => p.name),
    grants,
  };
}

async function readColumns(client: SqlClient, relationOid: number): Promise<CatalogColumn[]> {
  const rows = await client.query<{
    name: string;
    type: string;
    not_null: boolean;
    default_value: string | null;
    identity: string;
    comment: string | null;
  }>(
    `select a.attname as name, format_type(a.atttypid, a.atttypmod) as type,
       a.attnotnull as not_null, pg_get_expr(d.adbin, d.adrelid) as default_value,
       a.attidentity::text as identity, col_description(a.attrelid, a.attnum) as comment
     from pg_catalog.pg_attribute a
     left join pg_catalog.pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
     where a.attrelid = $1 and a.attnum > 0 and not a.attisdropped
     order by a.attnum`,
    [relationOid],
  );
  return rows.map((row) => ({
    name: row.name,
    type: row.type,
    notNull: row.not_null,
    defaultValue: identityDefault(row.identity) ?? row.default_value,
    comment: row.comment,
  }));
}

function identityDefault(identity: string): string | null {
  if (identity === "a") return "generated always as identity";
  if (identity === "d") return "generated by default as identity";
  return null;
}

/**
 * Reads the grants of a table, view or function from its ACL. The owner is
 * left out. A role with every privilege the owner has shows as `ALL`, so the
 * list does not depend on which privileges a Postgres version has.
 */
async function readGrants(
  client: SqlClient,
  catalog: "pg_class" | "pg_proc",
  oid: number,
): Promise<CatalogGrant[]> {
  // A null ACL means the defaults, e.g. EXECUTE for PUBLIC on a function.
  const owner = catalog === "pg_class" ? "c.relowner" : "c.proowner";
  const acl = catalog === "pg_class"
    ? "coalesce(c.relacl, acldefault('r', c.relowner))"
    : "coalesce(c.proacl, acldefault('f', c.proowner))";
  const rows = await client.query<{ role: string; privileges: string[]; owner_count: number }>(
    `with grants as (
       select a.grantee, a.privilege_type, ${owner} as owner
       from pg_catalog.${catalog} c, aclexplode(${acl}) a
       where c.oid = $1
     )
     select r.role, r.privileges, r.owner_count
     from (
       select case when g.grantee = 0 then 'PUBLIC' else pg_get_userbyid(g.grantee)::text end
           as role,
         array_agg(g.privilege_type order by g.privilege_type) as privileges,
         (select count(*)::int from grants o where o.grantee = o.owner) as owner_count
       from grants g
       where g.grantee <> g.owner
       group by g.grantee
     ) r
     order by r.role collate "C"`,
    [oid],
  );
  return rows.map((row) => ({
    role: row.role,
    privileges: row.privileges.length > 1 && row.privileges.length === row.owner_count
      ? "ALL"
      : row.privileges.join(", "),
  }));
}

async function readFunctions(client: SqlClient, schema: string): Promise<CatalogFunction[]> {
  const rows = await client.query<{
    oid: number;
    name: string;
    arguments: string;
    result: string;
    language: string;
    security_definer: boolean;
    comment: string | null;
  }>(
    `select p.oid::int as oid, p.proname as name,
       pg_get_function_arguments(p.oid) as arguments,
       pg_get_function_result(p.oid) as result, l.lanname as language,
       p.prosecdef as security_definer, obj_description(p.oid, 'pg_proc') as comment
     from pg_catalog.pg_proc p join pg_catalog.pg_language l on l.oid = p.prolang
     where p.pronamespace = $1::regnamespace and p.prokind in ('f', 'p')
     order by p.proname collate "C", pg_get_function_identity_arguments(p.oid) collate "C"`,
    [schema],
  );
  const functions: CatalogFunction[] = [];
  for (const row of rows) {
    functions.push({
      name: row.name,
      arguments: row.arguments,
      result: row.result,
      language: row.language,
      securityDefiner: row.security_definer,
      comment: row.comment,
      grants: await readGrants(client, "pg_proc", row.oid),
    });
  }
  return functions;
}

async function readMigrations(client: SqlClient): Promise<CatalogMigration[]> {
  const exists = await client.query<{ found: boolean }>(
    "select to_regclass('supabase_migrations.schema_migrations') is not null as found",
  );
  if (exists[0]?.found !== true) return [];
  return client.query<CatalogMigration>(
    `select version, coalesce(name, '') as name from supabase_migrations.schema_migrations
     order by version collate "C"`,
  );
}
