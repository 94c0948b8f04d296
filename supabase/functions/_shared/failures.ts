/**
 * Maps an error that escaped a handler to a reply: 500 for invalid
 * configuration and for bugs, 503 when the database cannot be reached. The
 * reply has the error's message without its stack.
 *
 * @module
 */
import { ConfigError } from "../../../shared/config/config.ts";
import { SqlError } from "../../../shared/journal/sql-client.ts";
import { errorReply, type Reply } from "./responses.ts";

/** Driver codes (postgres.js, Node and Deno sockets) and SQLSTATEs of an unreachable database. */
const UNAVAILABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "53300", // too_many_connections
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now
]);

/** True when `error` shows that the database cannot be reached right now. */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof SqlError)) return false;
  const code = error.code ?? "";
  return UNAVAILABLE_CODES.has(code) || code.startsWith("08");
}

/** Builds the reply for an error; `scrub` removes secret values from the message. */
export function failureReply(error: unknown, scrub: (text: string) => string): Reply {
  const message = scrub(error instanceof Error ? error.message : String(error));
  if (error instanceof ConfigError) return errorReply(500, message);
  if (isDatabaseUnavailable(error)) {
    return errorReply(
      503,
      `The database is unavailable: ${message}. Check DATABASE_URL and the database ` +
        "status, then retry.",
    );
  }
  return errorReply(500, `Internal error: ${message}`);
}
