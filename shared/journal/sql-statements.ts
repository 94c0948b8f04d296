/**
 * Splits a migration file into statements the way the Supabase CLI does before
 * it runs them and stores them in `supabase_migrations.schema_migrations`.
 * A statement ends at a `;` outside quotes, comments and dollar-quoted bodies.
 * Comments before a statement stay part of it. Trailing semicolons and outer
 * whitespace are removed, and empty pieces are dropped.
 *
 * NOTE: a `BEGIN ATOMIC ... END` function body is split at its inner
 * semicolons. Write SQL-standard function bodies with `AS $$ ... $$` instead.
 *
 * @module
 */

/** Splits `sql` into statements. */
export function splitStatements(sql: string): string[] {
  const pieces: string[] = [];
  let start = 0;
  let i = 0;
  while (i < sql.length) {
    if (sql[i] === ";") {
      pieces.push(sql.slice(start, i + 1));
      start = i + 1;
      i += 1;
    } else {
      i = skipToken(sql, i);
    }
  }
  pieces.push(sql.slice(start));
  return pieces.map((p) => p.replace(/;+$/u, "").trim()).filter((p) => p.length > 0);
}

/** Returns the index just after the token that starts at `i`. */
function skipToken(sql: string, i: number): number {
  const char = sql[i];
  const next = sql[i + 1];
  if (char === "-" && next === "-") return skipLineComment(sql, i);
  if (char === "/" && next === "*") return skipBlockComment(sql, i);
  if (char === "'") return skipQuoted(sql, i, "'", isEscapeString(sql, i));
  if (char === '"') return skipQuoted(sql, i, '"', false);
  if (char === "$") return skipDollarQuoted(sql, i);
  return i + 1;
}

function skipLineComment(sql: string, i: number): number {
  const end = sql.indexOf("\n", i);
  return end === -1 ? sql.length : end + 1;
}

/** Postgres block comments nest. */
function skipBlockComment(sql: string, i: number): number {
  let depth = 0;
  let j = i;
  while (j < sql.length) {
    if (sql.startsWith("/*", j)) {
      depth += 1;
      j += 2;
    } else if (sql.startsWith("*/", j)) {
      depth -= 1;
      j += 2;
      if (depth === 0) return j;
    } else {
      j += 1;
    }
  }
  return sql.length;
}

/** Skips a quoted literal or identifier. A doubled quote is an escaped quote. */
function skipQuoted(sql: string, i: number, quote: string, backslashEscapes: boolean): number {
  let j = i + 1;
  while (j < sql.length) {
    const char = sql[j];
    if (backslashEscapes && char === "\\") {
      j += 2;
    } else if (char === quote && sql[j + 1] === quote) {
      j += 2;
    } else if (char === quote) {
      return j + 1;
    } else {
      j += 1;
    }
  }
  return sql.length;
}

/** True when the quote at `i` opens an `E'...'` string, where backslash escapes apply. */
function isEscapeString(sql: string, i: number): boolean {
  const prefix = sql[i - 1];
  if (prefix !== "E" && prefix !== "e") return false;
  return !isIdentifierChar(sql[i - 2]);
}

/** Skips `$tag$ ... $tag$`; a `$` that opens no tag (a `$1` parameter) is one character. */
function skipDollarQuoted(sql: string, i: number): number {
  if (isIdentifierChar(sql[i - 1])) return i + 1;
  const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/u.exec(sql.slice(i, i + 64))?.[0];
  if (tag === undefined) return i + 1;
  const end = sql.indexOf(tag, i + tag.length);
  return end === -1 ? sql.length : end + tag.length;
}

function isIdentifierChar(char: string | undefined): boolean {
  return char !== undefined && /[A-Za-z0-9_$]/u.test(char);
}
