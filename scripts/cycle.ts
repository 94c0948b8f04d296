/**
 * `npm run cycle`: runs one cycle now, against Kraken or a simulator, with
 * the embedded database and blackbox files under TITAN_HOME (default
 * `.titan`). PAPER by default; LIVE with SYSTEM_MODE=LIVE and the Kraken key.
 */
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { isoTime, slotStart } from "../shared/time/slots.ts";
import { SqlAlertRateLimiter } from "../shared/alerts/rate-limit.ts";
import { type AlertSettings, loadAlertSettings, webhookSecrets } from "../shared/alerts/settings.ts";
import { WebhookAlerter } from "../shared/alerts/webhook.ts";
import { ConfigError, loadConfig } from "../shared/config/config.ts";
import { runCycle } from "../shared/cycle/run-cycle.ts";
import { createKraken, KrakenMarketData } from "../shared/exchange/ccxt-kraken.ts";
import type { SqlClient } from "../shared/journal/sql-client.ts";
import { SqlProtectionStore } from "../shared/protections/sql-store.ts";
import {
  krakenOptions,
  krakenSecretValues,
  liveDepsFor,
  venueDeps,
} from "../shared/live/live-deps.ts";
import { systemClock } from "../shared/time/clock.ts";
import { localEnv, titanHome } from "./lib/env.ts";
import { FileSink } from "./lib/file-sink.ts";
import { embeddedDbDir, LocalDatabaseError, openLocalJournal } from "./lib/journal.ts";
import { describeResult, exitCodeOf } from "./lib/result-text.ts";
import { fail, usageError } from "./lib/cli.ts";

const USAGE = `Usage: npm run cycle -- [options]

Runs one trading cycle for the current 15-minute slot (PAPER, or LIVE when
SYSTEM_MODE=LIVE with KRAKEN_API_KEY and KRAKEN_API_SECRET) and prints the
decision and its reason, the equity, or the abort reason and the values
behind it.

Options:
  --exchange-url URL  Kraken API base URL, for example a simulator at
                      http://127.0.0.1:8099 (default: KRAKEN_API_URL, else
                      Kraken's public API)
  --market SYMBOL     market to trade, for example BTC/USD (default: the
                      first of TITAN_MARKETS)
  --json              print the execution_logs row as JSON
  --wait              when the current slot is older than TITAN_MAX_SLOT_DELAY_MS
                      (so the cycle would abort STALE_SLOT), wait for the next
                      slot and run 5 seconds after it opens, as pg_cron would
  --help              show this help

Records go to the embedded database and blackbox files under TITAN_HOME
(default .titan), or to DATABASE_URL when it is set. Configuration is read
from the environment and from .env in the working directory. The market
protections of TITAN_PROTECTIONS apply, and alerts go to
TITAN_ALERT_WEBHOOK_URL when it is set (docs/PROTECTIONS.md).
Exit status: 0 completed, skipped or already ran; 3 aborted; 4 crashed;
2 invalid options or configuration.`;

/** Delay after a slot opens at which `--wait` runs, like the scheduled dispatch. */
const WAIT_DISPATCH_DELAY_MS = 5_000;

/** Sleeps until the next slot opens when the current one is too old to trade. */
async function waitForFreshSlot(maxSlotDelayMs: number, intervalMs: number): Promise<void> {
  const now = Date.now();
  const slot = slotStart(now, intervalMs);
  if (now - slot <= maxSlotDelayMs - WAIT_DISPATCH_DELAY_MS) return;
  const runAt = slot + intervalMs + WAIT_DISPATCH_DELAY_MS;
  console.error(`waiting ${Math.ceil((runAt - now) / 1000)} s for the slot ${isoTime(slot + intervalMs)}`);
  await new Promise((resolve) => setTimeout(resolve, runAt - now));
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      "exchange-url": { type: "string" },
      market: { type: "string" },
      json: { type: "boolean", default: false },
      wait: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const env = localEnv();
  if (values["exchange-url"]) env.KRAKEN_API_URL = values["exchange-url"];
  if (values.market) env.TITAN_MARKETS = values.market;
  const config = loadConfig(env);
  if (values.wait) await waitForFreshSlot(config.cycle.maxSlotDelayMs, config.cycle.intervalMs);
  const alertSettings = loadAlertSettings(env);
  const market = config.markets[0]!;
  const home = titanHome(env);
  const { journal, client, location } = await openLocalJournal(env, embeddedDbDir(home));
  try {
    const kraken = createKraken(krakenOptions(config));
    const protection = protectionDeps(alertSettings, client);
    const live = liveDepsFor(config, kraken, client, protection.protections);
    const result = await runCycle(
      {
        config,
        clock: systemClock,
        exchange: new KrakenMarketData(kraken),
        journal,
        blackbox: new FileSink(join(home, "blackbox")),
        invocationId: randomUUID(),
        invokedBy: "cli",
        memoryUsage: () => process.memoryUsage(),
        ...protection,
        secrets: [...protection.secrets, ...krakenSecretValues(config)],
        ...venueDeps(live),
      },
      { market },
    );
    if (values.json) {
      const rows = await client.query("select * from execution_logs where cycle_id = $1", [result.cycleId]);
      console.log(JSON.stringify(rows[0] ?? null, null, 2));
    } else {
      console.log(describeResult(result, location, join(home, "blackbox")));
      if (result.abortReason === "STALE_SLOT") {
        console.error("hint: run with --wait to run at the start of the next slot.");
      }
    }
    return exitCodeOf(result.outcome);
  } finally {
    await journal.close();
  }
}

/** The protection store, and the webhook alerter when TITAN_ALERT_WEBHOOK_URL is set. */
function protectionDeps(alertSettings: AlertSettings | null, client: SqlClient) {
  const secrets = webhookSecrets(alertSettings?.url);
  const protections = new SqlProtectionStore(client);
  if (alertSettings === null) return { secrets, protections };
  const alerter = new WebhookAlerter({
    settings: alertSettings,
    limiter: new SqlAlertRateLimiter(client),
    now: () => systemClock.now(),
    secrets,
  });
  return { secrets, protections, alerter };
}

main().then(
  (code) => process.exit(code),
  (error) => {
    if (error instanceof ConfigError || error instanceof LocalDatabaseError || usageError(error)) {
      fail(error.message, USAGE);
    }
    throw error;
  },
);
