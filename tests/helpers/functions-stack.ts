/**
 * Everything a function test runs against: a fresh database on the test
 * cluster, the Kraken simulator, the Storage and Management API doubles, and
 * the functions served by the Deno dev router, all on 127.0.0.1.
 *
 * The router's clock and the simulator's clock start at the same instant, 5 s
 * after a slot opens, and then run at real speed, so the cycle trades
 * recorded candles of a past date as if it were now.
 *
 * @module
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import type { Candle } from "../../shared/market/types.ts";
import { type Simulator, startSimulator } from "../../simulator/server.ts";
import { type ManagementDouble, startManagementDouble } from "../doubles/management-api-double.ts";
import { startStorageDouble, type StorageDouble } from "../doubles/storage-double.ts";
import { HAVE_DATA, INTERVAL, loadRealCandles, syntheticCandles } from "./candles.ts";
import { createTestDatabase } from "./database.ts";
import { type FunctionsServer, startFunctionsServer } from "./functions-server.ts";

export const CRON_SECRET = "cron-secret-for-tests-0123456789abcdef";
export const REVOKE_SECRET = "revoke-secret-for-tests-fedcba9876543210";
export const STORAGE_KEY = "sb_secret_storage_key_for_tests_00000000";
export const ACCESS_TOKEN = "sbp_access_token_for_tests_0000000000000";
export const PROJECT_REF = "abcdefghijklmnopqrst";
/** A public anon key, which must never pass a function's own secret check. */
export const ANON_KEY = "sb_publishable_anon_key_for_tests_000000";

/** A slot inside the recorded candles when present; else a date for synthetic ones. */
export const SLOT = HAVE_DATA ? Date.UTC(2023, 5, 1, 12, 15) : Date.UTC(2024, 0, 15, 12, 15);

/**
 * Test settings: small budgets so a fault ends quickly, with a latency
 * budget that a loaded two-core machine still meets on the first ccxt call.
 */
const TEST_ENV = {
  TITAN_LATENCY_BUDGET_MS: "4000",
  TITAN_EXCHANGE_TIMEOUT_MS: "5000",
  TITAN_CYCLE_DEADLINE_MS: "10000",
  TITAN_RETRY_BACKOFF_MS: "100",
};

export interface StackOptions {
  /**
   * Candles for BTC/USD, or candles by Kraken pair id (`XETHZUSD`); default the
   * recorded BTC/USD ones, else a synthetic series.
   */
  candles?: Candle[] | Record<string, Candle[]>;
  /** Serve Storage through the double (default true); false writes local files. */
  storage?: boolean;
  /** Configure the Management API double (default true). */
  management?: boolean;
  /** Replaces the database URL, for example with one that refuses connections. */
  databaseUrl?: string;
  /** Start of both clocks; default 5 s after SLOT opens. */
  clockStart?: number;
  /** Extra environment, applied last. */
  env?: Record<string, string>;
}

export interface FunctionsStack {
  server: FunctionsServer;
  sim: Simulator;
  storage: StorageDouble | null;
  management: ManagementDouble | null;
  /** A connection to the stack's database, for assertions. */
  sql: postgres.Sql;
  databaseUrl: string;
  home: string;
  /** Environment the router was started with. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/** 300 synthetic candles whose last one opens at SLOT; `step` > 0 is an uptrend. */
export function trendCandles(step: number, slot = SLOT): Candle[] {
  const count = 300;
  return syntheticCandles({
    start: slot - (count - 1) * INTERVAL,
    count,
    price: (i) => 42000 + i * step,
  });
}

/** Starts a stack; close it in `afterEach` or `afterAll`. */
export async function startFunctionsStack(options: StackOptions = {}): Promise<FunctionsStack> {
  const clockStart = options.clockStart ?? SLOT + 5_000;
  const candles = options.candles ?? (HAVE_DATA ? loadRealCandles() : trendCandles(10));
  const databaseUrl = await createTestDatabase();

  const sim = await startSimulator({ candles, clock: clockStart, clockMode: "running" });
  const storage = options.storage === false ? null : await startStorageDouble({ key: STORAGE_KEY });
  const management = options.management === false
    ? null
    : await startManagementDouble(ACCESS_TOKEN);
  const home = mkdtempSync(join(tmpdir(), "titan-functions-"));

  const env: Record<string, string> = {
    ...TEST_ENV,
    TITAN_CRON_SECRET: CRON_SECRET,
    TITAN_REVOKE_SECRET: REVOKE_SECRET,
    DATABASE_URL: options.databaseUrl ?? databaseUrl,
    KRAKEN_API_URL: sim.url,
    TITAN_DEV_CLOCK_START: new Date(clockStart).toISOString(),
    ...doubleEnv(storage, management),
    ...options.env,
  };
  const sql = postgres(databaseUrl, { max: 2, onnotice: () => {} });

  let server: FunctionsServer;
  try {
    server = await startFunctionsServer(env, home);
  } catch (error) {
    await Promise.all([sim.close(), storage?.close(), management?.close(), sql.end()]);
    throw error;
  }

  return {
    server,
    sim,
    storage,
    management,
    sql,
    databaseUrl,
    home,
    env,
    close: async () => {
      await server.close();
      await Promise.all([
        sim.close(),
        storage?.close(),
        management?.close(),
        sql.end({ timeout: 5 }),
      ]);
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** Returns the variables that point the functions at the running doubles. */
function doubleEnv(storage: StorageDouble | null, management: ManagementDouble | null) {
  const env: Record<string, string> = {};
  if (storage) {
    env.SUPABASE_URL = storage.url;
    env.SUPABASE_SECRET_KEYS = JSON.stringify({ default: STORAGE_KEY });
  }
  if (management) {
    env.SUPABASE_ACCESS_TOKEN = ACCESS_TOKEN;
    env.SUPABASE_PROJECT_REF = PROJECT_REF;
    env.SUPABASE_MANAGEMENT_API_URL = management.url;
  }
  return env;
}

/** Headers with `Authorization: Bearer <secret>` and a JSON content type. */
export function bearer(secret: string, extra: Record<string, string> = {}): Record<string, string> {
  return { authorization: `Bearer ${secret}`, "content-type": "application/json", ...extra };
}
