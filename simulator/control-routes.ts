/**
 * The simulator's control API under `/__sim/`, for a simulator started from
 * the command line: inject and clear faults, set the clock, list requests,
 * inspect orders, read and set balances. These requests are never faulted
 * or recorded.
 *
 * @module
 */

import { z } from "zod";
import { BalanceError } from "./account.ts";
import { faultRuleSchema } from "./faults.ts";
import { snapshotOrder } from "./private-order-shape.ts";
import { jsonReply, type Route, type SimReply, type SimulatorState } from "./routes.ts";

/** Path prefix of the control API. */
export const CONTROL_PREFIX = "/__sim/";

const clockBodySchema = z.union([
  z.object({ ms: z.number().int().nonnegative() }).strict(),
  z.object({ iso: z.iso.datetime({ offset: true }) }).strict(),
]);

const balancesBodySchema = z.record(z.string(), z.string());

/**
 * Routes for `POST /__sim/fault`, `/__sim/clear`, `/__sim/clock`,
 * `/__sim/balances` and `GET /__sim/clock`, `/__sim/requests`,
 * `/__sim/orders`, `/__sim/balances`.
 */
export function controlRoutes(state: SimulatorState): Route[] {
  return [
    {
      method: "POST",
      path: `${CONTROL_PREFIX}fault`,
      handle: (request) => injectFault(state, request.body),
    },
    {
      method: "POST",
      path: `${CONTROL_PREFIX}clear`,
      handle: () => {
        state.faults.clear();
        return jsonReply(200, { ok: true, activeFaults: 0 });
      },
    },
    {
      method: "POST",
      path: `${CONTROL_PREFIX}clock`,
      handle: (request) => setClock(state, request.body),
    },
    { method: "GET", path: `${CONTROL_PREFIX}clock`, handle: () => clockReply(state) },
    {
      method: "GET",
      path: `${CONTROL_PREFIX}requests`,
      handle: () => jsonReply(200, state.requests),
    },
    {
      method: "GET",
      path: `${CONTROL_PREFIX}orders`,
      handle: () => jsonReply(200, state.account.orders.all().map(snapshotOrder)),
    },
    {
      method: "GET",
      path: `${CONTROL_PREFIX}balances`,
      handle: () => jsonReply(200, state.account.ledger.snapshot()),
    },
    {
      method: "POST",
      path: `${CONTROL_PREFIX}balances`,
      handle: (request) => setBalances(state, request.body),
    },
  ];
}

function setBalances(state: SimulatorState, body: string): SimReply {
  const parsed = balancesBodySchema.safeParse(parseJson(body));
  const expected = 'expected JSON such as {"ZUSD":"10000.0000","XXBT":"0.0000000000"}';
  if (!parsed.success) return badRequest("set balances", parsed.error, expected);
  try {
    state.account.ledger.set(parsed.data);
  } catch (error) {
    if (!(error instanceof BalanceError)) throw error;
    return jsonReply(400, { ok: false, error: error.message });
  }
  return jsonReply(200, { ok: true, balances: state.account.ledger.snapshot() });
}

function injectFault(state: SimulatorState, body: string): SimReply {
  const parsed = faultRuleSchema.safeParse(parseJson(body));
  if (!parsed.success) {
    return badRequest(
      "inject fault",
      parsed.error,
      'expected JSON such as {"kind":"latency","ms":2000,"endpoint":"OHLC","count":1}; ' +
        "kinds: latency, clock_offset, html, error, hang, drop_reply, partial_fill",
    );
  }
  state.faults.add(parsed.data);
  return jsonReply(200, { ok: true, activeFaults: state.faults.size });
}

function setClock(state: SimulatorState, body: string): SimReply {
  const parsed = clockBodySchema.safeParse(parseJson(body));
  if (!parsed.success) {
    return badRequest(
      "set clock",
      parsed.error,
      'expected {"iso":"2023-09-30T23:45:05Z"} or {"ms":1696117505000}',
    );
  }
  const ms = "ms" in parsed.data ? parsed.data.ms : Date.parse(parsed.data.iso);
  state.clock.set(ms);
  state.account.orders.advance(state.clock.now());
  return clockReply(state);
}

function clockReply(state: SimulatorState): SimReply {
  const ms = state.clock.now();
  return jsonReply(200, { ok: true, ms, iso: new Date(ms).toISOString(), mode: state.clock.mode });
}

/** Parses JSON, or returns the text itself so the schema reports it as invalid. */
function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}

function badRequest(action: string, error: z.ZodError, expected: string): SimReply {
  const problems = error.issues
    .map((issue) => `${issue.path.join(".") || "body"}: ${issue.message}`)
    .join("; ");
  return jsonReply(400, { ok: false, error: `${action}: invalid body (${problems}); ${expected}` });
}
