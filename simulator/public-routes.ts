/**
 * Kraken's public reference-data endpoints: `Time`, `Assets` and
 * `AssetPairs`. Market data (`OHLC`, `Ticker`) is in `market-data-routes.ts`.
 *
 * @module
 */

import { findPair, type KrakenAssetPair } from "./markets.ts";
import {
  INVALID_ARGUMENTS,
  krakenError,
  krakenResult,
  PUBLIC_PREFIX,
  type Route,
  type SimReply,
  type SimRequest,
  type SimulatorState,
  UNKNOWN_ASSET,
  UNKNOWN_PAIR,
} from "./routes.ts";

/** Routes for `Time`, `Assets` and `AssetPairs`. */
export function referenceRoutes(state: SimulatorState): Route[] {
  return [
    { method: "GET", path: `${PUBLIC_PREFIX}Time`, handle: (request) => time(state, request) },
    { method: "GET", path: `${PUBLIC_PREFIX}Assets`, handle: (request) => assets(state, request) },
    {
      method: "GET",
      path: `${PUBLIC_PREFIX}AssetPairs`,
      handle: (request) => assetPairs(state, request),
    },
  ];
}

function time(state: SimulatorState, request: SimRequest): SimReply {
  const reportedMs = state.clock.now() + request.faults.clockOffsetMs;
  const unixtime = Math.floor(reportedMs / 1000);
  return krakenResult({ unixtime, rfc1123: formatKrakenRfc1123(unixtime * 1000) });
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/**
 * Formats a time as Kraken's `Time` endpoint does: a two-digit year and the
 * day of the month padded with a space, as in `Wed,  1 Jan 20 10:07:20 +0000`.
 */
export function formatKrakenRfc1123(timeMs: number): string {
  const date = new Date(timeMs);
  const day = String(date.getUTCDate()).padStart(2, " ");
  const year = String(date.getUTCFullYear() % 100).padStart(2, "0");
  const clock = date.toISOString().slice(11, 19);
  const weekday = DAYS[date.getUTCDay()];
  const month = MONTHS[date.getUTCMonth()];
  return `${weekday}, ${day} ${month} ${year} ${clock} +0000`;
}

/** Splits a comma-separated query parameter; undefined when absent or empty. */
export function listParameter(request: SimRequest, name: string): string[] | undefined {
  const value = request.query.get(name);
  if (value === null || value.trim() === "") return undefined;
  return value.split(",").map((item) => item.trim());
}

function assets(state: SimulatorState, request: SimRequest): SimReply {
  const wanted = listParameter(request, "asset");
  if (wanted === undefined) return krakenResult(state.assets);

  const result: Record<string, unknown> = {};
  for (const name of wanted) {
    const upper = name.toUpperCase();
    const found = Object.entries(state.assets).find(
      ([code, asset]) => code === upper || asset.altname === upper,
    );
    if (found === undefined) return krakenError([UNKNOWN_ASSET]);
    result[found[0]] = found[1];
  }
  return krakenResult(result);
}

function assetPairs(state: SimulatorState, request: SimRequest): SimReply {
  const names = listParameter(request, "pair");
  if (names === undefined) return krakenResult(state.pairs);

  const result: Record<string, KrakenAssetPair> = {};
  for (const name of names) {
    const found = resolvePair(state, name);
    if (found === undefined) return krakenError([UNKNOWN_PAIR]);
    result[found.id] = found.pair;
  }
  return krakenResult(result);
}

/** Finds a pair of the simulator by Kraken id or altname (see `findPair`). */
export function resolvePair(
  state: SimulatorState,
  name: string,
): { id: string; pair: KrakenAssetPair } | undefined {
  return findPair(name, state.pairs);
}

/** Reads the single `pair` parameter of OHLC-like endpoints, or the error reply. */
export function singlePair(
  state: SimulatorState,
  request: SimRequest,
): { id: string; pair: KrakenAssetPair } | SimReply {
  const names = listParameter(request, "pair");
  if (names === undefined) return krakenError([INVALID_ARGUMENTS]);
  const found = names.length === 1 ? resolvePair(state, names[0] ?? "") : undefined;
  return found ?? krakenError([UNKNOWN_PAIR]);
}
