/**
 * Runs one LIVE cycle in a process of its own, for the test that kills a
 * process right after AddOrder. Reads the configuration from its
 * environment (SYSTEM_MODE=LIVE, the Kraken key, KRAKEN_API_URL), the
 * database URL from TITAN_CHILD_DATABASE_URL and the wall-clock time in ms
 * from TITAN_CHILD_NOW, then prints the cycle's outcome as JSON.
 *
 * @module
 */
import { loadConfig } from "../../shared/config/config.ts";
import { runCycle } from "../../shared/cycle/run-cycle.ts";
import { createKraken, KrakenMarketData } from "../../shared/exchange/ccxt-kraken.ts";
import { createPostgresClient } from "../../shared/journal/drivers/postgres.ts";
import { SqlJournal } from "../../shared/journal/sql-journal.ts";
import {
  krakenOptions,
  krakenSecretValues,
  liveDepsFor,
  venueDeps,
} from "../../shared/live/live-deps.ts";
import { SqlProtectionStore } from "../../shared/protections/sql-store.ts";
import { ManualClock } from "../../shared/time/clock.ts";

async function main(): Promise<void> {
  const databaseUrl = process.env.TITAN_CHILD_DATABASE_URL;
  const now = Number(process.env.TITAN_CHILD_NOW);
  if (!databaseUrl || !Number.isFinite(now)) {
    throw new Error("Set TITAN_CHILD_DATABASE_URL and TITAN_CHILD_NOW (ms) for the child cycle.");
  }
  const config = loadConfig(process.env);
  const client = createPostgresClient(databaseUrl);
  const kraken = createKraken(krakenOptions(config));
  const protections = new SqlProtectionStore(client);
  const result = await runCycle(
    {
      config,
      clock: new ManualClock(now),
      exchange: new KrakenMarketData(kraken),
      journal: new SqlJournal(client),
      blackbox: { put: () => Promise.resolve() },
      invocationId: "child-process",
      invokedBy: "test",
      secrets: krakenSecretValues(config),
      protections,
      ...venueDeps(liveDepsFor(config, kraken, client, protections)),
    },
    { market: config.markets[0]! },
  );
  console.log(JSON.stringify({ outcome: result.outcome, abortReason: result.abortReason }));
  await client.close();
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
