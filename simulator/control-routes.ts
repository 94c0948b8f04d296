/**
 * The simulator's control API under `/__sim/`, for a simulator started from
 * the command line: inject and clear faults, set the clock, list requests.
 * These requests are never faulted or recorded.
 *
 * @module
 */

import { z } from "zod";
import { faultRuleSchema } from "./faults.ts";
import { jsonReply, type Route, type SimReply, type SimulatorState } from "./routes.ts";

/** Path prefix of the control API. */
export const CONTROL_PREFIX = "/__sim/";

const clockBodySchema = z.union([
  z.object({ ms: z.number().int().nonnegative() }).strict(),
  z.object({ iso: z.iso.datetime({ offset: true }) }).strict(),
]);

/** Routes for `POST /__sim/fault`, `/__sim/clear`, `/__sim/clock` and `GET /__sim/requests`. */
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
  ];
}

function injectFault(state: SimulatorState, body: string): SimReply {
  const parsed = faultRuleSchema.safeParse(parseJson(body));
  if (!parsed.success) {
    return badRequest(
      "inject fault",
      parsed.error,
      'expected JSON such as {"kind":"latency","ms":2000,"endpoint":"OHLC","count":1}; ' +
        "kinds: latency, clock_offset, html, error, hang",
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
