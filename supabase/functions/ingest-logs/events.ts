/**
 * Turns a blackbox log into `blackbox_events` rows and stores them. Every
 * line becomes a row: a line that does not parse keeps its raw text and the
 * reason in `parse_error`.
 *
 * @module
 */
import { parseLog } from "../../../shared/blackbox/parse.ts";
import type { SqlClient } from "../../../shared/journal/sql-client.ts";

export interface EventRow {
  line_no: number;
  logged_at: string | null;
  level: string | null;
  event: string | null;
  cycle_id: string | null;
  fields: Record<string, unknown> | null;
  raw: string;
  parse_error: string | null;
}

/** Parses `text` into one row per line, numbered from 1. */
export function eventRows(text: string): EventRow[] {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return parseLog(text).map((line, index) => {
    const raw = (lines[index] ?? "").replace(/\r$/, "");
    if (!line.ok) {
      return {
        line_no: index + 1,
        logged_at: null,
        level: null,
        event: null,
        cycle_id: null,
        fields: null,
        raw,
        parse_error: line.error,
      };
    }
    const cycleId = line.fields.cycle_id;
    return {
      line_no: index + 1,
      logged_at: new Date(line.time).toISOString(),
      level: line.level,
      event: line.event,
      cycle_id: typeof cycleId === "string" ? cycleId : null,
      fields: line.fields,
      raw,
      parse_error: null,
    };
  });
}

/**
 * Inserts the rows of `source` in one statement, skipping lines already
 * stored for it, and returns how many were inserted. The rows travel as JSON
 * text cast in SQL (`$3::text::jsonb`), because postgres.js would encode a
 * string parameter typed jsonb a second time.
 */
export async function insertEvents(
  sql: SqlClient,
  source: string,
  rows: readonly EventRow[],
  invocationId: string,
): Promise<number> {
  const inserted = await sql.query<{ line_no: number }>(
    `insert into public.blackbox_events
       (source, line_no, logged_at, level, event, cycle_id, fields, raw, parse_error, invocation_id)
     select $1, r.line_no, r.logged_at, r.level, r.event, r.cycle_id, r.fields, r.raw,
       r.parse_error, $2
     from jsonb_to_recordset($3::text::jsonb) as r(
       line_no integer, logged_at timestamptz, level text, event text, cycle_id text,
       fields jsonb, raw text, parse_error text
     )
     on conflict (source, line_no) do nothing
     returning line_no`,
    [source, invocationId, JSON.stringify(rows)],
  );
  return inserted.length;
}

/** Returns `sha256:<hex>` of the UTF-8 bytes of `text`. */
export async function sha256Source(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  const hex = [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join(
    "",
  );
  return `sha256:${hex}`;
}
