/**
 * `npm run sim`: serves a candles file through the Kraken simulator on
 * 127.0.0.1 with a running clock, until SIGINT or SIGTERM.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { CandleFileError, parseCandleFile } from "../shared/market/candle-file.ts";
import { SLOT_MS } from "../shared/time/slots.ts";
import { findPair, SIMULATED_PAIRS } from "../simulator/markets.ts";
import { DEFAULT_SPREAD_BPS, startSimulator } from "../simulator/server.ts";
import { fail, usageError } from "./lib/cli.ts";

const DEFAULT_PORT = 8099;

const USAGE = `Usage: npm run sim -- --candles FILE [options]

Serves Kraken's public REST API (Time, Assets, AssetPairs, OHLC, Ticker) on
127.0.0.1 from a candles file, at a simulated clock that runs at real speed.
Point ccxt or KRAKEN_API_URL at the printed URL. Stops on Ctrl-C or SIGTERM.

Options:
  --candles FILE     candles file: a header line timestamp_ms,open,high,low,close,volume
                     then rows, or Kraken's headerless OHLCVT export
                     (unix_seconds,open,high,low,close,volume,trades); required
  --port N           TCP port on 127.0.0.1, 0 for any free port (default ${DEFAULT_PORT})
  --clock ISO        simulated time at start, e.g. 2023-06-01T12:00:05Z (default:
                     5 seconds after the last candle in the file opens, so the
                     candle before it is the newest closed one)
  --spread-bps N     bid/ask spread around the last price, in basis points of
                     the price (default ${DEFAULT_SPREAD_BPS})
  --pair ID          Kraken pair the candles belong to: ${Object.keys(SIMULATED_PAIRS).join(", ")}
                     or an altname such as XBTUSD (default XXBTZUSD)
  --log-requests     print one line per API request
  --help             show this help

Control API on the same port (JSON bodies):
  POST /__sim/fault    {"kind":"latency","ms":2000,"endpoint":"OHLC","count":1}
                       kinds: latency {ms}, clock_offset {ms}, html {status},
                       error {errors:[...]}, hang; endpoint defaults to *, and
                       without count the fault stays until cleared
  POST /__sim/clear    remove every fault
  POST /__sim/clock    {"iso":"2023-09-30T23:45:05Z"} or {"ms":1696117505000}
  GET  /__sim/clock    the simulated time
  GET  /__sim/requests the API requests received so far

Exit status: 0 after a signal, 2 for invalid options or an invalid file.`;

interface SimArguments {
  candlesPath: string;
  port: number;
  clockMs?: number;
  spreadBps: number;
  pairId: string;
  logRequests: boolean;
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
  return {
    candlesPath: values.candles,
    port,
    clockMs: values.clock === undefined ? undefined : parseClock(values.clock),
    spreadBps,
    pairId: pair.id,
    logRequests: values["log-requests"],
  };
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
  const candles = readCandles(args.candlesPath);
  const lastOpen = candles[candles.length - 1]?.time ?? 0;
  const simulator = await startSimulator({
    candles: { [args.pairId]: candles },
    clock: args.clockMs ?? lastOpen + 5_000,
    clockMode: "running",
    spreadBps: args.spreadBps,
    port: args.port,
    onRequest: args.logRequests ? logRequest : undefined,
    onError: (error, request) => {
      console.error(`${new Date().toISOString()} error serving ${request.method} ${request.path}:`);
      console.error(error);
    },
  });

  printBanner(simulator.url, args, candles.length, simulator.now());
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

function logRequest(request: { method: string; path: string; query: string; time: number }) {
  const query = request.query === "" ? "" : `?${request.query}`;
  const simulated = new Date(request.time).toISOString();
  const line = `${request.method} ${request.path}${query} at simulated ${simulated}`;
  console.log(`${new Date().toISOString()} ${line}`);
}

main().catch((error: unknown) => {
  if (usageError(error)) fail(error.message, USAGE);
  console.error(error);
  process.exit(1);
});
