/**
 * Warm CPU time per cycle: starts the simulator in its own process and the
 * warm-cycle harness (warm-cycles.ts) in Deno, which runs full cycles one
 * slot apart and prints the CPU time of each.
 *
 * @module
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Candle } from "../../../shared/market/types.ts";
import { SLOT_MS } from "../../../shared/time/slots.ts";
import { startSimulatorProcess } from "./sim-process.ts";
import type { CycleSample, WarmCyclesReport } from "./warm-cycles.ts";

const HARNESS = "scripts/lib/bench/warm-cycles.ts";
const HARNESS_TIMEOUT_MS = 10 * 60_000;

export interface WarmCpuOptions {
  root: string;
  /** The file the simulator serves, and its candles, parsed. */
  candlesFile: string;
  candles: readonly Candle[];
  /** Closed candles a cycle needs before its slot. */
  historyCandles: number;
  warmUp: number;
  cycles: number;
}

export interface WarmCpuResult {
  /** CPU time of each timed cycle, in ms. */
  cpuMs: number[];
  warmUp: number;
  /** Timed cycles by decision, such as `{ HOLD: 97, BUY: 2, SELL: 1 }`. */
  decisions: Record<string, number>;
  /** Slot of the first cycle, warm-up included, in ms since the epoch. */
  firstSlot: number;
}

/**
 * Runs the warm cycles. Throws when the candles have no gap-free stretch
 * long enough, when the harness fails, or when a timed cycle did not complete.
 */
export async function measureWarmCpu(options: WarmCpuOptions): Promise<WarmCpuResult> {
  const needed = options.historyCandles + 1 + options.warmUp + options.cycles;
  const firstSlot = firstGapFreeSlot(options.candles, needed, options.historyCandles + 1);
  if (firstSlot === null) {
    throw new Error(
      `Choosing slots for the warm cycles failed: ${options.candlesFile} has no ${needed} ` +
        "consecutive 15-minute candles without a gap. Pass a longer candles file.",
    );
  }
  const clock = new Date(firstSlot + 5_000).toISOString();
  const simulator = await startSimulatorProcess(options.root, options.candlesFile, clock);
  const home = mkdtempSync(join(tmpdir(), "titan-warm-cpu-"));
  try {
    const report = await runHarness(options, simulator.url, firstSlot, home);
    checkCompleted(report.timed);
    const decisions: Record<string, number> = {};
    for (const sample of report.timed) {
      const decision = sample.decision ?? "none";
      decisions[decision] = (decisions[decision] ?? 0) + 1;
    }
    return {
      cpuMs: report.timed.map((s) => s.cpuMs),
      warmUp: options.warmUp,
      decisions,
      firstSlot,
    };
  } finally {
    await simulator.close();
    rmSync(home, { recursive: true, force: true });
  }
}

/**
 * Returns the slot of the candle `offset` places into the first run of
 * `length` candles with no gap between them, or null when there is none.
 */
export function firstGapFreeSlot(
  candles: readonly Candle[],
  length: number,
  offset: number,
): number | null {
  let runStart = 0;
  for (let index = 0; index < candles.length; index++) {
    const previous = candles[index - 1];
    if (previous !== undefined && (candles[index] as Candle).time - previous.time !== SLOT_MS) {
      runStart = index;
    }
    if (index - runStart + 1 >= length) return (candles[runStart + offset] as Candle).time;
  }
  return null;
}

function harnessArgs(options: WarmCpuOptions, simUrl: string, firstSlot: number, home: string) {
  return [
    "run",
    "--no-prompt",
    "--allow-net=127.0.0.1",
    "--allow-env",
    "--allow-sys",
    `--allow-read=${options.root},${home}`,
    `--allow-write=${home}`,
    HARNESS,
    ...["--sim", simUrl, "--first-slot", String(firstSlot), "--home", home],
    ...["--warm-up", String(options.warmUp), "--cycles", String(options.cycles)],
  ];
}

async function runHarness(
  options: WarmCpuOptions,
  simUrl: string,
  firstSlot: number,
  home: string,
): Promise<WarmCyclesReport> {
  const child = spawn(
    join(options.root, "node_modules/.bin/deno"),
    harnessArgs(options, simUrl, firstSlot, home),
    {
      cwd: options.root,
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );

  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += String(chunk)));
  child.stderr.on("data", (chunk: Buffer) => (stderr += String(chunk)));
  // "close" comes after the output streams end, so `stdout` is complete then.
  const closed = new Promise<void>((resolveClose) => child.once("close", () => resolveClose()));
  const timer = setTimeout(() => child.kill("SIGKILL"), HARNESS_TIMEOUT_MS);
  try {
    await closed;
  } finally {
    clearTimeout(timer);
  }

  if (child.signalCode === "SIGKILL") {
    throw new Error(`The warm-cycle harness did not finish within ${HARNESS_TIMEOUT_MS} ms.`);
  }
  const line = stdout.trim().split("\n").at(-1) ?? "";
  if (child.exitCode !== 0 || !line.startsWith("{")) {
    throw new Error(
      `The warm-cycle harness failed with exit code ${child.exitCode}: ${stderr.slice(-2000)}`,
    );
  }
  return JSON.parse(line) as WarmCyclesReport;
}

function checkCompleted(samples: readonly CycleSample[]): void {
  const others = samples.filter((sample) => sample.outcome !== "completed");
  if (others.length === 0) return;
  const outcomes = others.map((s) => `${s.outcome}${s.abortReason ? ` ${s.abortReason}` : ""}`);
  throw new Error(
    `${others.length} of ${samples.length} warm cycles did not complete (` +
      `${[...new Set(outcomes)].join(", ")}), so they would not measure a full cycle.`,
  );
}
