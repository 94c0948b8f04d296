/**
 * `npm run sweep`: backtests every combination of a parameter grid on the
 * period before a split time, ranks them there, and reports each one's
 * result on the period after it, using one child process per core.
 */
import { type ChildProcess, fork } from "node:child_process";
import { availableParallelism } from "node:os";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { runBacktest } from "../shared/backtest/engine.ts";
import { computeMetrics } from "../shared/backtest/metrics.ts";
import {
  applyParams,
  ParamError,
  type ParamValues,
  parseParamAssignments,
} from "../shared/backtest/params.ts";
import { type BacktestSummary, summarizeBacktest } from "../shared/backtest/summary.ts";
import {
  expandGrid,
  parseGrid,
  parseRankingMetric,
  type RankingMetric,
  rankResults,
  type SweepResult,
} from "../shared/backtest/sweep-grid.ts";
import { slotStart } from "../shared/time/slots.ts";
import {
  type BacktestInput,
  type InputOptions,
  isInputError,
  loadBacktestInput,
  simulatedExchange,
} from "./backtest.ts";
import { fail } from "./lib/cli.ts";
import { createProgress } from "./lib/progress.ts";
import { DISPATCH_DELAY_MS } from "./lib/replay-run.ts";
import { formatSweepTable } from "./lib/report/sweep-table.ts";

const USAGE =
  `Usage: npm run sweep -- --candles FILE --grid NAME=A,B,C [--grid ...] --split ISO [options]

Backtests every combination of the grid's strategy or risk parameters on the
slots before --split, ranks them by --metric there, and prints each
combination's metric before and after the split, so you can see whether the
best parameters hold on data they were not chosen on. Combinations the
parameter rules reject (for example fastPeriod >= slowPeriod) are listed as
skipped.

Options:
  --candles FILE      candles file, in either format replay accepts
  --grid NAME=A,B,C   values of one parameter; repeat for each parameter
  --split ISO         first slot of the out-of-sample period, e.g. 2023-07-01T00:00Z
  --metric NAME       ranking metric: sharpe (default), sortino, total_return,
                      cagr, win_rate, or max_drawdown (lower ranks higher)
  --param NAME=VALUE  a parameter fixed for every combination; repeatable
  --market SYMBOL     market the candles belong to (default BTC/USD)
  --from ISO, --to ISO  first and last slot (default: the whole file)
  --spread-bps N      bid/ask spread in basis points (default 2)
  --workers N         child processes (default: the available cores)
  --json              print the results as one JSON object
  --help              show this help`;

const WORKER_FLAG = "--sweep-worker";

interface WorkerSetup {
  input: InputOptions;
  splitSlot: number;
}

type WorkerRequest = { setup: WorkerSetup } | { id: number; params: ParamValues };
type WorkerReply =
  | { id: number; inSample: BacktestSummary; outOfSample: BacktestSummary }
  | { id: number; error: string };

/** Backtests one combination on both periods. */
function evaluate(base: BacktestInput, splitSlot: number, params: ParamValues) {
  const config = applyParams(base.config, params);
  const input = { ...base, config };
  const exchange = simulatedExchange(input);
  const period = (fromSlot: number, toSlot: number) => {
    const run = runBacktest({
      config,
      exchange,
      candles: base.candles,
      fromSlot,
      toSlot,
      dispatchDelayMs: DISPATCH_DELAY_MS,
    });
    return summarizeBacktest(
      base.market,
      run,
      computeMetrics(run, exchange.market.minAmount),
      config,
    );
  };
  return {
    inSample: period(base.fromSlot, splitSlot - config.cycle.intervalMs),
    outOfSample: period(splitSlot, base.toSlot),
  };
}

function runWorker(): void {
  let base: BacktestInput | null = null;
  let splitSlot = 0;
  process.on("message", (request: WorkerRequest) => {
    if ("setup" in request) {
      base = loadBacktestInput(request.setup.input);
      splitSlot = request.setup.splitSlot;
      return;
    }
    let reply: WorkerReply;
    try {
      if (base === null) throw new Error("The sweep worker got a task before its setup.");
      reply = { id: request.id, ...evaluate(base, splitSlot, request.params) };
    } catch (error) {
      reply = { id: request.id, error: error instanceof Error ? error.message : String(error) };
    }
    process.send?.(reply);
  });
  process.on("disconnect", () => process.exit(0));
}

/** Runs the combinations on `workers` child processes, handing out one task at a time. */
function runPool(setup: WorkerSetup, combos: ParamValues[], workers: number, onDone: () => void) {
  const script = fileURLToPath(import.meta.url);
  const results: SweepResult[] = [];
  const failures: Array<{ params: ParamValues; error: string }> = [];
  let next = 0;
  return new Promise<{ results: SweepResult[]; failures: typeof failures }>((resolve, reject) => {
    let running = 0;
    const feed = (child: ChildProcess) => {
      if (next >= combos.length) {
        child.disconnect();
        return;
      }
      const id = next++;
      child.send({ id, params: combos[id] as ParamValues } satisfies WorkerRequest);
    };
    for (let index = 0; index < workers; index++) {
      const child = fork(script, [WORKER_FLAG], { execArgv: process.execArgv });
      running++;
      child.on("message", (reply: WorkerReply) => {
        const params = combos[reply.id] as ParamValues;
        if ("error" in reply) failures.push({ params, error: reply.error });
        else results.push({ params, inSample: reply.inSample, outOfSample: reply.outOfSample });
        onDone();
        feed(child);
      });
      child.on("error", reject);
      child.on("exit", (code) => {
        if (code !== 0) reject(new Error(`A sweep worker exited with status ${code}.`));
        if (--running === 0) resolve({ results, failures });
      });
      child.send({ setup } satisfies WorkerRequest);
      feed(child);
    }
  });
}

function parseSplit(text: string | undefined, input: BacktestInput): number {
  if (!text) fail("missing --split ISO: name the first slot of the out-of-sample period.", USAGE);
  const time = Date.parse(text);
  if (Number.isNaN(time)) {
    fail(`invalid --split ${text}: expected an ISO time like 2023-07-01T00:00Z.`);
  }
  const slot = slotStart(time, input.config.cycle.intervalMs);
  if (slot <= input.fromSlot || slot > input.toSlot) {
    fail(
      `invalid --split ${text}: it must fall after the first slot ` +
        `${new Date(input.fromSlot).toISOString()} and at or before the last ` +
        `${new Date(input.toSlot).toISOString()}.`,
    );
  }
  return slot;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      candles: { type: "string" },
      grid: { type: "string", multiple: true, default: [] },
      split: { type: "string" },
      metric: { type: "string", default: "sharpe" },
      param: { type: "string", multiple: true, default: [] },
      market: { type: "string", default: "BTC/USD" },
      from: { type: "string" },
      to: { type: "string" },
      "spread-bps": { type: "string", default: "2" },
      workers: { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!values.candles) fail("missing --candles FILE: name the candles file to sweep over.", USAGE);
  const metric: RankingMetric = parseRankingMetric(values.metric);
  const fixed = parseParamAssignments(values.param);
  const axes = parseGrid(values.grid);
  const inputOptions: InputOptions = {
    candlesFile: values.candles,
    market: values.market,
    from: values.from,
    to: values.to,
    spreadBps: values["spread-bps"],
  };
  const input = loadBacktestInput(inputOptions);
  const splitSlot = parseSplit(values.split, input);
  const combos = expandGrid(axes).map((combo) => ({ ...fixed, ...combo }));
  const { valid, skipped } = partitionCombinations(input, combos);

  const workers = parseWorkers(values.workers, valid.length);
  const progress = createProgress(!values.json);
  let done = 0;
  const { results, failures } = workers === 0
    ? { results: [], failures: [] }
    : await runPool({ input: inputOptions, splitSlot }, valid, workers, () => {
      progress.update(++done, valid.length);
    });
  progress.stop();
  const ranked = rankResults(results, metric);
  const split = new Date(splitSlot).toISOString();
  if (values.json) {
    console.log(JSON.stringify({ metric, split, workers, results: ranked, skipped, failures }));
  } else {
    console.log(formatSweepTable({ metric, split, ranked, skipped, failures }));
  }
  return failures.length > 0 ? 1 : 0;
}

/** Splits combinations into those the parameter rules accept and those they reject. */
function partitionCombinations(input: BacktestInput, combos: ParamValues[]) {
  const valid: ParamValues[] = [];
  const skipped: Array<{ params: ParamValues; reason: string }> = [];
  for (const params of combos) {
    try {
      applyParams(input.config, params);
      valid.push(params);
    } catch (error) {
      if (!(error instanceof ParamError)) throw error;
      skipped.push({ params, reason: error.message });
    }
  }
  return { valid, skipped };
}

/** Returns the worker count: --workers, else the available cores, never more than the tasks. */
function parseWorkers(text: string | undefined, tasks: number): number {
  const requested = text === undefined ? availableParallelism() : Number(text);
  if (!Number.isInteger(requested) || requested < 1 || requested > 256) {
    fail(`invalid --workers ${text}: expected a whole number from 1 to 256.`);
  }
  return Math.min(requested, tasks);
}

if (process.argv.includes(WORKER_FLAG)) {
  runWorker();
} else if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      if (isInputError(error)) fail(error.message, USAGE);
      throw error;
    },
  );
}
