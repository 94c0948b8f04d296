/**
 * `npm run sim`: serves a candles file through the Kraken simulator on
 * 127.0.0.1 with a running clock, until SIGINT or SIGTERM. Private
 * endpoints accept the key and secret given, or a generated pair that the
 * startup banner prints once.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { slotStart } from "../shared/time/slots.ts";
import { CandleFileError, parseCandleFile } from "../shared/market/candle-file.ts";
import { SLOT_MS } from "../shared/time/slots.ts";
import { DEFAULT_BALANCES } from "../simulator/account.ts";
import { findPair, SIMULATED_PAIRS } from "../simulator/markets.ts";
import type { RequestRecord } from "../simulator/routes.ts";
import { DEFAULT_SPREAD_BPS, startSimulator } from "../simulator/server.ts";
import { isBase64Secret } from "../simulator/signing.ts";
import { fail, usageError } from "./lib/cli.ts";

const DEFAULT_PORT = 8099;

const USAGE = `Usage: npm run sim -- --candles FILE [options]

Serves Kraken's public REST API (Time, Assets, AssetPairs, OHLC, Ticker) on
127.0.0.1 from a candles file, at a simulated clock that runs at real speed,
and its private API (Balance, BalanceEx, TradeBalance, AddOrder, QueryOrders,
OpenOrders, ClosedOrders, CancelOrder, CancelAll, CancelAllOrdersAfter) for a
simulated account that starts with ${formatBalances()}.
Point ccxt or KRAKEN_API_URL at the printed URL. Stops on Ctrl-C or SIGTERM.

Options:
  --candles FILE     candles file: a header line timestamp_ms,open,high,low,close,volume
                     then rows, or Kraken's headerless OHLCVT export
                     (unix_seconds,open,high,low,close,volume,trades); required
  --port N           TCP port on 127.0.0.1, 0 for any free port (default ${DEFAULT_PORT})
  --clock ISO|now    simulated time at start, e.g. 2023-06-01T12:00:05Z (default:
                     5 seconds after the last candle in the file opens, so the
                     candle before it is the newest closed one). "now" shifts
                     every candle by whole slots so that the file's last candle
                     is the one open right now, and runs the clock from the real
                     time: a local cycle (npm run cycle) then trades on the file.
  --spread-bps N     bid/ask spread around the last price, in basis points of
                     the price (default ${DEFAULT_SPREAD_BPS})
  --pair ID          Kraken pair the candles belong to: ${Object.keys(SIMULATED_PAIRS).join(", ")}
                     or an altname such as XBTUSD (default XXBTZUSD)
  --api-key KEY      API key private requests must carry (default: generate a
                     key and secret and print both once at startup)
  --api-secret SECRET
                     API secret in base64, as Kraken issues it; required with
                     --api-key
  --log-requests     print one line per API request
  --help             show this help

Control API on the same port (JSON bodies):
  POST /__sim/fault    {"kind":"latency","ms":2000,"endpoint":"OHLC","count":1}
                       kinds: latency {ms}, clock_offset {ms}, html {status},
                       error {errors:[...]}, hang, drop_reply (the request takes
                       effect, the reply never comes), partial_fill {fraction,
                       remainder: cancel|rest} (AddOrder only); endpoint
                       defaults to *, and without count the fault stays until
                       cleared
  POST /__sim/clear    remove every fault
  POST /__sim/clock    {"iso":"2023-09-30T23:45:05Z"} or {"ms":1696117505000}
  GET  /__sim/clock    the simulated time
  GET  /__sim/requests the API requests received so far
  GET  /__sim/orders   every order the account accepted, with its fills
  GET  /__sim/balances the account's balances
  POST /__sim/balances {"ZUSD":"10000.0000","XXBT":"0.0000000000"} replaces them

Exit status: 0 after a signal, 2 for invalid options or an invalid file.`;

interface SimArguments {
  candlesPath: string;
  port: number;
  clockMs?: number;
  /** Shift the candles so that the last one is open at the real time. */
  clockNow: boolean;
  spreadBps: number;
  pairId: string;
  logRequests: boolean;
  apiKey?: string;
  apiSecret?: string;
}

function readArguments(): SimArguments | undefined {
  const { values } = parseArgs({
    options: {
      candles: { type: "string" },
      port: { type: "string", default: String(DEFAULT_PORT) },
      clock: { type: "string" },
      "spread-bps": { type: "string", default: String(DEFAULT_SPREAD_BPS) },
      pair: { type: "string", default: "XXBTZUSD" },
      "log-requests": { type: "boolean", default: false },
      "api-key": { type: "string" },
      "api-secret": { type: "string" },
      help: { type: "boolean", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return undefined;

  if (values.candles === undefined) fail("--candles FILE is missing; pass a candles file", USAGE);
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    fail(`--port ${values.port} is invalid; expected a whole number from 0 to 65535`, USAGE);
  }
  const spreadBps = Number(values["spread-bps"]);
  if (!Number.isFinite(spreadBps) || spreadBps < 0) {
    fail(`--spread-bps ${values["spread-bps"]} is invalid; expected a number >= 0`, USAGE);
  }
  const pair = findPair(values.pair);
  if (pair === undefined) {
    const known = Object.keys(SIMULATED_PAIRS).join(", ");
    fail(`--pair ${values.pair} is not simulated; expected one of ${known}`, USAGE);
  }
  checkCredentials(values["api-key"], values["api-secret"]);
  return {
    candlesPath: values.candles,
    port,
    clockMs: values.clock === undefined || values.clock === "now" ? undefined : parseClock(values.clock),
    clockNow: values.clock === "now",
    spreadBps,
    pairId: pair.id,
    logRequests: values["log-requests"],
    apiKey: values["api-key"],
    apiSecret: values["api-secret"],
  };
}

/** Checks the key and secret options. Error messages give the secret's length, never the secret. */
function checkCredentials(apiKey: string | undefined, apiSecret: string | undefined): void {
  if ((apiKey === undefined) !== (apiSecret === undefined)) {
    const missing = apiKey === undefined ? "--api-key" : "--api-secret";
    fail(`${missing} is missing; pass --api-key and --api-secret together, or neither`, USAGE);
  }
  if (apiKey !== undefined && apiKey.trim() === "") {
    fail("--api-key is empty; pass the key your client sends", USAGE);
  }
  if (apiSecret !== undefined && !isBase64Secret(apiSecret)) {
    fail(
      `--api-secret (${apiSecret.length} characters) is not base64; pass the secret ` +
        "as Kraken issues it",
      USAGE,
    );
  }
}

function formatBalances(): string {
  return Object.entries(DEFAULT_BALANCES)
    .map(([asset, amount]) => `${asset} ${amount}`)
    .join(" and ");
}

function parseClock(text: string): number {
  const ms = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || Number.isNaN(ms)) {
    fail(`--clock ${text} is invalid; expected an ISO time such as 2023-06-01T12:00:05Z`, USAGE);
  }
  return ms;
}

function readCandles(path: string) {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    fail(`read --candles ${path} failed: ${(error as Error).message}`);
  }
  try {
    return parseCandleFile(text, path);
  } catch (error) {
    if (error instanceof CandleFileError) fail(error.message);
    throw error;
  }
}

async function main(): Promise<void> {
  const args = readArguments();
  if (args === undefined) {
    console.log(USAGE);
    return;
  }
  let candles = readCandles(args.candlesPath);
  let lastOpen = candles[candles.length - 1]?.time ?? 0;
  if (args.clockNow) {
    const shift = slotStart(Date.now()) - lastOpen;
    candles = candles.map((candle) => ({ ...candle, time: candle.time + shift }));
    lastOpen += shift;
    args.clockMs = Date.now();
  }
  const simulator = await startSimulator({
    candles: { [args.pairId]: candles },
    clock: args.clockMs ?? lastOpen + 5_000,
    clockMode: "running",
    spreadBps: args.spreadBps,
    port: args.port,
    apiKey: args.apiKey,
    apiSecret: args.apiSecret,
    onRequest: args.logRequests ? logRequest : undefined,
    onError: (error, request) => {
      console.error(`${new Date().toISOString()} error serving ${request.method} ${request.path}:`);
      console.error(error);
    },
  });

  printBanner(simulator.url, args, candles.length, simulator.now());
  // The one place a secret is printed: a pair generated for this run, which no
  // other process has. A secret passed on the command line is never echoed.
  if (args.apiKey === undefined) {
    const { apiKey, apiSecret } = simulator.credentials;
    console.log(`Generated credentials: --api-key ${apiKey} --api-secret ${apiSecret}`);
  } else {
    console.log(`API key: ${args.apiKey} (secret as passed)`);
  }
  const stop = (signal: string) => {
    console.log(`${new Date().toISOString()} ${signal} received, stopping the simulator`);
    simulator.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error("close simulator failed:", error);
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", () => stop("SIGINT"));
  process.once("SIGTERM", () => stop("SIGTERM"));
}

function printBanner(url: string, args: SimArguments, rows: number, nowMs: number): void {
  const lastSlot = new Date(Math.floor(nowMs / SLOT_MS) * SLOT_MS).toISOString();
  console.log(`Kraken simulator listening on ${url}`);
  console.log(`  candles: ${args.candlesPath} (${rows} rows) as ${args.pairId}`);
  console.log(`  clock:   ${new Date(nowMs).toISOString()} (running; current slot ${lastSlot})`);
  console.log(`  spread:  ${args.spreadBps} bps`);
  console.log("ccxt config (ccxt 4.x appends /0/public and /0/private itself):");
  console.log(`  new ccxt.kraken({ urls: { api: { public: "${url}", private: "${url}" } } })`);
  console.log(`Environment for the cycle: KRAKEN_API_URL=${url}`);
}

function logRequest(request: RequestRecord) {
  const query = request.query === "" ? "" : `?${request.query}`;
  const simulated = new Date(request.time).toISOString();
  const references = [
    request.userref === undefined ? "" : ` userref=${request.userref}`,
    request.clOrdId === undefined ? "" : ` cl_ord_id=${request.clOrdId}`,
  ].join("");
  const line = `${request.method} ${request.path}${query}${references} at simulated ${simulated}`;
  console.log(`${new Date().toISOString()} ${line}`);
}

main().catch((error: unknown) => {
  if (usageError(error)) fail(error.message, USAGE);
  console.error(error);
  process.exit(1);
});
