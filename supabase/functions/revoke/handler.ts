/**
 * `revoke`, the kill switch. One call halts trading in the database
 * (`titan_halt`). In LIVE it then cancels every open order on Kraken
 * (`CancelAll`). In `flatten` mode it sells each market's free position, as
 * PAPER fills or as LIVE market orders through the write-ahead path. Last,
 * it deletes the Kraken key secrets through the Management API when that is
 * configured.
 * It accepts only `Authorization: Bearer <TITAN_REVOKE_SECRET>`.
 *
 * Request body (JSON): `{"reason": "...", "mode": "halt" | "stop-entries" |
 * "flatten", "operator": "alice"}`; `reason` is required, `mode` defaults to
 * halt. A call while halted changes nothing unless it requests a stricter
 * mode, and its 200 response says so. No HTTP call re-arms: an operator runs
 * `titan_rearm(by, reason)` from Studio.
 *
 * Statuses: 200 halted; 400 invalid body; 401 missing or wrong secret; 405 not
 * POST; 413 body over 16 KiB; 502 halted, but a flatten sale or the secret
 * deletion failed (the body says which); 500 and 503 as for every function.
 *
 * @module
 */
import { z } from "zod";
import type { TitanConfig } from "../../../shared/config/config.ts";
import type { FlattenOutcome } from "../../../shared/cycle/flatten.ts";
import type { HaltMode } from "../../../shared/journal/journal.ts";
import { isoTime } from "../../../shared/time/slots.ts";
import { parseJsonBody, readBodyText } from "../_shared/body.ts";
import {
  type Handler,
  type InvocationContext,
  type InvocationDeps,
  serveInvocation,
} from "../_shared/invocation.ts";
import type { Reply } from "../_shared/responses.ts";

/** Largest request body accepted, in bytes. */
export const MAX_REQUEST_BYTES = 16 * 1024;

/** The function secrets that hold the Kraken key. */
export const KRAKEN_SECRET_NAMES = ["KRAKEN_API_KEY", "KRAKEN_API_SECRET"] as const;

const requestSchema = z.strictObject({
  reason: z.string().trim().min(1, "required: say why trading must stop").max(500),
  mode: z.enum(["halt", "stop-entries", "flatten"]).default("halt"),
  operator: z.string().trim().min(1).max(100).optional(),
});

/** The kill switch after a `titan_halt` call. */
export interface HaltRecord {
  action: "halted" | "escalated" | "already_halted";
  previousMode: HaltMode | null;
  haltMode: HaltMode;
  haltedBy: string;
  haltReason: string;
  haltedAt: number;
}

export type FlattenReport = FlattenOutcome | { market: string; status: "failed"; error: string };

export interface RevokeDeps {
  invocation: InvocationDeps;
  /** The trading configuration. Throws ConfigError when it is invalid. */
  config: () => TitanConfig;
  halt: (by: string, reason: string, mode: HaltMode) => Promise<HaltRecord>;
  /** Sells the PAPER position of `market`; `by` is who asked. */
  flatten: (
    market: string,
    reason: string,
    invocationId: string,
    by: string,
  ) => Promise<FlattenOutcome>;
  /** Cancels every open order on the exchange and returns how many; absent in PAPER. */
  cancelOpenOrders?: () => Promise<number>;
  /** Deletes function secrets, or names the settings missing to do so. */
  secrets: { delete: (names: readonly string[]) => Promise<void> } | { missing: string[] };
}

/** Creates the handler. */
export function createRevokeHandler(deps: RevokeDeps): Handler {
  return (request) => serveInvocation(deps.invocation, request, (context) => revoke(deps, context));
}

async function revoke(deps: RevokeDeps, context: InvocationContext): Promise<Reply> {
  const config = deps.config();
  const body = await readBodyText(context.request, MAX_REQUEST_BYTES);
  if (!body.ok) return body.reply;
  const parsed = parseJsonBody(body.text, requestSchema, true);
  if (!parsed.ok) return parsed.reply;
  const { reason, mode, operator } = parsed.value;

  const { ip, userAgent } = context.caller;
  const by = `${operator ?? "unnamed operator"} from ${ip ?? "unknown address"} ` +
    `(user agent ${userAgent ?? "none"})`;
  const halt = await deps.halt(by, reason, mode);
  const exchange = await cancelOrders(deps, context.invocationId);
  // Every flatten call sells what is left, so a call after a failed sale
  // retries it; a position already sold leaves nothing to sell.
  const flatten = mode === "flatten"
    ? await flattenAll(deps, config.markets, reason, context.invocationId, by)
    : null;
  const secrets = await deleteKeySecrets(deps);

  const failed = secrets.status === "failed" || exchange.status === "failed" ||
    (flatten ?? []).some((item) => item.status === "failed" || item.status === "crashed");
  return {
    status: failed ? 502 : 200,
    body: {
      halted: true,
      action: halt.action,
      message: haltMessage(halt),
      mode: halt.haltMode,
      halted_by: halt.haltedBy,
      halt_reason: halt.haltReason,
      halted_at: isoTime(halt.haltedAt),
      exchange: deps.cancelOpenOrders === undefined ? "not applicable in PAPER" : exchange,
      flatten: flatten?.map(flattenBody) ?? "not requested",
      kraken_secrets: secrets,
    },
    reason: `${halt.action} ${halt.haltMode}: ${reason}; secrets ${secrets.status}` +
      (failed ? "; a step failed" : ""),
  };
}

/** Cancels the open orders in LIVE. A failure is reported, and trading stays halted. */
async function cancelOrders(deps: RevokeDeps, invocationId: string) {
  if (deps.cancelOpenOrders === undefined) return { status: "not_applicable" };
  try {
    return { status: "canceled", count: await deps.cancelOpenOrders() };
  } catch (error) {
    const message = deps.invocation.scrub(error instanceof Error ? error.message : String(error));
    deps.invocation.logError(`revoke ${invocationId}: cancelling the open orders failed: ${message}`);
    return {
      status: "failed",
      error: `${message} Cancel the open orders on Kraken by hand; trading is halted.`,
    };
  }
}

function haltMessage(halt: HaltRecord): string {
  const since = `since ${isoTime(halt.haltedAt)} by ${halt.haltedBy}`;
  if (halt.action === "halted") return `Trading halted in ${halt.haltMode} mode.`;
  if (halt.action === "escalated") {
    return `Kill switch mode raised from ${halt.previousMode} to ${halt.haltMode}.`;
  }
  return `Already halted in ${halt.haltMode} mode ${since}: ${halt.haltReason}. Nothing changed; ` +
    "re-arm with titan_rearm(by, reason) from Studio.";
}

/** Sells each market's position in turn, so markets sharing a base asset do not race. */
async function flattenAll(
  deps: RevokeDeps,
  markets: readonly string[],
  reason: string,
  invocationId: string,
  by: string,
): Promise<FlattenReport[]> {
  const reports: FlattenReport[] = [];
  for (const market of markets) {
    try {
      reports.push(await deps.flatten(market, reason, invocationId, by));
    } catch (error) {
      const message = deps.invocation.scrub(error instanceof Error ? error.message : String(error));
      deps.invocation.logError(`revoke ${invocationId}: flattening ${market} failed: ${message}`);
      reports.push({ market, status: "failed", error: message });
    }
  }
  return reports;
}

/** Converts a flatten report to the snake_case keys of the other response fields. */
function flattenBody(report: FlattenReport): Record<string, unknown> {
  const { market, status } = report;
  switch (report.status) {
    case "sold":
      return {
        market,
        status,
        cycle_id: report.cycleId,
        fill: report.fill,
        blackbox_error: report.blackboxError,
      };
    case "skipped":
      return {
        market,
        status,
        cycle_id: report.cycleId,
        reason: report.reason,
        message: report.message,
      };
    case "crashed":
      return { market, status, cycle_id: report.cycleId, error: report.message };
    case "failed":
      return { market, status, error: report.error };
    default:
      return { market, status };
  }
}

async function deleteKeySecrets(deps: RevokeDeps) {
  const names = [...KRAKEN_SECRET_NAMES];
  const kraken = "Revoke the API key on Kraken as well: the secrets only stop new function " +
    "isolates from reading it, and a running isolate keeps its copy until it stops.";
  if ("missing" in deps.secrets) {
    return {
      status: "not_configured",
      names,
      message:
        `The Kraken key secrets were not deleted because ${deps.secrets.missing.join(" and ")} ` +
        `${deps.secrets.missing.length > 1 ? "are" : "is"} not set. Delete them with ` +
        `\`supabase secrets unset ${names.join(" ")}\`. ${kraken}`,
    };
  }
  try {
    await deps.secrets.delete(names);
    return { status: "deleted", names, message: kraken };
  } catch (error) {
    const message = deps.invocation.scrub(error instanceof Error ? error.message : String(error));
    deps.invocation.logError(`revoke: ${message}`);
    return {
      status: "failed",
      names,
      message: `${message} Delete them with \`supabase secrets unset ${
        names.join(" ")
      }\`. ${kraken}`,
    };
  }
}
