import type { BlackboxSink } from "../../shared/blackbox/recorder.ts";
import { type Env, loadConfig, type TitanConfig } from "../../shared/config/config.ts";
import type { CycleDeps } from "../../shared/cycle/context.ts";
import { createKraken, KrakenMarketData } from "../../shared/exchange/ccxt-kraken.ts";
import { applyMigrations, createPgliteClient } from "../../shared/journal/drivers/pglite.ts";
import { createPostgresClient } from "../../shared/journal/drivers/postgres.ts";
import { createTestDatabase } from "./database.ts";
import type { SqlClient } from "../../shared/journal/sql-client.ts";
import { SqlJournal } from "../../shared/journal/sql-journal.ts";
import type { Candle } from "../../shared/market/types.ts";
import { ManualClock } from "../../shared/time/clock.ts";
import { startSimulator, type Simulator } from "../../simulator/server.ts";
import { loadMigrations } from "../../scripts/lib/migrations.ts";
import { MIGRATIONS_DIR } from "../../scripts/lib/journal.ts";

/** Keeps blackbox logs in memory: a stand-in for the Storage bucket in core tests. */
export class MemorySink implements BlackboxSink {
  readonly files = new Map<string, string>();
  failWith: string | null = null;

  put(path: string, text: string): Promise<void> {
    if (this.failWith) return Promise.reject(new Error(this.failWith));
    this.files.set(path, text);
    return Promise.resolve();
  }
}

/** Test settings: small budgets so fault tests end quickly. */
export const TEST_ENV: Env = {
  TITAN_LATENCY_BUDGET_MS: "1500",
  TITAN_EXCHANGE_TIMEOUT_MS: "3000",
  TITAN_CYCLE_DEADLINE_MS: "10000",
  TITAN_RETRY_BACKOFF_MS: "100",
};

export interface Harness {
  sim: Simulator;
  clock: ManualClock;
  client: SqlClient;
  journal: SqlJournal;
  sink: MemorySink;
  config: TitanConfig;
  deps(overrides?: Partial<CycleDeps>): CycleDeps;
  close(): Promise<void>;
}

/**
 * Starts the simulator at `now` with `candles`, a fresh migrated database
 * (on the test Postgres cluster, or embedded with `database: "pglite"`), and
 * a ccxt Kraken client pointed at the simulator.
 */
export async function startHarness(
  candles: Candle[] | Record<string, Candle[]>,
  now: number,
  env: Env = {},
  database: "cluster" | "pglite" = "cluster",
): Promise<Harness> {
  const sim = await startSimulator({ candles, clock: now, clockMode: "fixed" });
  const clock = new ManualClock(now);
  const client = await openDatabase(database);
  const journal = new SqlJournal(client);
  const sink = new MemorySink();
  const config = loadConfig({ ...TEST_ENV, KRAKEN_API_URL: sim.url, ...env });
  const kraken = createKraken({ baseUrl: sim.url, timeoutMs: config.cycle.exchangeTimeoutMs });
  const exchange = new KrakenMarketData(kraken);
  let invocation = 0;
  return {
    sim,
    clock,
    client,
    journal,
    sink,
    config,
    deps: (overrides = {}) => ({
      config,
      clock,
      exchange,
      journal,
      blackbox: sink,
      invocationId: `test-${++invocation}`,
      invokedBy: "test",
      ...overrides,
    }),
    close: async () => {
      await sim.close();
      await journal.close();
    },
  };
}

async function openDatabase(kind: "cluster" | "pglite"): Promise<SqlClient> {
  if (kind === "cluster") return createPostgresClient(await createTestDatabase());
  const client = await createPgliteClient();
  await applyMigrations(client, loadMigrations(MIGRATIONS_DIR));
  return client;
}
