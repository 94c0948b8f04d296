/**
 * The route table of the simulator and the reply shapes Kraken uses.
 *
 * Each endpoint is one `Route`; `startSimulator` takes extra routes, so
 * private endpoints can live in their own file.
 *
 * @module
 */

import type { SimulatedAccount } from "./account.ts";
import type { SimulatedClock } from "./clock.ts";
import type { FaultBook, RequestFaults } from "./faults.ts";
import type { KrakenAsset, KrakenAssetPair } from "./markets.ts";
import type { CandleTape } from "./tape.ts";

/** One request the simulator received, for tests and the control API. */
export interface RequestRecord {
  method: string;
  /** URL path without the query. */
  path: string;
  /** Query string without the `?`; empty when there is none. */
  query: string;
  /** Simulated time when the request arrived, in ms since the epoch. */
  time: number;
  /** Kraken method name of a private request, such as `AddOrder`. */
  endpoint?: string;
  /** `userref` parameter of a private request, as sent. */
  userref?: string;
  /** `cl_ord_id` parameter of a private request, as sent. */
  clOrdId?: string;
}

/**
 * State that routes read and change: the clock, the markets, the tapes, the
 * faults and the account behind the private endpoints.
 */
export interface SimulatorState {
  clock: SimulatedClock;
  /** Pairs by Kraken id, as `AssetPairs` lists them. */
  pairs: Readonly<Record<string, KrakenAssetPair>>;
  assets: Readonly<Record<string, KrakenAsset>>;
  /** Candle tapes by Kraken pair id; a listed pair may have none. */
  tapes: ReadonlyMap<string, CandleTape>;
  /** Quoted spread in basis points of the last price (see `CandleTape.quoteAt`). */
  spreadBps: number;
  faults: FaultBook;
  requests: RequestRecord[];
  account: SimulatedAccount;
}

/** One HTTP request, as passed to a route. */
export interface SimRequest {
  method: string;
  /** URL path without the query, for example `/0/public/OHLC`. */
  path: string;
  query: URLSearchParams;
  /** Raw request body; empty for GET. */
  body: string;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Faults that apply to this request, already counted. */
  faults: RequestFaults;
}

/** One HTTP reply. */
export interface SimReply {
  status: number;
  /** HTTP reason phrase; Node's default for the status when absent. */
  statusText?: string;
  contentType: string;
  body: string;
}

export interface Route {
  method: "GET" | "POST";
  /** Exact URL path, for example `/0/public/Time`. */
  path: string;
  handle(request: SimRequest): SimReply | Promise<SimReply>;
}

/** Path prefix of Kraken's public REST methods. */
export const PUBLIC_PREFIX = "/0/public/";

/** Kraken's reply to a path or HTTP method it does not serve. */
export const UNKNOWN_METHOD = "EGeneral:Unknown method";
/** Kraken's reply to missing or malformed parameters, an unsupported interval among them. */
export const INVALID_ARGUMENTS = "EGeneral:Invalid arguments";
export const UNKNOWN_PAIR = "EQuery:Unknown asset pair";
export const UNKNOWN_ASSET = "EQuery:Unknown asset";
/** Sent where the tape has no data for a request, for example before its first candle. */
export const SERVICE_UNAVAILABLE = "EService:Unavailable";

/** Builds a successful Kraken reply: HTTP 200 with `{"error":[],"result":...}`. */
export function krakenResult(result: unknown): SimReply {
  return jsonReply(200, { error: [], result });
}

/** Builds a Kraken error reply: HTTP 200 with `{"error":[...]}` and no result. */
export function krakenError(errors: readonly string[]): SimReply {
  return jsonReply(200, { error: errors });
}

export function jsonReply(status: number, value: unknown): SimReply {
  return { status, contentType: "application/json; charset=utf-8", body: JSON.stringify(value) };
}

/**
 * Formats a number with at least `minDecimals` decimals, as Kraken sends
 * prices and volumes. More decimals are kept when the value has them, so
 * the string parses back to the same number.
 */
export function formatDecimal(value: number, minDecimals: number): string {
  const fixed = value.toFixed(minDecimals);
  if (Number(fixed) === value) return fixed;
  for (let decimals = minDecimals + 1; decimals <= 20; decimals++) {
    const longer = value.toFixed(decimals);
    if (Number(longer) === value) return longer;
  }
  return String(value);
}
