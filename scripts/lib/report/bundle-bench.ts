/**
 * The bench rows of the deployed run-cycle bundle: its size, its module
 * load, its cold start to the first response next to a Deno
 * process that imports all of ccxt, its memory after that request, and the
 * CPU time of a warm cycle.
 *
 * The bundle is built from the working tree into a temporary folder first,
 * by the code behind `npm run build:functions`, so the figures describe the
 * current source. A measurement that fails becomes a row with the reason.
 *
 * @module
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Candle } from "../../../shared/market/types.ts";
import { isoTime } from "../../../shared/time/slots.ts";
import { type ColdStartResult, measureColdStarts } from "../bench/cold-start-runs.ts";
import { sampleLoads } from "../bench/module-load.ts";
import { formatMegabytes, median, percentile, spread } from "../bench/stats.ts";
import { measureWarmCpu, type WarmCpuResult } from "../bench/warm-cpu.ts";
import { bundleFunction } from "../bundle-build.ts";
import type { BenchRow } from "./bench-table.ts";

const TARGET_BUNDLE_BYTES = 2 * 1024 * 1024;
const TARGET_COLD_START_RATIO = 0.5;
const TARGET_RSS_BYTES = 100 * 1024 * 1024;
const TARGET_WARM_CPU_MS = 50;

export interface BundleBenchOptions {
  root: string;
  /** The candles file the simulator serves, and its candles, parsed. */
  candlesFile: string;
  candles: readonly Candle[];
  /** Closed candles a cycle needs before its slot (TITAN_HISTORY_CANDLES). */
  historyCandles: number;
  /** Timed fresh processes per cold-start side, and module loads. */
  runs: number;
  /** Warm cycles: untimed first, then timed. */
  warmUp: number;
  cycles: number;
  /** A Postgres server for the cold-start databases; default a throwaway cluster. */
  postgresUrl?: string;
  log: (message: string) => void;
}

export interface BundleBench {
  rows: BenchRow[];
  /** Lines for the page's Method section. */
  method: string[];
}

const ROW_NAMES = {
  size: "run-cycle bundle size",
  load: "run-cycle module load (no request)",
  coldStart: "run-cycle cold start to first response",
  ccxt: "Deno process importing all of ccxt",
  memory: "run-cycle memory after one cycle (RSS)",
  warmCpu: "run-cycle warm CPU per cycle",
} as const;

const TARGETS = {
  size: "<= 2 MB",
  coldStart: `<= ${TARGET_COLD_START_RATIO}x the ccxt import`,
  memory: "<= 100 MB",
  warmCpu: `<= ${TARGET_WARM_CPU_MS} ms over 100 cycles (p95)`,
};

function notMeasured(name: string, target: string, reason: string): BenchRow {
  return { name, result: null, notMeasured: reason, target, met: null };
}

/** First line of an error's message, for a row's reason. */
function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0] ?? message;
}

function wholeMs(value: number): string {
  return value.toFixed(0);
}

function ms(value: number): string {
  return `${wholeMs(value)} ms`;
}

function megabytes(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}

/** Builds the bundle and measures it; never throws for a failed measurement. */
export async function measureBundle(options: BundleBenchOptions): Promise<BundleBench> {
  const outDir = mkdtempSync(join(tmpdir(), "titan-bench-build-"));
  try {
    let bundle: string;
    let bytes: number;
    try {
      options.log("building the run-cycle bundle...");
      const built = await bundleFunction("run-cycle", { repoRoot: options.root, outDir });
      bundle = built.outfile;
      bytes = built.bytes;
    } catch (error) {
      const reason = `building the bundle failed: ${reasonOf(error)}`;
      return { rows: unbuiltRows(reason), method: [] };
    }
    const rows: BenchRow[] = [sizeRow(bytes), loadRow(options, bundle)];
    options.log(`measuring the bundle's cold start (${options.runs} runs)...`);
    const cold = await coldStartRows(options, bundle);
    options.log(`measuring warm cycles (${options.warmUp} + ${options.cycles})...`);
    const warm = await warmCpuRow(options);
    return {
      rows: [...rows, ...cold.rows, warm.row],
      method: [...cold.method, ...warm.method],
    };
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

function unbuiltRows(reason: string): BenchRow[] {
  return [
    notMeasured(ROW_NAMES.size, TARGETS.size, reason),
    notMeasured(ROW_NAMES.load, "-", reason),
    notMeasured(ROW_NAMES.coldStart, TARGETS.coldStart, reason),
    notMeasured(ROW_NAMES.ccxt, "-", reason),
    notMeasured(ROW_NAMES.memory, TARGETS.memory, reason),
    notMeasured(ROW_NAMES.warmCpu, TARGETS.warmCpu, reason),
  ];
}

function sizeRow(bytes: number): BenchRow {
  return {
    name: ROW_NAMES.size,
    result: `${(bytes / 1024 / 1024).toFixed(2)} MB`,
    target: TARGETS.size,
    met: bytes <= TARGET_BUNDLE_BYTES,
  };
}

function loadRow(options: BundleBenchOptions, bundle: string): BenchRow {
  try {
    const samples = sampleLoads(options.root, bundle, options.runs);
    const loadMs = median(samples.map((sample) => sample.loadMs));
    const rss = median(samples.map((sample) => sample.rssBytes));
    return {
      name: ROW_NAMES.load,
      result: `${ms(loadMs)} to load the module, RSS ${formatMegabytes(rss)} ` +
        `(median of ${samples.length})`,
      target: "-",
      met: null,
    };
  } catch (error) {
    return notMeasured(ROW_NAMES.load, "-", reasonOf(error));
  }
}

async function coldStartRows(options: BundleBenchOptions, bundle: string) {
  let result: ColdStartResult;
  try {
    result = await measureColdStarts({ ...options, bundle });
  } catch (error) {
    const reason = `the cold-start runs failed: ${reasonOf(error)}`;
    return {
      rows: [
        notMeasured(ROW_NAMES.coldStart, TARGETS.coldStart, reason),
        notMeasured(ROW_NAMES.ccxt, "-", reason),
        notMeasured(ROW_NAMES.memory, TARGETS.memory, reason),
      ],
      method: [],
    };
  }
  return { rows: coldStartFigures(result), method: coldStartMethod(options, result) };
}

function coldStartFigures(result: ColdStartResult): BenchRow[] {
  const bundleMs = median(result.bundleMs);
  const ccxtMs = median(result.ccxtMs);
  const ratio = bundleMs / ccxtMs;
  const ratios = result.bundleMs.map((value, index) => value / (result.ccxtMs[index] as number));
  const rss = median(result.rssBytes);
  const memory: BenchRow = result.rssBytes.length === 0
    ? notMeasured(ROW_NAMES.memory, TARGETS.memory, "no /proc/<pid>/status on this system")
    : {
      name: ROW_NAMES.memory,
      result: `${formatMegabytes(rss)} (runs ${spread(result.rssBytes, megabytes)} MB)`,
      target: TARGETS.memory,
      met: rss <= TARGET_RSS_BYTES,
    };
  return [
    {
      name: ROW_NAMES.coldStart,
      result: `${ms(bundleMs)} (runs ${spread(result.bundleMs, wholeMs)} ms; listening after ` +
        `${ms(median(result.listeningMs))}, cycle ${ms(median(result.cycleMs))}) = ` +
        `${ratio.toFixed(2)}x the ccxt import (runs ${
          spread(ratios, (value) => value.toFixed(2))
        })`,
      target: TARGETS.coldStart,
      met: ratio <= TARGET_COLD_START_RATIO,
    },
    {
      name: ROW_NAMES.ccxt,
      result: `${ms(ccxtMs)} (runs ${spread(result.ccxtMs, wholeMs)} ms)`,
      target: "-",
      met: null,
    },
    memory,
  ];
}

function coldStartMethod(options: BundleBenchOptions, result: ColdStartResult): string[] {
  return [
    "Bundle: dist/functions/run-cycle/index.js as `npm run build:functions` writes it, built " +
    "from the working tree into a temporary folder by the same code before measuring. Module " +
    `load: ${options.runs} Deno processes import it with \`Deno.serve\` replaced, so no port ` +
    "opens and no request runs.",
    `Cold start: ${result.bundleMs.length} fresh Deno processes per side, the two sides ` +
    "alternating, after one untimed run of each that fills the Deno cache folder both share. " +
    "The bundle runs as deployed (`deno run --no-config`, network to 127.0.0.1 only, PAPER, " +
    "blackbox files in a fresh folder); the time runs from spawning Deno to the whole response " +
    "of one POST with the cron secret, which runs a full cycle for the real current slot; " +
    '"listening" is the time to its `Listening on` line and "cycle" the cycle\'s own ' +
    "`timing.total_ms` from its execution_logs row (medians). The " +
    "simulator runs in its own process with `--clock now` (candles shifted so the open slot " +
    "has a full history), restarted when a slot passes; TITAN_MAX_SLOT_DELAY_MS is 14 minutes " +
    "and no run starts in the last minute of that window. Each run's cycle must complete.",
    `Database for the cold start: ${result.database}.`,
    "ccxt import: `deno run --allow-env scripts/lib/bench/import-ccxt.ts` from the repository " +
    "root, so deno.json resolves `ccxt` from node_modules; the time runs from spawning Deno to " +
    "the line it prints after the import (its exit is not counted). The ratio is the median " +
    "cold start over the median import; the runs range pairs each cold start with the import " +
    "before it.",
    "Memory: VmRSS of the bundle's Deno process, read by the bench from /proc/<pid>/status as " +
    "soon as the first response has arrived.",
  ];
}

async function warmCpuRow(
  options: BundleBenchOptions,
): Promise<{ row: BenchRow; method: string[] }> {
  let result: WarmCpuResult;
  try {
    result = await measureWarmCpu(options);
  } catch (error) {
    return { row: notMeasured(ROW_NAMES.warmCpu, TARGETS.warmCpu, reasonOf(error)), method: [] };
  }
  const p95 = percentile(result.cpuMs, 95);
  const decisions = Object.entries(result.decisions)
    .map(([decision, count]) => `${decision} ${count}`)
    .join(", ");
  const row: BenchRow = {
    name: ROW_NAMES.warmCpu,
    result: `median ${median(result.cpuMs).toFixed(1)} ms, p95 ${p95.toFixed(1)} ms ` +
      `(range ${spread(result.cpuMs, (value) => value.toFixed(1))} ms) over ` +
      `${result.cpuMs.length} completed cycles (${decisions})`,
    target: TARGETS.warmCpu,
    met: p95 <= TARGET_WARM_CPU_MS,
  };
  const method = [
    `Warm CPU: one Deno process (scripts/lib/bench/warm-cycles.ts) builds the run-cycle ` +
    "function's runtime (`createRuntime`: ccxt's Kraken class over HTTP, SQL journal, " +
    "protections, blackbox files) with the embedded database (PGlite, in memory, in the same " +
    "process, so its CPU time counts) and a ManualClock, and calls `runCycle` from " +
    "shared/cycle/run-cycle.ts once per slot, one slot apart, from " +
    `${isoTime(result.firstSlot)} on the candles file. The simulator runs in its own process, ` +
    "so its CPU time does not count; before each cycle both clocks move to 5 s after the slot " +
    `opens, outside the timed part. ${result.warmUp} untimed cycles come first. CPU time is ` +
    "`process.cpuUsage()` (user plus system, all threads of the process) around `runCycle`. " +
    "The harness runs the TypeScript source, which imports the whole ccxt package, not the " +
    "bundle. Every timed cycle must complete, and the target applies to the 95th percentile " +
    "(nearest rank).",
  ];
  return { row, method };
}
