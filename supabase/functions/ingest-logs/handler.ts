/**
 * `ingest-logs`: stores a blackbox log as `blackbox_events` rows, one per
 * line, so it can be queried in Studio. It accepts
 * `Authorization: Bearer <TITAN_CRON_SECRET>` and either the log itself as a
 * `text/plain` body or
 * `{"path": "BTCUSD/2024/01/15/BTCUSD-20240115T1215Z.log"}` as a JSON body,
 * naming an object of the blackbox bucket. Rows are keyed by `sha256:<hex>`
 * of the log's text whichever way it arrives, so ingesting a log twice, by
 * body or by path, stores nothing new; the response counts inserted and
 * already present lines.
 *
 * Statuses: 200 stored; 400 invalid body or an empty log; 401; 404 no such
 * object; 405; 413 a log over 1 MiB, with nothing stored; 415 another content
 * type; 500 and 503 as for every function.
 *
 * @module
 */
import { z } from "zod";
import { parseJsonBody, readBodyText } from "../_shared/body.ts";
import {
  BlackboxReadError,
  type BlackboxStore,
  isPlainObjectPath,
} from "../_shared/blackbox-store.ts";
import {
  type Handler,
  type InvocationContext,
  type InvocationDeps,
  serveInvocation,
} from "../_shared/invocation.ts";
import { errorReply, type Reply } from "../_shared/responses.ts";
import { type EventRow, eventRows, sha256Source } from "./events.ts";

/** Largest log accepted, as a body or as a Storage object: 1 MiB. */
export const MAX_LOG_BYTES = 1024 * 1024;

/** Largest JSON body (`{"path": ...}`) accepted, in bytes. */
const MAX_JSON_BYTES = 16 * 1024;

const pathRequestSchema = z.strictObject({
  path: z.string().refine(isPlainObjectPath, {
    message: "must be an object path of letters, digits and /_.- without . or .. segments",
  }),
});

export interface IngestLogsDeps {
  invocation: InvocationDeps;
  store: BlackboxStore;
  /** Stores the rows of `source`, skipping lines already stored; returns how many were inserted. */
  insert: (source: string, rows: readonly EventRow[], invocationId: string) => Promise<number>;
}

/** Creates the handler. */
export function createIngestLogsHandler(deps: IngestLogsDeps): Handler {
  return (request) => serveInvocation(deps.invocation, request, (context) => ingest(deps, context));
}

async function ingest(deps: IngestLogsDeps, context: InvocationContext): Promise<Reply> {
  const log = await readLog(deps, context.request);
  if ("status" in log) return log;
  if (log.text.includes("\u0000")) {
    return errorReply(400, "Invalid log: it contains NUL bytes; blackbox logs are UTF-8 text.");
  }
  const rows = eventRows(log.text);
  if (rows.length === 0) {
    return errorReply(400, "Invalid log: it is empty; send at least one line.");
  }

  const inserted = await deps.insert(log.source, rows, context.invocationId);
  const unparsed = rows.filter((row) => row.parse_error !== null).length;
  return {
    status: 200,
    body: {
      source: log.source,
      lines: rows.length,
      inserted,
      already_present: rows.length - inserted,
      unparsed,
    },
    reason: `${log.source}: ${rows.length} lines, ${inserted} inserted, ${unparsed} unparsed`,
  };
}

/** Reads the log from the body or from Storage, or returns the error reply. */
async function readLog(
  deps: IngestLogsDeps,
  request: Request,
): Promise<{ text: string; source: string } | Reply> {
  const type = (request.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type === "text/plain") {
    const body = await readBodyText(request, MAX_LOG_BYTES);
    if (!body.ok) return body.reply;
    return { text: body.text, source: await sha256Source(body.text) };
  }
  if (type === "application/json") {
    const body = await readBodyText(request, MAX_JSON_BYTES);
    if (!body.ok) return body.reply;
    const parsed = parseJsonBody(body.text, pathRequestSchema, false);
    if (!parsed.ok) return parsed.reply;
    return await download(deps.store, parsed.value.path);
  }
  return errorReply(
    415,
    `Unsupported content type ${JSON.stringify(type || "(none)")}: send the log as text/plain, ` +
      'or {"path": "<object path>"} as application/json.',
  );
}

async function download(
  store: BlackboxStore,
  path: string,
): Promise<{ text: string; source: string } | Reply> {
  try {
    const text = await store.get(path, MAX_LOG_BYTES);
    return { text, source: await sha256Source(text) };
  } catch (error) {
    if (error instanceof BlackboxReadError) {
      return errorReply(error.kind === "not_found" ? 404 : 413, error.message);
    }
    throw error;
  }
}
