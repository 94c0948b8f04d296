/**
 * A local HTTP server that imitates Kraken's public REST API closely enough
 * for ccxt's `kraken` class to run against it unchanged. It serves candles
 * from a tape at a simulated clock and can inject faults.
 *
 * @example
 * ```ts
 * const simulator = await startSimulator({ candles, clock: Date.parse("2023-09-30T12:00:05Z") });
 * const kraken = new ccxt.kraken({
 *   urls: { api: { public: `${simulator.url}/0/public`, private: `${simulator.url}/0/private` } },
 * });
 * await simulator.close();
 * ```
 *
 * @module
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Candle } from "../shared/market/types.ts";
import { type ClockMode, SimulatedClock } from "./clock.ts";
import { controlRoutes, CONTROL_PREFIX } from "./control-routes.ts";
import { cdnErrorPage, cdnReasonPhrase } from "./error-page.ts";
import { FaultBook, type FaultRule, type RequestFaults } from "./faults.ts";
import { marketDataRoutes } from "./market-data-routes.ts";
import { findPair, SIMULATED_ASSETS, SIMULATED_PAIRS } from "./markets.ts";
import { referenceRoutes } from "./public-routes.ts";
import {
  krakenError,
  type RequestRecord,
  type Route,
  type SimReply,
  type SimRequest,
  type SimulatorState,
  UNKNOWN_METHOD,
} from "./routes.ts";
import { CandleTape } from "./tape.ts";

/** Pair that a plain candle array is served as. */
export const DEFAULT_PAIR = "XXBTZUSD";

/** Default quoted spread, in basis points of the last price. */
export const DEFAULT_SPREAD_BPS = 2;

/** Largest request body the simulator reads, in bytes. */
const MAX_BODY_BYTES = 1_000_000;

export interface SimulatorOptions {
  /** Candles for `XXBTZUSD`, or candles by Kraken pair id or altname. */
  candles: readonly Candle[] | Readonly<Record<string, readonly Candle[]>>;
  /** Simulated time at start, in ms; default 5 s after the newest candle opens. */
  clock?: number;
  /** `fixed` (default) moves only on `setClock`; `running` advances with real time. */
  clockMode?: ClockMode;
  /** Spread in basis points of the last price; default 2. */
  spreadBps?: number;
  /** Port on 127.0.0.1; default 0, any free port. */
  port?: number;
  /** Routes added to the built-in ones, for example private endpoints. */
  extraRoutes?: (state: SimulatorState) => Route[];
  /** Called for each API request as it arrives; control requests excluded. */
  onRequest?: (request: RequestRecord) => void;
  /** Receives errors a route throws; they become HTTP 500 replies. Default `console.error`. */
  onError?: (error: unknown, request: RequestRecord) => void;
  /** Real clock for a running simulated clock, in ms; default `Date.now`. */
  realNow?: () => number;
}

export interface Simulator {
  /** Base URL such as `http://127.0.0.1:40123`, without a trailing slash. */
  url: string;
  /** Moves simulated time to `timeMs` (ms since the epoch). */
  setClock(timeMs: number): void;
  /** Simulated time in ms since the epoch. */
  now(): number;
  injectFault(rule: FaultRule): void;
  clearFaults(): void;
  /** Requests to the Kraken API so far, oldest first; control requests are not listed. */
  requests: RequestRecord[];
  /** Stops the server and ends every connection, hanging ones included. */
  close(): Promise<void>;
}

/**
 * Starts the simulator on 127.0.0.1.
 *
 * @throws {Error} for a candle key that is not a simulated pair, or a
 *   negative spread; `TapeError` for candles a tape cannot replay.
 */
export async function startSimulator(options: SimulatorOptions): Promise<Simulator> {
  const state = buildState(options);
  const routes = [
    ...referenceRoutes(state),
    ...marketDataRoutes(state),
    ...controlRoutes(state),
    ...(options.extraRoutes?.(state) ?? []),
  ];
  const timers = new Set<NodeJS.Timeout>();
  const onError = options.onError ?? ((error: unknown) => console.error(error));
  const context = { state, routes, timers, onError, onRequest: options.onRequest };
  const server = createServer((request, response) => {
    handleRequest(context, request, response);
  });
  await listen(server, options.port ?? 0);

  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    setClock: (timeMs) => state.clock.set(timeMs),
    now: () => state.clock.now(),
    injectFault: (rule) => state.faults.add(rule),
    clearFaults: () => state.faults.clear(),
    requests: state.requests,
    close: () => closeServer(server, timers),
  };
}

function buildState(options: SimulatorOptions): SimulatorState {
  const spreadBps = options.spreadBps ?? DEFAULT_SPREAD_BPS;
  if (!(spreadBps >= 0)) {
    throw new RangeError(`start simulator: spreadBps ${spreadBps} is invalid; expected >= 0`);
  }
  const tapes = buildTapes(options.candles);
  const clockStart = options.clock ?? defaultClock([...tapes.values()]);
  return {
    clock: new SimulatedClock(clockStart, options.clockMode ?? "fixed", options.realNow),
    pairs: SIMULATED_PAIRS,
    assets: SIMULATED_ASSETS,
    tapes,
    spreadBps,
    faults: new FaultBook(),
    requests: [],
  };
}

function buildTapes(candles: SimulatorOptions["candles"]): Map<string, CandleTape> {
  const byName = Array.isArray(candles) ? { [DEFAULT_PAIR]: candles } : candles;
  const tapes = new Map<string, CandleTape>();
  for (const [name, rows] of Object.entries(byName as Record<string, readonly Candle[]>)) {
    const found = findPair(name, SIMULATED_PAIRS);
    if (found === undefined) {
      const known = Object.keys(SIMULATED_PAIRS).join(", ");
      throw new Error(`start simulator: pair ${name} is not simulated; expected one of ${known}`);
    }
    tapes.set(found.id, new CandleTape(rows));
  }
  return tapes;
}

/**
 * Returns the default start of the simulated clock: 5 s after the newest
 * candle of any tape opens, so the candle before it is the newest closed one.
 */
export function defaultClock(tapes: readonly CandleTape[]): number {
  const newest = Math.max(...tapes.map((tape) => tape.lastTime));
  return Number.isFinite(newest) ? newest + 5_000 : Date.now();
}

interface ServerContext {
  state: SimulatorState;
  routes: readonly Route[];
  timers: Set<NodeJS.Timeout>;
  onError: (error: unknown, request: RequestRecord) => void;
  onRequest: ((request: RequestRecord) => void) | undefined;
}

function handleRequest(
  context: ServerContext,
  request: IncomingMessage,
  response: ServerResponse,
): void {
  const url = new URL(request.url ?? "/", "http://127.0.0.1");
  const method = request.method ?? "GET";
  const record: RequestRecord = {
    method,
    path: url.pathname,
    query: url.search.slice(1),
    time: context.state.clock.now(),
  };
  const control = url.pathname.startsWith(CONTROL_PREFIX);
  if (!control) {
    context.state.requests.push(record);
    context.onRequest?.(record);
  }
  const faults: RequestFaults = control
    ? { latencyMs: 0, clockOffsetMs: 0 }
    : context.state.faults.take(endpointName(url.pathname));

  readBody(request)
    .then(async (body) => {
      await delay(faults.latencyMs, context.timers);
      if (faults.reply?.kind === "hang") return;
      const simRequest: SimRequest = {
        method,
        path: url.pathname,
        query: url.searchParams,
        body,
        headers: request.headers,
        faults,
      };
      send(response, await replyTo(context.routes, simRequest));
    })
    .catch((error: unknown) => {
      context.onError(error, record);
      send(response, { ...krakenError(["EGeneral:Internal error"]), status: 500 });
    });
}

/** Kraken method name of a path: `/0/public/OHLC` becomes `OHLC`. */
function endpointName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

async function replyTo(routes: readonly Route[], request: SimRequest): Promise<SimReply> {
  const fault = request.faults.reply;
  if (fault?.kind === "html") {
    return {
      status: fault.status,
      statusText: cdnReasonPhrase(fault.status),
      contentType: "text/html; charset=UTF-8",
      body: cdnErrorPage(fault.status),
    };
  }
  if (fault?.kind === "error") return krakenError(fault.errors);

  // Kraken replies with this error to an unknown path, and since early 2024 to a POST
  // to a public method.
  const route = routes.find((item) => item.path === request.path && item.method === request.method);
  if (route === undefined) return krakenError([UNKNOWN_METHOD]);
  return await route.handle(request);
}

function send(response: ServerResponse, reply: SimReply): void {
  if (response.destroyed || response.headersSent) return;
  const headers = {
    "Content-Type": reply.contentType,
    "Content-Length": Buffer.byteLength(reply.body),
  };
  if (reply.statusText === undefined) response.writeHead(reply.status, headers);
  else response.writeHead(reply.status, reply.statusText, headers);
  response.end(reply.body);
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on("end", () => {
      if (size > MAX_BODY_BYTES) {
        const problem = `${size} bytes is over the ${MAX_BODY_BYTES}-byte limit`;
        reject(new Error(`read request body: ${problem}; send a smaller body`));
      } else {
        resolve(Buffer.concat(chunks).toString("utf8"));
      }
    });
    request.on("error", reject);
  });
}

function delay(ms: number, timers: Set<NodeJS.Timeout>): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      resolve();
    }, ms);
    timers.add(timer);
  });
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
}

function closeServer(server: Server, timers: Set<NodeJS.Timeout>): Promise<void> {
  for (const timer of timers) clearTimeout(timer);
  timers.clear();
  return new Promise((resolve, reject) => {
    server.close((error) => (error === undefined ? resolve() : reject(error)));
    server.closeAllConnections();
  });
}
