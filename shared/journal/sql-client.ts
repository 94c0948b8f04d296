/**
 * The minimal SQL driver the journal needs, so that the same SQL runs on
 * Postgres (postgres.js) and on the embedded PGlite.
 *
 * Both drivers follow the same conventions: parameters are `$1`-style, `numeric`
 * and `bigint` columns come back as strings, `timestamptz` as `Date`, and
 * `json`/`jsonb` as parsed values. Pass timestamps as ISO strings and JSON as
 * text, with a cast in the SQL (`$3::timestamptz`, `$4::jsonb`).
 *
 * @module
 */

export interface SqlClient {
  /** Runs one statement and returns its rows. */
  query<T>(text: string, params?: unknown[]): Promise<T[]>;
  /**
   * Runs `fn` in a transaction: commits when it resolves, rolls back when it
   * throws. A transaction inside a transaction becomes a savepoint.
   */
  transaction<R>(fn: (tx: SqlClient) => Promise<R>): Promise<R>;
  /** Closes the connections. Further queries fail. */
  close(): Promise<void>;
}

/** Server error fields that callers branch on, copied from the driver's error. */
export interface SqlErrorFields {
  /** SQLSTATE, e.g. `23505` for a unique violation. */
  code?: string;
  detail?: string;
  hint?: string;
  constraint?: string;
}

/**
 * A failed query or connection, with the same shape from both drivers. The
 * postgres.js driver replaces the connection URL and its password with `***`.
 */
export class SqlError extends Error {
  override readonly name = "SqlError";
  readonly code: string | undefined;
  readonly detail: string | undefined;
  readonly hint: string | undefined;
  readonly constraint: string | undefined;

  constructor(message: string, fields: SqlErrorFields = {}) {
    super(message);
    this.code = fields.code;
    this.detail = fields.detail;
    this.hint = fields.hint;
    this.constraint = fields.constraint;
  }
}

/** Copies the server error fields of a driver error into a SqlError. */
export function toSqlError(error: unknown, redact: (text: string) => string = (t) => t): SqlError {
  if (error instanceof SqlError) return error;
  const fields = typeof error === "object" && error !== null
    ? error as Record<string, unknown>
    : {};
  const text = (key: string) => typeof fields[key] === "string" ? redact(fields[key]) : undefined;
  const message = error instanceof Error ? error.message : String(error);
  return new SqlError(redact(message), {
    code: text("code"),
    detail: text("detail"),
    hint: text("hint"),
    constraint: text("constraint") ?? text("constraint_name"),
  });
}
