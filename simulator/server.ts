/**
 * A local HTTP server that imitates Kraken's public and private REST API
 * closely enough for ccxt's `kraken` class to run against it unchanged. It
 * serves candles from a tape at a simulated clock, keeps a simulated
 * account whose orders fill against that tape, and can inject faults.
 *
 * @example
 * ```ts
 * const simulator = await startSimulator({ candles, clock: Date.parse("2023-09-30T12:00:05Z") });
 * const kraken = new ccxt.kraken({
 *   apiKey: simulator.credentials.apiKey,
 *   secret: simulator.credentials.apiSecret,
 *   urls: { api: { public: simulator.url, private: simulator.url } },
 * });
 * await simulator.close();
 * ```
 *
 * @module
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Candle } from "../shared/market/types.ts";
import { type BalanceInput, DEFAULT_BALANCES, Ledger } from "./account.ts";
import { type ClockMode, SimulatedClock } from "./clock.ts";
import { CONTROL_PREFIX, controlRoutes } from "./control-routes.ts";
import { cdnErrorPage, cdnReasonPhrase } from "./error-page.ts";
import { FaultBook, type FaultRule, type RequestFaults } from "./faults.ts";
import { marketDataRoutes } from "./market-data-routes.ts";
import { findPair, SIMULATED_ASSETS, SIMULATED_PAIRS } from "./markets.ts";
import { type OrderSnapshot, snapshotOrder } from "./private-order-shape.ts";
import { OrderBook } from "./private-orders.ts";
import { describePrivateRequest } from "./private-params.ts";
import { privateRoutes } from "./private-routes.ts";
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
import { type ApiCredentials, generateCredentials, PrivateAuthenticator } from "./signing.ts";
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
  /**
   * Called for each API request once its body has arrived, so private
   * requests carry their `userref` and `cl_ord_id`. Control requests are excluded.
   */
  onRequest?: (request: RequestRecord) => void;
  /** Receives errors a route throws; they become HTTP 500 replies. Default `console.error`. */
  onError?: (error: unknown, request: RequestRecord) => void;
  /** Real clock for a running simulated clock, in ms; default `Date.now`. */
  realNow?: () => number;
  /** API key private requests must carry. Pass it with `apiSecret`, or neither for a new pair. */
  apiKey?: string;
  /** API secret in base64, as Kraken issues it. Pass it with `apiKey`. */
  apiSecret?: string;
  /**
   * Starting balances by Kraken asset code, such as `{ ZUSD: "10000.0000" }`;
   * extra codes such as `XBT.F` are kept. Default `DEFAULT_BALANCES`.
   */
  balances?: BalanceInput;
  /** Leave zero balances out of `Balance` and `BalanceEx`. Default false. */
  omitZeroBalances?: boolean;
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
  /** Key and secret for private requests: the ones passed, or a generated pair. */
  credentials: ApiCredentials;
  /** Every order the account accepted, oldest first, as of the simulated clock. */
  orders(): OrderSnapshot[];
  /** Balances as `Balance` sends them, zero balances included. */
  balances(): Record<string, string>;
  /**
   * Replaces every balance.
   *
   * @throws {BalanceError} for an amount that is not a decimal >= 0 in the asset's decimals.
   */
  setBalances(balances: BalanceInput): void;
  /** Stops the server and ends every connection, hanging ones included. */
  close(): Promise<void>;
}

/**
 * Starts the simulator on 127.0.0.1.
 *
 * @throws {Error} for a candle key that is not a simulated pair, a
 *   negative spread, or only one of `apiKey` and `apiSecret`.
 * @throws {TapeError} for candles a tape cannot replay.
 * @throws {BalanceError} for invalid balances.
 */
export async function startSimulator(options: SimulatorOptions): Promise<Simulator> {
  const state = buildState(options);
  const credentials = credentialsOf(options);
  const routes = [
    ...referenceRoutes(state),
    ...marketDataRoutes(state),
    ...privateRoutes(state, new PrivateAuthenticator(credentials)),
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
  const { ledger, orders } = state.account;
  return {
    url: `http://127.0.0.1:${port}`,
    setClock: (timeMs) => {
      state.clock.set(timeMs);
      orders.advance(state.clock.now());
    },
    now: () => state.clock.now(),
    injectFault: (rule) => state.faults.add(rule),
    clearFaults: () => state.faults.clear(),
    requests: state.requests,
    credentials,
    orders: () => {
      orders.advance(state.clock.now());
      return orders.all().map(snapshotOrder);
    },
    balances: () => {
      orders.advance(state.clock.now());
      return ledger.snapshot();
    },
    setBalances: (balances) => ledger.set(balances),
    close: () => closeServer(server, timers),
  };
}

function credentialsOf(options: SimulatorOptions): ApiCredentials {
  const { apiKey, apiSecret } = options;
  if (apiKey === undefined && apiSecret === undefined) return generateCredentials();
  if (apiKey === undefined || apiSecret === undefined) {
    const missing = apiKey === undefined ? "apiKey" : "apiSecret";
    throw new Error(`start simulator: ${missing} is missing; pass apiKey and apiSecret together`);
  }
  return { apiKey, apiSecret };
}

function buildState(options: SimulatorOptions): SimulatorState {
  const spreadBps = options.spreadBps ?? DEFAULT_SPREAD_BPS;
  if (!(spreadBps >= 0)) {
    throw new RangeError(`start simulator: spreadBps ${spreadBps} is invalid; expected >= 0`);
  }
  const tapes = buildTapes(options.candles);
  const clockStart = options.clock ?? defaultClock([...tapes.values()]);
  const ledger = new Ledger(options.balances ?? DEFAULT_BALANCES, SIMULATED_ASSETS);
  return {
    clock: new SimulatedClock(clockStart, options.clockMode ?? "fixed", options.realNow),
    pairs: SIMULATED_PAIRS,
    assets: SIMULATED_ASSETS,
    tapes,
    spreadBps,
    faults: new FaultBook(),
    requests: [],
    account: {
      ledger,
      orders: new OrderBook({ tapes, spreadBps }, ledger),
      omitZeroBalances: options.omitZeroBalances ?? false,
    },
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
  if (!control) context.state.requests.push(record);
  let notified = control;
  const notify = () => {
    if (!notified) context.onRequest?.(record);
    notified = true;
  };
  const faults: RequestFaults = control
    ? { latencyMs: 0, clockOffsetMs: 0 }
    : context.state.faults.take(endpointName(url.pathname));

  readBody(request)
    .then(async (body) => {
      if (!control) {
        describePrivateRequest(record, body, headerText(request.headers["content-type"]));
      }
      notify();
      const simRequest: SimRequest = {
        method,
        path: url.pathname,
        query: url.searchParams,
        body,
        headers: request.headers,
        faults,
      };
      const reply = await replyWithFaults(context, simRequest);
      if (reply !== undefined) send(response, reply);
    })
    .catch((error: unknown) => {
      notify();
      context.onError(error, record);
      send(response, { ...krakenError(["EGeneral:Internal error"]), status: 500 });
    });
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Waits out the request's latency, brings the account up to the clock and
 * builds the reply. Returns undefined when a `hang` or `drop_reply` fault
 * means no reply is sent.
 */
async function replyWithFaults(
  context: ServerContext,
  request: SimRequest,
): Promise<SimReply | undefined> {
  const { faults } = request;
  await delay(faults.latencyMs, context.timers);
  if (faults.reply?.kind === "hang") return undefined;
  // Resting orders fill, and the dead man's switch fires, as the clock passes.
  context.state.account.orders.advance(context.state.clock.now());
  const reply = await replyTo(context.routes, request);
  // drop_reply: the request took effect, but its reply is never sent.
  return faults.reply?.kind === "drop_reply" ? undefined : reply;
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
