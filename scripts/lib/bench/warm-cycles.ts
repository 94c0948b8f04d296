/**
 * Runs full PAPER cycles back to back in one process and prints the CPU time
 * of each as one JSON line on standard output. `warm-cpu.ts` starts it in
 * Deno: `deno run ... warm-cycles.ts --sim URL --first-slot MS --warm-up N
 * --cycles N --home DIR`.
 *
 * The cycles run through the run-cycle function's own runtime
 * (`createRuntime`: ccxt Kraken, SQL journal, protections, file blackbox)
 * with an embedded database in memory and a ManualClock. Before each cycle
 * the clock and the simulator's clock move to 5 s after the next slot
 * opens, so no cycle finds its slot already run.
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import process from "node:process";
import { parseArgs } from "node:util";
import { runCycle } from "../../../shared/cycle/run-cycle.ts";
import { applyMigrations, createPgliteClient } from "../../../shared/journal/drivers/pglite.ts";
import { ManualClock } from "../../../shared/time/clock.ts";
import { SLOT_MS } from "../../../shared/time/slots.ts";
import { createRuntime, type Runtime } from "../../../supabase/functions/_shared/runtime.ts";
import { MIGRATIONS_DIR } from "../journal.ts";
import { loadMigrations } from "../migrations.ts";

/** Delay from a slot's opening to its cycle, like a scheduled call that arrives a little late. */
const DISPATCH_OFFSET_MS = 5_000;

/** One cycle as the harness prints it. */
export interface CycleSample {
  /** Process CPU (user plus system) during `runCycle`, in ms. */
  cpuMs: number;
  wallMs: number;
  outcome: string;
  abortReason: string | null;
  decision: string | null;
}

/** The harness's output line. */
export interface WarmCyclesReport {
  warmUp: CycleSample[];
  timed: CycleSample[];
  /** Resident memory after the last cycle, in bytes. */
  rssBytes: number;
}

function readOptions() {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      sim: { type: "string" },
      "first-slot": { type: "string" },
      "warm-up": { type: "string", default: "10" },
      cycles: { type: "string", default: "100" },
      home: { type: "string" },
    },
    strict: true,
  });
  const firstSlot = Number(values["first-slot"]);
  const warmUp = Number(values["warm-up"]);
  const cycles = Number(values.cycles);
  if (values.sim === undefined || values.home === undefined) {
    throw new Error("Missing --sim URL or --home DIR: pass both to the warm-cycle harness.");
  }
  if (!Number.isInteger(firstSlot) || firstSlot % SLOT_MS !== 0) {
    throw new Error(
      `Invalid --first-slot ${values["first-slot"]}: expected ms since the epoch at a slot start.`,
    );
  }
  if (!(Number.isInteger(warmUp) && warmUp >= 0 && Number.isInteger(cycles) && cycles >= 1)) {
    throw new Error(
      `Invalid --warm-up ${values["warm-up"]} or --cycles ${values.cycles}: expected whole ` +
        "numbers, at least 0 and 1.",
    );
  }
  return { simUrl: values.sim, home: values.home, firstSlot, warmUp, cycles };
}

/** Moves the simulator's running clock to `timeMs` through its control API. */
async function setSimulatorClock(simUrl: string, timeMs: number): Promise<void> {
  const response = await fetch(`${simUrl}/__sim/clock`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ms: timeMs }),
  });
  await response.body?.cancel();
  if (!response.ok) {
    throw new Error(`Setting the simulator clock to ${timeMs} failed: HTTP ${response.status}.`);
  }
}

async function openMigratedPglite() {
  const client = await createPgliteClient();
  await applyMigrations(client, loadMigrations(MIGRATIONS_DIR));
  return client;
}

async function timeCycle(runtime: Runtime, clock: ManualClock, slot: number, simUrl: string) {
  clock.set(slot + DISPATCH_OFFSET_MS);
  await setSimulatorClock(simUrl, slot + DISPATCH_OFFSET_MS);
  const deps = runtime.cycleDeps(randomUUID(), "bench");
  const market = deps.config.markets[0] ?? "BTC/USD";

  const cpuBefore = process.cpuUsage();
  const wallBefore = performance.now();
  const result = await runCycle(deps, { market });
  const cpu = process.cpuUsage(cpuBefore);
  const sample: CycleSample = {
    cpuMs: (cpu.user + cpu.system) / 1000,
    wallMs: performance.now() - wallBefore,
    outcome: result.outcome,
    abortReason: result.abortReason,
    decision: result.decision,
  };
  return sample;
}

async function main(): Promise<void> {
  const options = readOptions();
  const clock = new ManualClock(options.firstSlot + DISPATCH_OFFSET_MS);
  const runtime = await createRuntime({
    env: { KRAKEN_API_URL: options.simUrl, TITAN_HOME: options.home, TITAN_MARKETS: "BTC/USD" },
    clock,
    openEmbedded: openMigratedPglite,
    memoryUsage: () => process.memoryUsage(),
    logError: (message) => console.error(message),
  });
  const report: WarmCyclesReport = { warmUp: [], timed: [], rssBytes: 0 };
  try {
    for (let index = 0; index < options.warmUp + options.cycles; index++) {
      const slot = options.firstSlot + index * SLOT_MS;
      const sample = await timeCycle(runtime, clock, slot, options.simUrl);
      (index < options.warmUp ? report.warmUp : report.timed).push(sample);
    }
    report.rssBytes = process.memoryUsage().rss;
  } finally {
    await runtime.close();
  }
  console.log(JSON.stringify(report));
}

main().catch((error) => {
  console.error(error instanceof Error ? error.stack ?? error.message : String(error));
  process.exit(1);
});
