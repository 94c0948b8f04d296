/**
 * `npm run backtest`: the live PAPER cycle's strategy, sizing and fills over
 * a candles file, in memory, with the same decisions replay makes.
 *
 * The helpers below the command (`loadBacktestInput`, `simulatedExchange`)
 * are shared with `npm run sweep` and `npm run bench`.
 */
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { runBacktest, type SimulatedExchange } from "../shared/backtest/engine.ts";
import { computeMetrics } from "../shared/backtest/metrics.ts";
import {
  applyParams,
  ParamError,
  type ParamValues,
  parseParamAssignments,
} from "../shared/backtest/params.ts";
import { describeBacktest, summarizeBacktest } from "../shared/backtest/summary.ts";
import { createTapeQuotes } from "../shared/backtest/tape-quotes.ts";
import { ConfigError, loadConfig, type TitanConfig } from "../shared/config/config.ts";
import { ExchangeFailure } from "../shared/exchange/errors.ts";
import { CandleFileError } from "../shared/market/candle-file.ts";
import type { Candle, MarketInfo } from "../shared/market/types.ts";
import { marketInfoFor, symbolOf } from "../simulator/historical-source.ts";
import { SIMULATED_PAIRS } from "../simulator/markets.ts";
import { KRAKEN_OHLC_MAX_ROWS } from "../simulator/tape.ts";
import { parseSlotOption, readCandleFile } from "./lib/candle-input.ts";
import { fail, usageError } from "./lib/cli.ts";
import { localEnv } from "./lib/env.ts";
import { createProgress } from "./lib/progress.ts";
import { buildReportHtml, type ReportInput } from "./lib/report/report-html.ts";
import { defaultRange, DISPATCH_DELAY_MS } from "./lib/replay-run.ts";

const USAGE = `Usage: npm run backtest -- --candles FILE [options]

Runs the PAPER cycle's strategy, order sizing and simulated fills over every
15-minute slot of a candles file, in memory, as replay would run them, and
prints trades, fees, return, CAGR, maximum drawdown, Sharpe and Sortino
ratios, win rate, exposure, final equity and the aborts by reason.

Options:
  --candles FILE      candles file: a header line timestamp_ms,open,high,low,close,volume
                      then rows, or Kraken's headerless OHLCVT export
                      (unix_seconds,open,high,low,close,volume,trades)
  --market SYMBOL     market the candles belong to (default BTC/USD)
  --from ISO          first slot to run, e.g. 2023-03-01T00:00Z (default: the
                      slot after the first candle closes)
  --to ISO            last slot to run (default: the slot after the last candle)
  --param NAME=VALUE  set a strategy parameter (fastPeriod, slowPeriod,
                      atrPeriod, entryBand, minAtrPct, maxAtrPct) or a risk
                      parameter (entryFraction, maxOrderCost); repeatable
  --spread-bps N      bid/ask spread around the last price, in basis points
                      (default 2, as replay and the simulator)
  --report FILE.html  write a self-contained HTML report with charts
  --json              print the summary as one JSON object
  --help              show this help

Configuration (strategy, risk, gap policy, paper balances and slippage) is
read from the environment and .env, as for replay; --param overrides it.`;

/** Candles, config and range of one backtest, as the command line sets them. */
export interface BacktestInput {
  config: TitanConfig;
  market: string;
  candles: Candle[];
  fromSlot: number;
  toSlot: number;
  spreadBps: number;
}

export interface InputOptions {
  candlesFile: string;
  market: string;
  from?: string;
  to?: string;
  params?: ParamValues;
  spreadBps?: string;
}

/**
 * Reads the configuration as replay does, applies the parameters, reads the
 * candles and resolves the range. Exits with status 2 and a message for an
 * unreadable file or an invalid option; throws `ConfigError`,
 * `CandleFileError` or `ParamError` for the caller to report.
 */
export function loadBacktestInput(options: InputOptions): BacktestInput {
  const env = {
    ...localEnv(),
    TITAN_MARKETS: options.market,
    DATABASE_URL: "",
    SUPABASE_DB_URL: "",
  };
  const config = applyParams(loadConfig(env), options.params ?? {});
  const candles = readCandleFile(options.candlesFile);
  const { intervalMs } = config.cycle;
  const range = defaultRange(candles, intervalMs);
  const fromSlot = options.from ? parseSlotOption("--from", options.from, intervalMs) : range.from;
  const toSlot = options.to ? parseSlotOption("--to", options.to, intervalMs) : range.to;
  if (toSlot < fromSlot) {
    fail(`--to ${options.to} is before --from ${options.from ?? ""}; swap them.`);
  }
  const spreadBps = Number(options.spreadBps ?? "2");
  if (!(spreadBps >= 0 && spreadBps <= 1000)) {
    fail(`invalid --spread-bps ${options.spreadBps}: expected a number from 0 to 1000.`);
  }
  return { config, market: options.market, candles, fromSlot, toSlot, spreadBps };
}

/**
 * Returns replay's exchange for these candles: the simulator's market rules
 * and tape quotes. Exits with status 2 for a market the simulator lacks.
 */
export function simulatedExchange(input: BacktestInput): SimulatedExchange {
  let market: MarketInfo;
  try {
    market = marketInfoFor(input.market);
  } catch (error) {
    if (!(error instanceof ExchangeFailure)) throw error;
    const known = Object.values(SIMULATED_PAIRS).map(symbolOf).join(", ");
    fail(`invalid --market ${input.market}: no market rules for it; expected one of ${known}.`);
  }
  const { candles, config, spreadBps } = input;
  return {
    market,
    ohlcMaxRows: KRAKEN_OHLC_MAX_ROWS,
    quoteAt: createTapeQuotes(candles, config.cycle.intervalMs, spreadBps, market.priceDecimals),
  };
}

function main(): number {
  const { values } = parseArgs({
    options: {
      candles: { type: "string" },
      market: { type: "string", default: "BTC/USD" },
      from: { type: "string" },
      to: { type: "string" },
      param: { type: "string", multiple: true, default: [] },
      "spread-bps": { type: "string", default: "2" },
      report: { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!values.candles) fail("missing --candles FILE: name the candles file to backtest.", USAGE);

  const input = loadBacktestInput({
    candlesFile: values.candles,
    market: values.market,
    from: values.from,
    to: values.to,
    params: parseParamAssignments(values.param),
    spreadBps: values["spread-bps"],
  });
  const exchange = simulatedExchange(input);
  const progress = createProgress(!values.json);
  const run = runBacktest({
    config: input.config,
    exchange,
    candles: input.candles,
    fromSlot: input.fromSlot,
    toSlot: input.toSlot,
    dispatchDelayMs: DISPATCH_DELAY_MS,
    onProgress: (done, total) => progress.update(done, total),
  });
  progress.stop();

  const metrics = computeMetrics(run, exchange.market.minAmount);
  const summary = summarizeBacktest(input.market, run, metrics, input.config);
  if (values.report) writeReport(values.report, { summary, run, metrics }, values.json);
  console.log(values.json ? JSON.stringify(summary) : describeBacktest(summary));
  return 0;
}

function writeReport(file: string, input: ReportInput, quiet: boolean): void {
  const path = resolve(file);
  try {
    writeFileSync(path, buildReportHtml(input));
  } catch (error) {
    fail(`cannot write --report ${file}: ${(error as NodeJS.ErrnoException).code ?? error}.`);
  }
  if (!quiet) console.error(`report written to ${path}`);
}

/** True for the errors a user fixes by changing an option, the config or the file. */
export function isInputError(error: unknown): error is Error {
  return error instanceof ConfigError || error instanceof CandleFileError ||
    error instanceof ParamError || error instanceof ExchangeFailure || usageError(error);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  try {
    process.exitCode = main();
  } catch (error) {
    if (isInputError(error)) fail(error.message, USAGE);
    throw error;
  }
}
