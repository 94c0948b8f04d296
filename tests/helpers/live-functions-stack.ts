/**
 * The Edge Functions in LIVE mode over HTTP: the Deno dev router with
 * SYSTEM_MODE=LIVE and the simulator's API key, a fresh database on the
 * test cluster, and blackbox files under a temporary TITAN_HOME.
 *
 * @module
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import type { Candle } from "../../shared/market/types.ts";
import type { BalanceInput } from "../../simulator/account.ts";
import { type Simulator, startSimulator } from "../../simulator/server.ts";
import { createTestDatabase } from "./database.ts";
import { CRON_SECRET, REVOKE_SECRET } from "./functions-stack.ts";
import { type FunctionsServer, startFunctionsServer } from "./functions-server.ts";

export interface LiveFunctionsStack {
  server: FunctionsServer;
  sim: Simulator;
  sql: postgres.Sql;
  home: string;
  close(): Promise<void>;
}

/** Starts the stack with both clocks at `clockStart`; close it after the test. */
export async function startLiveFunctionsStack(
  candles: Candle[],
  clockStart: number,
  balances?: BalanceInput,
): Promise<LiveFunctionsStack> {
  const databaseUrl = await createTestDatabase();
  const sim = await startSimulator({
    candles,
    clock: clockStart,
    clockMode: "running",
    ...(balances ? { balances } : {}),
  });
  const home = mkdtempSync(join(tmpdir(), "titan-live-functions-"));
  const env = {
    SYSTEM_MODE: "LIVE",
    KRAKEN_API_KEY: sim.credentials.apiKey,
    KRAKEN_API_SECRET: sim.credentials.apiSecret,
    KRAKEN_API_URL: sim.url,
    TITAN_CRON_SECRET: CRON_SECRET,
    TITAN_REVOKE_SECRET: REVOKE_SECRET,
    DATABASE_URL: databaseUrl,
    TITAN_DEV_CLOCK_START: new Date(clockStart).toISOString(),
    // The router starts seconds after the simulator, so their clocks differ by that much.
    TITAN_MAX_CLOCK_SKEW_MS: "30000",
    TITAN_EXCHANGE_TIMEOUT_MS: "3000",
    TITAN_LATENCY_BUDGET_MS: "1500",
    TITAN_CYCLE_DEADLINE_MS: "10000",
  };
  const sql = postgres(databaseUrl, { max: 2, onnotice: () => {} });
  let server: FunctionsServer;
  try {
    server = await startFunctionsServer(env, home);
  } catch (error) {
    await Promise.all([sim.close(), sql.end()]);
    throw error;
  }
  return {
    server,
    sim,
    sql,
    home,
    close: async () => {
      await server.close();
      await Promise.all([sim.close(), sql.end({ timeout: 5 })]);
      rmSync(home, { recursive: true, force: true });
    },
  };
}
