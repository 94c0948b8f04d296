/**
 * `run-cycle`: runs the trading cycle of the current slot for the requested
 * markets, in parallel, and responds with each market's outcome. pg_cron calls
 * it every 15 minutes with `Authorization: Bearer <TITAN_CRON_SECRET>`.
 *
 * Request body (JSON, optional): `{"market": "BTC/USD"}` or
 * `{"markets": ["BTC/USD", "ETH/USD"]}`, each a market of TITAN_MARKETS; no
 * body means every market. Unknown fields are rejected, so no caller can
 * choose a slot other than the current one.
 *
 * Statuses: 200 when every cycle completed, skipped, aborted or had already
 * run; 400 invalid body; 401 missing or wrong secret; 405 not POST; 413 body
 * over 16 KiB; 500 a crashed cycle, invalid configuration or a bug; 503 the
 * database is unavailable or the cycles outlived their deadline.
 *
 * @module
 */
import { z } from "zod";
import type { TitanConfig } from "../../../shared/config/config.ts";
import type { CycleResult } from "../../../shared/cycle/context.ts";
import { isoTime } from "../../../shared/time/slots.ts";
import { parseJsonBody, readBodyText } from "../_shared/body.ts";
import { failureReply } from "../_shared/failures.ts";
import {
  type Handler,
  type InvocationContext,
  type InvocationDeps,
  serveInvocation,
} from "../_shared/invocation.ts";
import { errorReply, type Reply } from "../_shared/responses.ts";

/** Largest request body accepted, in bytes. */
export const MAX_REQUEST_BYTES = 16 * 1024;

/**
 * Time past TITAN_CYCLE_DEADLINE_MS the handler waits before it responds 503.
 * The core ends its exchange calls within the deadline; this bounds a hung
 * database call, which the deadline does not cover.
 */
export const DEADLINE_GRACE_MS = 5_000;

const requestSchema = z
  .strictObject({
    market: z.string().optional(),
    markets: z.array(z.string()).min(1).max(50).optional(),
  })
  .refine((body) => body.market === undefined || body.markets === undefined, {
    message: "give market or markets, not both",
  });

type RunCycleRequest = z.infer<typeof requestSchema>;

export interface RunCycleDeps {
  invocation: InvocationDeps;
  /** The trading configuration. Throws ConfigError when it is invalid. */
  config: () => TitanConfig;
  /** Runs the current slot's cycle of `market`; throws only when the journal fails. */
  runCycle: (market: string, invocationId: string, invokedBy: string) => Promise<CycleResult>;
}

/** Creates the handler. */
export function createRunCycleHandler(deps: RunCycleDeps): Handler {
  return (request) =>
    serveInvocation(deps.invocation, request, (context) => runCycles(deps, context));
}

async function runCycles(deps: RunCycleDeps, context: InvocationContext): Promise<Reply> {
  const config = deps.config();
  const body = await readBodyText(context.request, MAX_REQUEST_BYTES);
  if (!body.ok) return body.reply;
  const parsed = parseJsonBody(body.text, requestSchema, true);
  if (!parsed.ok) return parsed.reply;
  const markets = selectMarkets(parsed.value, config.markets);
  if (!Array.isArray(markets)) return markets;

  const invokedBy = context.caller.ip ?? "unknown caller";
  const cycles = Promise.allSettled(
    markets.map((market) => deps.runCycle(market, context.invocationId, invokedBy)),
  );
  const waitMs = config.cycle.deadlineMs + DEADLINE_GRACE_MS;
  const settled = await withTimeout(cycles, waitMs);
  if (settled === null) {
    const message =
      `The cycles of ${markets.join(", ")} did not finish within ${waitMs} ms. A row still ` +
      "running in execution_logs ends when its cycle does; check it before the next slot.";
    deps.invocation.logError(`run-cycle ${context.invocationId}: ${message}`);
    return errorReply(503, message);
  }
  return summarize(deps.invocation, context, config, markets, settled);
}

/** Returns the requested markets, or a 400 reply naming the field. */
function selectMarkets(body: RunCycleRequest, allowed: readonly string[]): string[] | Reply {
  const field = body.market !== undefined ? "market" : "markets";
  const requested = body.market !== undefined ? [body.market] : body.markets ?? [...allowed];
  for (const [index, market] of requested.entries()) {
    const where = body.market !== undefined ? "body.market" : `body.markets[${index}]`;
    if (!allowed.includes(market)) {
      return errorReply(
        400,
        `Invalid request body: ${where}: unknown market ${JSON.stringify(market)}; this ` +
          `deployment trades ${allowed.join(", ")} (TITAN_MARKETS).`,
      );
    }
    if (requested.indexOf(market) !== index) {
      return errorReply(
        400,
        `Invalid request body: ${where}: ${market} is listed twice in ${field}.`,
      );
    }
  }
  return requested;
}

function summarize(
  invocation: InvocationDeps,
  context: InvocationContext,
  config: TitanConfig,
  markets: readonly string[],
  settled: PromiseSettledResult<CycleResult>[],
): Reply {
  const results: Record<string, unknown>[] = [];
  const lines: string[] = [];
  settled.forEach((entry, index) => {
    const market = markets[index]!;
    if (entry.status === "fulfilled") {
      const r = entry.value;
      results.push(resultBody(r));
      lines.push(
        [market, r.outcome, r.abortReason, r.decision].filter((part) => part !== null).join(" "),
      );
      return;
    }
    const error = invocation.scrub(
      entry.reason instanceof Error ? entry.reason.message : String(entry.reason),
    );
    invocation.logError(
      `run-cycle ${context.invocationId}: the cycle of ${market} failed: ${error}`,
    );
    results.push({ market, outcome: "error", error });
    lines.push(`${market} error: ${error}`);
  });

  const failure = settled.find((entry) => entry.status === "rejected");
  const crashed = settled.some((entry) =>
    entry.status === "fulfilled" && entry.value.outcome === "crashed"
  );
  const body: Record<string, unknown> = { mode: config.mode, results };
  let status = 200;
  if (failure) {
    const reply = failureReply(failure.reason, invocation.scrub);
    status = reply.status;
    body.error = reply.body.error;
  } else if (crashed) {
    status = 500;
    body.error = "A cycle crashed; its row and blackbox log hold the error and its stack.";
  }
  return { status, body, reason: lines.join("; ") };
}

function resultBody(result: CycleResult) {
  return {
    market: result.market,
    cycle_id: result.cycleId,
    slot: isoTime(result.slot),
    outcome: result.outcome,
    reason: result.abortReason,
    message: result.message,
    decision: result.decision,
    equity: result.equity,
    fill: result.fill,
    blackbox_path: result.blackboxPath,
    blackbox_error: result.blackboxError,
  };
}

/** Resolves with the promise's value, or null when `ms` pass first. */
async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
