/**
 * Builds the ingest-logs handler from an isolate's runtime.
 *
 * @module
 */
import type { Handler } from "../_shared/invocation.ts";
import type { Runtime } from "../_shared/runtime.ts";
import { insertEvents } from "./events.ts";
import { createIngestLogsHandler } from "./handler.ts";

export function ingestLogsHandler(runtime: Runtime): Handler {
  return createIngestLogsHandler({
    invocation: runtime.invocationDeps("ingest-logs"),
    store: runtime.store,
    insert: (source, rows, invocationId) => insertEvents(runtime.sql, source, rows, invocationId),
  });
}
