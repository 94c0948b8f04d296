/**
 * The blackbox log line format, Python logging's
 * `%(asctime)s [%(levelname)s] %(message)s` in UTC, with the message made of
 * an event name and `key=value` fields:
 *
 *   2024-01-15 12:15:02,412 [WARNING] ABORT reason="TIMESTAMP_MISMATCH" skew_ms=3200
 *
 * Numbers, booleans and null are written bare. Strings are written bare when
 * they are plain words; otherwise (spaces, quotes, `=`, a leading digit that
 * would read back as a number, control characters) they are quoted with JSON
 * string escapes, so a stack trace stays on one line. `parseLine` in
 * parse.ts reads back exactly what `formatLine` writes.
 */

export const LOG_LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type FieldValue = string | number | boolean | null;
export type Fields = Record<string, FieldValue>;

/** One blackbox event. `event` is upper case and may contain spaces and colons. */
export interface LogEntry {
  time: number;
  level: LogLevel;
  event: string;
  fields: Fields;
}

export const FIELD_KEY = /^[a-z_][a-z0-9_]*$/;
const EVENT_NAME = /^[A-Z][A-Z0-9_:]*( [A-Z][A-Z0-9_:]*)*$/;
const BARE_STRING = /^[A-Za-z_/][A-Za-z0-9_.:/+-]*$/;
const BARE_LITERALS = new Set(["true", "false", "null"]);

/** Formats a time as `2024-01-15 12:15:01,234` in UTC. */
export function formatAsctime(timeMs: number): string {
  const iso = new Date(timeMs).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)},${iso.slice(20, 23)}`;
}

/** Formats one field value; see the module comment for the quoting rule. */
export function formatValue(value: FieldValue): string {
  if (value === null) return "null";
  if (typeof value === "boolean") return String(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return JSON.stringify(String(value));
    return String(value);
  }
  if (BARE_STRING.test(value) && !BARE_LITERALS.has(value)) return value;
  // JSON.stringify leaves U+2028 and U+2029 unescaped, and both end a line
  // for many readers, so they are escaped too.
  return JSON.stringify(value).replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

/**
 * Formats one log line without a trailing newline. Throws on an event name
 * or field key that the parser could not read back.
 */
export function formatLine(entry: LogEntry): string {
  if (!EVENT_NAME.test(entry.event)) {
    throw new Error(
      `Cannot format blackbox event ${JSON.stringify(entry.event)}: ` +
        "event names are upper-case words separated by single spaces.",
    );
  }
  const parts = [`${formatAsctime(entry.time)} [${entry.level}] ${entry.event}`];
  for (const [key, value] of Object.entries(entry.fields)) {
    if (!FIELD_KEY.test(key)) {
      throw new Error(
        `Cannot format blackbox field ${JSON.stringify(key)}: keys are lower-case ` +
          "letters, digits and underscores.",
      );
    }
    parts.push(`${key}=${formatValue(value)}`);
  }
  return parts.join(" ");
}
