/**
 * Builds the revoke handler from an isolate's runtime.
 *
 * @module
 */
import { flattenPosition } from "../../../shared/cycle/flatten.ts";
import { cancelOpenOrders } from "../../../shared/live/cancel-orders.ts";
import type { HaltMode } from "../../../shared/journal/journal.ts";
import type { SqlClient } from "../../../shared/journal/sql-client.ts";
import type { Handler } from "../_shared/invocation.ts";
import type { Runtime } from "../_shared/runtime.ts";
import { createRevokeHandler, type HaltRecord } from "./handler.ts";
import { deleteFunctionSecrets } from "./management-api.ts";

export function revokeHandler(runtime: Runtime): Handler {
  const management = runtime.settings.management;
  const live = liveOrNull(runtime);
  return createRevokeHandler({
    invocation: runtime.invocationDeps("revoke"),
    config: runtime.config,
    halt: (by, reason, mode) => halt(runtime.sql, by, reason, mode),
    ...(live === null ? {} : {
      cancelOpenOrders: () =>
        cancelOpenOrders(live.exchange, runtime.clock, runtime.config().cycle),
    }),
    flatten: (market, reason, invocationId, by) =>
      flattenPosition(runtime.cycleDeps(invocationId, by), market, reason),
    secrets: management.configured
      ? { delete: (names) => deleteFunctionSecrets(management, names) }
      : { missing: management.missing },
  });
}

/**
 * Returns the LIVE collaborators, or null in PAPER and when the
 * configuration is invalid, which the handler then reports itself.
 */
function liveOrNull(runtime: Runtime) {
  try {
    return runtime.live() ?? null;
  } catch {
    return null;
  }
}

interface HaltRow {
  action: HaltRecord["action"];
  previous_mode: HaltMode | null;
  halt_mode: HaltMode;
  halted_by: string;
  halt_reason: string;
  halted_at: Date;
}

async function halt(
  sql: SqlClient,
  by: string,
  reason: string,
  mode: HaltMode,
): Promise<HaltRecord> {
  const rows = await sql.query<HaltRow>(
    "select action, previous_mode, halt_mode, halted_by, halt_reason, halted_at " +
      "from public.titan_halt($1, $2, $3)",
    [by, reason, mode],
  );
  const row = rows[0];
  if (row === undefined) {
    throw new Error("titan_halt returned no row; check the kill switch migration.");
  }
  return {
    action: row.action,
    previousMode: row.previous_mode,
    haltMode: row.halt_mode,
    haltedBy: row.halted_by,
    haltReason: row.halt_reason,
    haltedAt: row.halted_at.getTime(),
  };
}
