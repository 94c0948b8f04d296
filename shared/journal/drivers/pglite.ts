/**
 * SqlClient on PGlite, the embedded Postgres for the one-command local run and
 * for tests.
 *
 * NOTE: PGlite 0.5.16 embeds Postgres 18, while Supabase runs Postgres 15, so a
 * migration that runs here may still fail on Supabase. The test suite applies
 * every migration to a Postgres 15 cluster as well.
 *
 * @module
 */
import { PGlite, type PGliteInterface, type Transaction, types } from "@electric-sql/pglite";
import { type SqlClient, toSqlError } from "../sql-client.ts";

export { applyMigrations, type Migration } from "../migrations.ts";

type Queryable = Pick<Transaction, "query">;

/** `numeric` and `bigint` as strings, like postgres.js returns them. */
const PARSERS = {
  [types.NUMERIC]: (value: string) => value,
  [types.INT8]: (value: string) => value,
};

/** PGlite options that make its values match the conventions of SqlClient. */
export const PGLITE_OPTIONS = { parsers: PARSERS };

/**
 * Opens PGlite on `dataDir`, creating the database there when the folder is
 * empty. Without `dataDir` the database lives in memory and is gone on close.
 * Opening takes a few seconds because it starts the WebAssembly Postgres.
 */
export async function createPgliteClient(dataDir?: string): Promise<SqlClient> {
  let db: PGlite;
  try {
    db = await PGlite.create(dataDir, PGLITE_OPTIONS);
  } catch (error) {
    const where = dataDir === undefined ? "in memory" : `in ${dataDir}`;
    throw toSqlError(
      new Error(`Opening the embedded database ${where} failed: ${messageOf(error)}`),
    );
  }
  return pgliteClient(db);
}

/**
 * Wraps an open PGlite instance, for instance a `clone()` of a migrated one.
 * Created with other parsers, it returns `numeric` and `bigint` values as its
 * parsers produce them.
 */
export function pgliteClient(db: PGliteInterface): SqlClient {
  const client = wrap(db, 0);
  return {
    query: client.query,
    transaction: (fn) => db.transaction((tx) => fn(wrap(tx, 1))),
    async close() {
      if (!db.closed) await db.close();
    },
  };
}

/** Builds the client over the database (depth 0) or a transaction (depth 1 and deeper). */
function wrap(db: Queryable, depth: number): SqlClient {
  const client: SqlClient = {
    async query<T>(text: string, params: unknown[] = []): Promise<T[]> {
      try {
        const result = await db.query<T>(text, params);
        return result.rows;
      } catch (error) {
        throw toSqlError(error);
      }
    },
    async transaction<R>(fn: (tx: SqlClient) => Promise<R>): Promise<R> {
      // Only reached inside a transaction: the top level uses PGlite's own.
      const savepoint = `titan_savepoint_${depth}`;
      await client.query(`SAVEPOINT ${savepoint}`);
      try {
        const result = await fn(wrap(db, depth + 1));
        await client.query(`RELEASE SAVEPOINT ${savepoint}`);
        return result;
      } catch (error) {
        await client.query(`ROLLBACK TO SAVEPOINT ${savepoint}`);
        throw error;
      }
    },
    close() {
      return Promise.reject(
        new Error("Closing a transaction client is not allowed. Close the database instead."),
      );
    },
  };
  return client;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
