/**
 * Cold starts of the run-cycle bundle against the simulator, side by side
 * with a Deno process that imports all of ccxt, in alternating fresh
 * processes, so drift in the machine's load hits both sides.
 *
 * Each bundle run gets a fresh migrated database and a fresh TITAN_HOME, so
 * its cycle for the real current slot is never one that already ran. The
 * simulator runs in its own process with `--clock now`: the candles are
 * shifted so the slot open now has a full history.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { SLOT_MS, slotStart } from "../../../shared/time/slots.ts";
import { openBenchDatabases } from "./bench-postgres.ts";
import {
  type BundleRun,
  MAX_SLOT_DELAY_MS,
  recordedCycleMs,
  sampleBundle,
  sampleCcxtImport,
} from "./cold-start.ts";
import { type SimulatorProcess, startSimulatorProcess } from "./sim-process.ts";

/** A run starts only while at least this much of the allowed slot delay is left. */
const SLOT_MARGIN_MS = 60_000;
/** Wait after a slot opens before a run, so the simulator's open candle exists. */
const SLOT_SETTLE_MS = 2_000;

export interface ColdStartOptions {
  root: string;
  /** Path of the bundle, `<out>/run-cycle/index.js`. */
  bundle: string;
  candlesFile: string;
  /** Timed runs of each side, after one untimed run of each. */
  runs: number;
  /** A Postgres server to create the databases on; default a throwaway cluster. */
  postgresUrl?: string;
  /** Progress messages. */
  log: (message: string) => void;
}

export interface ColdStartResult {
  /** Per timed run, in ms: spawn to the first response. */
  bundleMs: number[];
  /** Per timed run, in ms: spawn to the bundle's "Listening on" line. */
  listeningMs: number[];
  /** Per timed run, in ms: the cycle's own total from its execution_logs row. */
  cycleMs: number[];
  /** Per timed run, in ms: spawn to the line printed after importing ccxt. */
  ccxtMs: number[];
  /** VmRSS after the first response, per timed run; empty without /proc. */
  rssBytes: number[];
  /** Description of the database server. */
  database: string;
}

interface SlotSimulator {
  slot: number;
  process: SimulatorProcess;
}

/** Runs the cold starts. Throws when a run fails, with the reason. */
export async function measureColdStarts(options: ColdStartOptions): Promise<ColdStartResult> {
  const scratch = mkdtempSync(join(tmpdir(), "titan-cold-start-"));
  const databases = await openBenchDatabases(options.postgresUrl);
  const setup = {
    deno: join(options.root, "node_modules/.bin/deno"),
    denoDir: join(scratch, "deno"),
  };
  // Fresh secrets per bench run; they never leave this process and the child's environment.
  const secrets = {
    cronSecret: randomBytes(24).toString("hex"),
    revokeSecret: randomBytes(24).toString("hex"),
  };
  let simulator: SlotSimulator | null = null;
  const result: ColdStartResult = {
    bundleMs: [],
    listeningMs: [],
    cycleMs: [],
    ccxtMs: [],
    rssBytes: [],
    database: databases.description,
  };
  try {
    for (let index = -1; index < options.runs; index++) {
      const ccxtMs = await sampleCcxtImport(setup, options.root);
      simulator = await simulatorForNow(simulator, options);
      const run: BundleRun = {
        ...setup,
        ...secrets,
        bundle: options.bundle,
        home: mkdtempSync(join(scratch, "home-")),
        simUrl: simulator.process.url,
        databaseUrl: await databases.createDatabase(),
      };
      const sample = await sampleBundle(run);
      const cycleMs = await recordedCycleMs(run.databaseUrl);
      rmSync(run.home, { recursive: true, force: true });
      // Run -1 fills Deno's compiled-code cache for both sides and is not counted.
      if (index < 0) continue;
      result.ccxtMs.push(ccxtMs);
      result.bundleMs.push(sample.firstResponseMs);
      result.listeningMs.push(sample.listeningMs);
      result.cycleMs.push(cycleMs);
      if (sample.rssBytes !== null) result.rssBytes.push(sample.rssBytes);
    }
  } finally {
    await simulator?.process.close();
    await databases.close();
    rmSync(scratch, { recursive: true, force: true });
  }
  return result;
}

/**
 * Returns a simulator whose open candle is the current slot's, restarting
 * it when a slot has passed. Late in a slot, where a run could exceed the
 * allowed slot delay, it first waits for the next slot (at most about a minute).
 */
async function simulatorForNow(
  current: SlotSimulator | null,
  options: ColdStartOptions,
): Promise<SlotSimulator> {
  const age = Date.now() - slotStart(Date.now());
  if (age > MAX_SLOT_DELAY_MS - SLOT_MARGIN_MS) {
    const waitMs = SLOT_MS - age + SLOT_SETTLE_MS;
    options.log(`waiting ${Math.ceil(waitMs / 1000)} s for the next slot to open...`);
    await delay(waitMs);
  }
  const slot = slotStart(Date.now());
  if (current !== null && current.slot === slot) return current;
  await current?.process.close();
  return { slot, process: await startSimulatorProcess(options.root, options.candlesFile, "now") };
}
