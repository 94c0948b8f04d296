/**
 * `npm run bench`: measures the backtest against a bare parse-and-average
 * pass, replay against the backtest, and the deployed run-cycle bundle: cold
 * start next to a ccxt import, memory after one cycle, warm CPU per cycle.
 * It prints a table and writes it with the machine's description to
 * docs/benchmarks.md. `npm run bench:smoke` runs a small range and only prints.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg, totalmem } from "node:os";
import { basename, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { runBacktest, type SimulatedExchange } from "../shared/backtest/engine.ts";
import { computeMetrics } from "../shared/backtest/metrics.ts";
import { createTapeQuotes } from "../shared/backtest/tape-quotes.ts";
import { loadConfig, type TitanConfig } from "../shared/config/config.ts";
import { CANDLE_FILE_HEADER, parseCandleFile } from "../shared/market/candle-file.ts";
import type { Candle } from "../shared/market/types.ts";
import { marketInfoFor } from "../simulator/historical-source.ts";
import { KRAKEN_OHLC_MAX_ROWS } from "../simulator/tape.ts";
import { fail, usageError } from "./lib/cli.ts";
import { openLocalJournal } from "./lib/journal.ts";
import {
  type BenchRow,
  formatBenchPage,
  formatBenchTable,
  type MachineInfo,
} from "./lib/report/bench-table.ts";
import { median, spread } from "./lib/bench/stats.ts";
import { measureBundle } from "./lib/report/bundle-bench.ts";
import { defaultRange, DISPATCH_DELAY_MS, replay } from "./lib/replay-run.ts";

const ROOT = resolve(import.meta.dirname, "..");
const DEFAULT_CANDLES = resolve(ROOT, "../shared/data/kraken/XBTUSD_15m_2023-01_2023-09.csv");
const DOCS_PAGE = join(ROOT, "docs/benchmarks.md");

const TARGET_CANDLES_PER_S = 1_000_000;
const TARGET_BASELINE_RATIO = 3;

const USAGE = `Usage: npm run bench -- [options]

Measures backtest throughput and its wall time against a bare pass that
parses the candles file and computes one moving average, replay's cycles per
second, and the deployed run-cycle bundle: its size, its cold start in Deno
against the simulator next to a Deno process that imports all of ccxt, its
memory after one cycle, and the CPU time of a warm cycle. Prints the table
and writes it to docs/benchmarks.md with the machine's description.

The bundle's cold starts need Postgres: a throwaway cluster started with
initdb and pg_ctl (Postgres 15 installed), or the server --postgres-url names.

Options:
  --candles FILE       candles file; the simulator serves it too (default: the
                       2023 XBT/USD file in ../shared/data)
  --runs N             timed backtest runs after two warm-up runs (default 15)
  --postgres-url URL   Postgres server on which the bench may create and drop
                       databases (default: start a throwaway cluster)
  --smoke              a small range, one cold start and 3 warm cycles, for CI;
                       prints only
  --help               show this help`;

/** Timed fresh processes per cold-start side, and warm cycles, by mode. */
const BUNDLE_RUNS = {
  full: { runs: 7, warmUp: 10, cycles: 100 },
  smoke: { runs: 1, warmUp: 1, cycles: 3 },
};

interface Timings {
  /** Candles whose close opened a slot of the range, and slots run. */
  candles: number;
  slots: number;
  /** Engine time of the first, unwarmed run, in ms. */
  coldEngineMs: number;
  /** Per timed run, in ms. */
  engineMs: number[];
  /** CPU time of the process during the engine's part of each timed run, in ms. */
  engineCpuMs: number[];
  backtestWallMs: number[];
  baselineWallMs: number[];
}

/** Parses the file and computes a 20-candle simple moving average of the close: the baseline. */
function parseAndAverage(text: string): number {
  const candles = parseCandleFile(text, "bench");
  const averages = new Float64Array(candles.length);
  let sum = 0;
  for (let index = 0; index < candles.length; index++) {
    sum += (candles[index] as Candle).close;
    if (index >= 20) sum -= (candles[index - 20] as Candle).close;
    averages[index] = sum / 20;
  }
  return averages[averages.length - 1] ?? 0;
}

function exchangeFor(candles: Candle[], config: TitanConfig): SimulatedExchange {
  const market = marketInfoFor("BTC/USD");
  const quoteAt = createTapeQuotes(candles, config.cycle.intervalMs, 2, market.priceDecimals);
  return { market, ohlcMaxRows: KRAKEN_OHLC_MAX_ROWS, quoteAt };
}

/** Backtests every slot of the candles and computes the metrics; returns wall and CPU time. */
function backtestAll(candles: Candle[], config: TitanConfig) {
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const range = defaultRange(candles, config.cycle.intervalMs);
  const exchange = exchangeFor(candles, config);
  const run = runBacktest({
    config,
    exchange,
    candles,
    fromSlot: range.from,
    toSlot: range.to,
    dispatchDelayMs: DISPATCH_DELAY_MS,
  });
  computeMetrics(run, exchange.market.minAmount);
  const cpu = process.cpuUsage(cpuBefore);
  return { run, ms: performance.now() - started, cpuMs: (cpu.user + cpu.system) / 1000 };
}

/**
 * Times the backtest in two loops. The first runs the baseline and parse
 * plus backtest alternately, so drift in the machine hits both sides of the
 * ratio. The second parses once and times the backtest alone, for the
 * throughput after parsing, without the garbage of repeated parsing.
 */
function measureBacktest(text: string, config: TitanConfig, runs: number): Timings {
  const timings: Timings = {
    candles: 0,
    slots: 0,
    coldEngineMs: 0,
    engineMs: [],
    engineCpuMs: [],
    backtestWallMs: [],
    baselineWallMs: [],
  };
  for (let index = -2; index < runs; index++) {
    let started = performance.now();
    parseAndAverage(text);
    const baselineMs = performance.now() - started;
    started = performance.now();
    const backtest = backtestAll(parseCandleFile(text, "bench"), config);
    const wallMs = performance.now() - started;
    if (index === -2) timings.coldEngineMs = backtest.ms;
    if (index < 0) continue;
    timings.baselineWallMs.push(baselineMs);
    timings.backtestWallMs.push(wallMs);
    timings.candles = backtest.run.candles;
    timings.slots = backtest.run.slots;
  }
  const candles = parseCandleFile(text, "bench");
  for (let index = 0; index < runs; index++) {
    const backtest = backtestAll(candles, config);
    timings.engineMs.push(backtest.ms);
    timings.engineCpuMs.push(backtest.cpuMs);
  }
  return timings;
}

/** Replays `slots` slots into a fresh in-memory database per run; returns cycles per second. */
async function measureReplay(candles: Candle[], config: TitanConfig, slots: number, runs: number) {
  const intervalMs = config.cycle.intervalMs;
  // Start where a full history window exists, as in the middle of a live deployment.
  const from = defaultRange(candles, intervalMs).from + config.cycle.historyCandles * intervalMs;
  const rates: number[] = [];
  for (let index = 0; index < runs; index++) {
    const { journal } = await openLocalJournal({}, null);
    try {
      const started = performance.now();
      await replay({
        config,
        market: "BTC/USD",
        candles,
        journal,
        blackbox: { put: () => Promise.resolve() },
        fromSlot: from,
        toSlot: from + (slots - 1) * intervalMs,
        spreadBps: 2,
      });
      rates.push(slots / ((performance.now() - started) / 1000));
    } finally {
      await journal.close();
    }
  }
  return median(rates);
}

function formatCount(value: number): string {
  return Math.round(value).toLocaleString("en-US");
}

function backtestRows(timings: Timings): BenchRow[] {
  const rates = timings.engineMs.map((ms) => timings.candles / (ms / 1000));
  const rate = median(rates);
  const ratios = timings.backtestWallMs.map((ms, index) =>
    ms / (timings.baselineWallMs[index] as number)
  );
  const ratio = median(timings.backtestWallMs) / median(timings.baselineWallMs);
  return [
    {
      name: "backtest throughput",
      result: `${formatCount(rate)} candles/s (runs ${spread(rates, (v) => formatCount(v))}; ` +
        `${formatCount(timings.candles)} candles in ${median(timings.engineMs).toFixed(1)} ms; ` +
        `per CPU second ${formatCount(timings.candles / (median(timings.engineCpuMs) / 1000))})`,
      target: `>= ${formatCount(TARGET_CANDLES_PER_S)} candles/s`,
      met: rate >= TARGET_CANDLES_PER_S,
    },
    {
      name: "backtest first run (unwarmed)",
      result: `${formatCount(timings.candles / (timings.coldEngineMs / 1000))} candles/s ` +
        `(${timings.coldEngineMs.toFixed(1)} ms)`,
      target: "-",
      met: null,
    },
    {
      name: "backtest wall time / parse+SMA pass",
      result: `${ratio.toFixed(2)}x (${median(timings.backtestWallMs).toFixed(1)} ms / ` +
        `${median(timings.baselineWallMs).toFixed(1)} ms; runs ${
          spread(ratios, (v) => v.toFixed(2))
        })`,
      target: `<= ${TARGET_BASELINE_RATIO}x`,
      met: ratio <= TARGET_BASELINE_RATIO,
    },
  ];
}

/** Rows of replay's speed; `cyclesPerS` is null when replay was not measured. */
function replayRows(cyclesPerS: number | null, timings: Timings): BenchRow[] {
  const skipped = "a smoke run skips replay, whose database setup alone takes seconds";
  const backtestSlotsPerS = timings.slots / (median(timings.engineMs) / 1000);
  return [
    {
      name: "replay cycles/s",
      result: cyclesPerS === null
        ? null
        : `${cyclesPerS.toFixed(1)} cycles/s (embedded database in memory)`,
      notMeasured: skipped,
      target: "-",
      met: null,
    },
    {
      name: "backtest speed / replay speed",
      result: cyclesPerS === null
        ? null
        : `${formatCount(backtestSlotsPerS / cyclesPerS)}x (slots per second)`,
      notMeasured: skipped,
      target: "-",
      met: null,
    },
  ];
}

function describeMachine(loadAverage: number): MachineInfo {
  let deno = "not found";
  try {
    const output = execFileSync(join(ROOT, "node_modules/.bin/deno"), ["--version"], {
      encoding: "utf8",
    });
    deno = output.split("\n")[0] ?? deno;
  } catch (error) {
    deno = `not found (${(error as Error).message.split("\n")[0]})`;
  }
  return {
    cpu: `${cpus()[0]?.model ?? "unknown"}`,
    cores: availableParallelism(),
    memoryGiB: totalmem() / 1024 ** 3,
    node: process.version,
    deno,
    date: new Date().toISOString(),
    loadAverage,
  };
}

/** Returns the first `limit` rows of a candles file, with its header if it has one. */
function headOf(text: string, limit: number): string {
  const lines = text.split("\n");
  const header = lines[0]?.trim() === CANDLE_FILE_HEADER ? 1 : 0;
  return lines.slice(0, header + limit).join("\n");
}

/** Describes how the figures were taken, for the Method section of the page. */
function methodNotes(candlesFile: string, runs: number, timings: Timings): string[] {
  return [
    `Candles: ${basename(candlesFile)}, ` +
    `${formatCount(timings.candles)} candles, ${formatCount(timings.slots)} slots; default ` +
    "configuration (trend strategy 20/80, 240 candles of history), BTC/USD, spread 2 bps.",
    `Backtest: ${runs} timed runs after 2 warm-up runs in one Node process (tsx); the median ` +
    "is shown with the range over runs. Throughput counts the engine and the metrics on " +
    "candles parsed once before the timed runs, in wall time; the target applies to it. " +
    "Candles per CPU second (the process's user and system time, garbage collection threads " +
    "included) shows the work without the time other processes took from the cores.",
    "Wall-time ratio: parsing the file's text (read into memory once, before timing), " +
    "backtesting and computing the metrics, divided by parsing the same text and computing " +
    "a 20-candle moving average of the close; both passes alternate in the same process.",
    "Replay: the live cycle for 200 slots after a full history window, into a fresh embedded " +
    "database (PGlite, in memory) per run, blackbox uploads discarded; median of 3 runs.",
  ];
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      candles: { type: "string", default: DEFAULT_CANDLES },
      runs: { type: "string" },
      "postgres-url": { type: "string" },
      smoke: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const runs = Number(values.runs ?? (values.smoke ? "3" : "15"));
  if (!Number.isInteger(runs) || runs < 1 || runs > 100) {
    fail(`invalid --runs ${values.runs}: expected a whole number from 1 to 100.`);
  }
  if (!existsSync(values.candles)) {
    fail(`cannot read --candles ${values.candles}: the file does not exist. Name a candles file.`);
  }
  const loadAtStart = loadavg()[0] ?? 0;
  const fullText = readFileSync(values.candles, "utf8");
  const text = values.smoke ? headOf(fullText, 3_000) : fullText;
  const config = loadConfig({});

  console.error(`measuring the backtest (${runs} runs)...`);
  const timings = measureBacktest(text, config, runs);
  let cyclesPerS: number | null = null;
  if (!values.smoke) {
    console.error("measuring replay...");
    cyclesPerS = await measureReplay(parseCandleFile(text, values.candles), config, 200, 3);
  }
  const bundle = await measureBundle({
    root: ROOT,
    candlesFile: values.candles,
    candles: parseCandleFile(fullText, values.candles),
    historyCandles: config.cycle.historyCandles,
    ...(values.smoke ? BUNDLE_RUNS.smoke : BUNDLE_RUNS.full),
    ...(values["postgres-url"] === undefined ? {} : { postgresUrl: values["postgres-url"] }),
    log: (message) => console.error(message),
  });
  const measured = [...backtestRows(timings), ...replayRows(cyclesPerS, timings), ...bundle.rows];
  // A smoke run is small and cold, so its figures are not held against the targets.
  const rows = values.smoke
    ? measured.map((row) => ({
      ...row,
      target: row.target === "-" ? row.target : `${row.target} (full run only)`,
      met: null,
    }))
    : measured;
  console.log(formatBenchTable(rows));

  if (!values.smoke) {
    writeFileSync(
      DOCS_PAGE,
      formatBenchPage(
        rows,
        describeMachine(loadAtStart),
        [...methodNotes(values.candles, runs, timings), ...bundle.method],
      ),
    );
    console.error(`written to ${DOCS_PAGE}`);
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    if (usageError(error)) fail(error.message, USAGE);
    throw error;
  },
);
