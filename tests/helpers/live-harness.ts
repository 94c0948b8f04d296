/**
 * A LIVE cycle against the Kraken simulator over HTTP, with ccxt's real
 * signing and a fresh migrated database on the test cluster: the
 * simulator's account is the exchange account, its generated key is the
 * API key.
 *
 * @module
 */
import type { AlertEvent } from "../../shared/alerts/alerter.ts";
import { type Env, loadConfig, type TitanConfig } from "../../shared/config/config.ts";
import type { CycleDeps, CycleResult } from "../../shared/cycle/context.ts";
import { runCycle } from "../../shared/cycle/run-cycle.ts";
import {
  createKraken,
  type GuardedKrakenInstance,
  KrakenMarketData,
} from "../../shared/exchange/ccxt-kraken.ts";
import { createPostgresClient } from "../../shared/journal/drivers/postgres.ts";
import type { SqlClient } from "../../shared/journal/sql-client.ts";
import { SqlJournal } from "../../shared/journal/sql-journal.ts";
import type { KeyLock } from "../../shared/live/key-lock.ts";
import {
  createLiveDeps,
  krakenOptions,
  type LiveDeps,
  venueDeps,
} from "../../shared/live/live-deps.ts";
import type { Candle } from "../../shared/market/types.ts";
import { SqlProtectionStore } from "../../shared/protections/sql-store.ts";
import { ManualClock } from "../../shared/time/clock.ts";
import type { BalanceInput } from "../../simulator/account.ts";
import { type Simulator, type SimulatorOptions, startSimulator } from "../../simulator/server.ts";
import { MemorySink, TEST_ENV } from "./cycle-harness.ts";
import { createTestDatabase } from "./database.ts";

/**
 * A manual wall clock whose monotonic reading can also jump, so a test can
 * spend a cycle's deadline without waiting.
 */
export class SteppingClock extends ManualClock {
  #skippedMs = 0;

  override monotonic(): number {
    return super.monotonic() + this.#skippedMs;
  }

  /** Moves the monotonic clock `ms` forward, as if that much time had passed. */
  skip(ms: number): void {
    this.#skippedMs += ms;
  }
}

export interface LiveHarnessOptions {
  candles: Candle[] | Record<string, Candle[]>;
  /** Wall-clock and simulator time at start, in ms. */
  now: number;
  env?: Env;
  /** The simulated account's balances by Kraken asset code. */
  balances?: BalanceInput;
  sim?: Partial<SimulatorOptions>;
  /** Database URL to use instead of a fresh one. */
  databaseUrl?: string;
  /** Replaces the API key's database lock. */
  lock?: KeyLock;
}

export interface LiveHarness {
  sim: Simulator;
  clock: SteppingClock;
  client: SqlClient;
  journal: SqlJournal;
  sink: MemorySink;
  config: TitanConfig;
  kraken: GuardedKrakenInstance;
  live: LiveDeps;
  protections: SqlProtectionStore;
  /** Alerts the cycles sent, oldest first. */
  alerts: AlertEvent[];
  databaseUrl: string;
  deps(overrides?: Partial<CycleDeps>): CycleDeps;
  /** Moves both clocks to `timeMs` and runs the cycle of `market` (default BTC/USD). */
  runAt(timeMs: number, market?: string): Promise<CycleResult>;
  close(): Promise<void>;
}

/** Test settings for LIVE: the cycle harness's small budgets, SYSTEM_MODE=LIVE and the key. */
export function liveEnv(sim: Simulator, env: Env = {}): Env {
  return {
    ...TEST_ENV,
    SYSTEM_MODE: "LIVE",
    KRAKEN_API_URL: sim.url,
    KRAKEN_API_KEY: sim.credentials.apiKey,
    KRAKEN_API_SECRET: sim.credentials.apiSecret,
    TITAN_PAPER_SLIPPAGE_BPS: "0",
    ...env,
  };
}

/** Starts the simulator, a database and the LIVE wiring; see the module comment. */
export async function startLiveHarness(options: LiveHarnessOptions): Promise<LiveHarness> {
  const sim = await startSimulator({
    candles: options.candles,
    clock: options.now,
    clockMode: "fixed",
    ...(options.balances ? { balances: options.balances } : {}),
    ...options.sim,
  });
  const clock = new SteppingClock(options.now);
  const databaseUrl = options.databaseUrl ?? await createTestDatabase();
  const client = createPostgresClient(databaseUrl, { maxConnections: 6 });
  const config = loadConfig(liveEnv(sim, options.env));
  const kraken = createKraken(krakenOptions(config));
  const protections = new SqlProtectionStore(client);
  const live = createLiveDeps({
    kraken,
    sql: client,
    credentials: config.live.credentials!,
    halts: protections,
    lockWaitMs: config.cycle.exchangeTimeoutMs,
    ...(options.lock ? { lock: options.lock } : {}),
  });
  const parts = { sim, clock, client, config, kraken, live, protections, databaseUrl };
  return assemble(parts, new SqlJournal(client), new MemorySink());
}

type HarnessParts = Pick<
  LiveHarness,
  "sim" | "clock" | "client" | "config" | "kraken" | "live" | "protections" | "databaseUrl"
>;

/** Adds the cycle dependencies, the recorded alerts and the run and close helpers. */
function assemble(parts: HarnessParts, journal: SqlJournal, sink: MemorySink): LiveHarness {
  const { sim, clock, config, kraken, live, protections } = parts;
  const credentials = config.live.credentials!;
  const exchange = new KrakenMarketData(kraken);
  const alerts: AlertEvent[] = [];
  let invocation = 0;
  const deps = (overrides: Partial<CycleDeps> = {}): CycleDeps => ({
    config,
    clock,
    exchange,
    journal,
    blackbox: sink,
    invocationId: `live-test-${++invocation}`,
    invokedBy: "test",
    secrets: [credentials.apiKey.reveal(), credentials.apiSecret.reveal()],
    protections,
    alerter: { send: (event) => void alerts.push(event) },
    ...venueDeps(live),
    ...overrides,
  });
  return {
    ...parts,
    journal,
    sink,
    alerts,
    deps,
    runAt: (timeMs, market = "BTC/USD") => {
      clock.set(timeMs);
      sim.setClock(timeMs);
      return runCycle(deps(), { market });
    },
    close: async () => {
      await sim.close();
      await journal.close();
    },
  };
}

/**
 * Starts a second invocation beside `h`, as another isolate would run it:
 * its own ccxt instance and database pool, with the same API key, simulator
 * and database.
 */
export function secondInvocation(h: LiveHarness, lock?: KeyLock) {
  const client = createPostgresClient(h.databaseUrl, { maxConnections: 6 });
  const journal = new SqlJournal(client);
  const kraken = createKraken(krakenOptions(h.config));
  const protections = new SqlProtectionStore(client);
  const live = createLiveDeps({
    kraken,
    sql: client,
    credentials: h.config.live.credentials!,
    halts: protections,
    lockWaitMs: h.config.cycle.exchangeTimeoutMs,
    ...(lock ? { lock } : {}),
  });
  return {
    deps: (): CycleDeps =>
      h.deps({
        exchange: new KrakenMarketData(kraken),
        journal,
        protections,
        invocationId: "second-invocation",
        ...venueDeps(live),
      }),
    close: () => journal.close(),
  };
}

/** Rows of `table`, oldest id first where the table has one. */
export async function rowsOf(client: SqlClient, table: string, order = "") {
  return client.query<Record<string, unknown>>(`select * from ${table} ${order}`);
}

/** Private requests the simulator received, as Kraken method names, oldest first. */
export function privateCalls(sim: Simulator): string[] {
  return sim.requests.filter((r) => r.endpoint !== undefined).map((r) => r.endpoint!);
}

/** Slot 12:15 of 2024-01-15 (1705320900 s), whose userref is 1894801. */
export const SLOT_1215 = Date.UTC(2024, 0, 15, 12, 15);
/** 5 s into slot 12:15, when its cycle runs. */
export const AT_1215 = SLOT_1215 + 5_000;
const INTERVAL_MS = 15 * 60 * 1000;

/**
 * Builds 300 candles rising by `step` a candle up to the one that opens at
 * `slot`, which is still open then and opens at `lastPrice`, the last price.
 * `after` more candles follow for later slots. The trend strategy buys on it.
 */
export function risingCandles(slot: number, lastPrice = 40_000, after = 0, step = 10): Candle[] {
  const count = 300 + after;
  const start = slot - 299 * INTERVAL_MS;
  const candles: Candle[] = [];
  let previous = lastPrice - 299 * step;
  for (let i = 0; i < count; i++) {
    const close = lastPrice + (i - 298) * step;
    const open = previous;
    previous = close;
    const high = Math.round(Math.max(open, close) * 1.001 * 10) / 10;
    const low = Math.round(Math.min(open, close) * 0.999 * 10) / 10;
    candles.push({ time: start + i * INTERVAL_MS, open, high, low, close, volume: 1.5 });
  }
  return candles;
}

/** `risingCandles` falling instead: the strategy sells a position on it. */
export function fallingCandles(slot: number, lastPrice = 40_000, after = 0): Candle[] {
  return risingCandles(slot, lastPrice, after, -10);
}
