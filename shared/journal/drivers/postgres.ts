/**
 * SqlClient on postgres.js, for Supabase Postgres and the test cluster.
 *
 * Prepared statements are off because production connects through Supabase's
 * transaction pooler (port 6543), which hands each transaction to any server
 * connection, so a statement prepared on one is missing on the next.
 *
 * @module
 */
import postgres from "postgres";
import { type SqlClient, SqlError, toSqlError } from "../sql-client.ts";

export interface PostgresClientOptions {
  /** Pool size. An Edge Function runs one cycle at a time, so few are needed. Default 3. */
  maxConnections?: number;
  /** Seconds to wait for a connection before failing. Default 10. */
  connectTimeoutSeconds?: number;
  /** Seconds before an idle connection closes. Default 20. */
  idleTimeoutSeconds?: number;
  /** Shown in `pg_stat_activity.application_name`. Default `titan-omni`. */
  applicationName?: string;
  /** Receives server notices (RAISE NOTICE). Default: dropped. */
  onNotice?: (message: string) => void;
}

type Sql = postgres.Sql<Record<string, never>>;

/**
 * Creates a pooled client for a `postgres://` or `postgresql://` URL. Connections
 * open on the first query. Throws SqlError when the URL is invalid. The messages of
 * this and later errors show `***` in place of the URL and of a password of three
 * or more characters.
 */
export function createPostgresClient(url: string, options: PostgresClientOptions = {}): SqlClient {
  const redact = redactor(url);
  const onNotice = options.onNotice;
  const sql: Sql = postgres(url, {
    prepare: false,
    max: options.maxConnections ?? 3,
    connect_timeout: options.connectTimeoutSeconds ?? 10,
    idle_timeout: options.idleTimeoutSeconds ?? 20,
    connection: { application_name: options.applicationName ?? "titan-omni" },
    onnotice: (notice) => onNotice?.(redact(String(notice.message ?? ""))),
  });
  let closed = false;

  const client = wrap(sql, redact, 0);
  return {
    query: client.query,
    transaction: client.transaction,
    async close() {
      if (closed) return;
      closed = true;
      await sql.end({ timeout: 5 });
    },
  };
}

/** Builds the client over the pool (depth 0) or over a transaction (depth 1 and deeper). */
function wrap(sql: Sql | postgres.TransactionSql, redact: (t: string) => string, depth: number) {
  const client: SqlClient = {
    async query<T>(text: string, params: unknown[] = []): Promise<T[]> {
      try {
        const rows = await sql.unsafe(text, params as postgres.ParameterOrJSON<never>[]);
        return [...rows] as T[];
      } catch (error) {
        throw toSqlError(error, redact);
      }
    },
    async transaction<R>(fn: (tx: SqlClient) => Promise<R>): Promise<R> {
      // Errors thrown by fn pass through unchanged; only driver errors are converted.
      let fnError: { error: unknown } | null = null;
      const run = async (inner: postgres.TransactionSql): Promise<R> => {
        try {
          return await fn(wrap(inner, redact, depth + 1));
        } catch (error) {
          fnError = { error };
          throw error;
        }
      };
      try {
        if (depth === 0) return await (sql as Sql).begin(run) as R;
        return await (sql as postgres.TransactionSql).savepoint(run) as R;
      } catch (error) {
        if (fnError !== null) throw (fnError as { error: unknown }).error;
        throw toSqlError(error, redact);
      }
    },
    close(): Promise<void> {
      return Promise.reject(
        new SqlError("Closing a transaction client is not allowed. Close the pool instead."),
      );
    },
  };
  return client;
}

/**
 * Returns a function that replaces the URL and its password with `***`.
 * Throws SqlError when the URL cannot be parsed.
 */
function redactor(url: string): (text: string) => string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new SqlError(
      "Opening the Postgres connection failed: the database URL is not a valid URL. " +
        "Expected postgres://user:password@host:port/database.",
    );
  }
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
    throw new SqlError(
      `Opening the Postgres connection failed: the database URL must start with postgres:// ` +
        `or postgresql://, got ${parsed.protocol}//.`,
    );
  }
  const secrets = [url, parsed.password, safeDecode(parsed.password)]
    .filter((s) => s.length >= 3)
    .sort((a, b) => b.length - a.length);
  return (text) => secrets.reduce((out, secret) => out.split(secret).join("***"), text);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
