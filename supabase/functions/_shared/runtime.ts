/**
 * The wiring one isolate shares among its calls: settings, one database
 * client (postgres.js with prepared statements off, or the embedded database
 * locally), one ccxt Kraken instance so its markets stay cached, the
 * blackbox store, and the trading configuration parsed once.
 *
 * @module
 */
import type { Alerter } from "../../../shared/alerts/alerter.ts";
import { SqlAlertRateLimiter } from "../../../shared/alerts/rate-limit.ts";
import { loadAlertSettings, webhookSecrets } from "../../../shared/alerts/settings.ts";
import { WebhookAlerter } from "../../../shared/alerts/webhook.ts";
import { type Env, loadConfig, type TitanConfig } from "../../../shared/config/config.ts";
import type { CycleDeps } from "../../../shared/cycle/context.ts";
import { createKraken, KrakenMarketData } from "../../../shared/exchange/ccxt-kraken.ts";
import type { MarketDataSource } from "../../../shared/exchange/exchange.ts";
import { createPostgresClient } from "../../../shared/journal/drivers/postgres.ts";
import type { Journal } from "../../../shared/journal/journal.ts";
import type { SqlClient } from "../../../shared/journal/sql-client.ts";
import { SqlJournal } from "../../../shared/journal/sql-journal.ts";
import {
  krakenOptions,
  type LiveDeps,
  liveDepsFor,
  venueDeps,
} from "../../../shared/live/live-deps.ts";
import { SqlProtectionStore } from "../../../shared/protections/sql-store.ts";
import { type Clock, systemClock } from "../../../shared/time/clock.ts";
import { join, resolve } from "node:path";
import type { BlackboxStore } from "./blackbox-store.ts";
import { createFileStore } from "./file-store.ts";
import { createInvocationAudit, type InvocationAudit } from "./invocation-audit.ts";
import type { InvocationDeps } from "./invocation.ts";
import {
  type FunctionName,
  type FunctionSettings,
  readFunctionSettings,
  secretFor,
} from "./settings.ts";
import { createStorageStore } from "./storage-store.ts";

export interface RuntimeOptions {
  env: Env;
  /** Default: the system clock. The dev router passes a shifted clock for tests. */
  clock?: Clock;
  /**
   * Opens the embedded database in `dataDir` when no database URL is set.
   * Without it, a missing DATABASE_URL is an error (the deployed functions).
   */
  openEmbedded?: (dataDir: string) => Promise<SqlClient>;
  /** Default: `console.error`. */
  logError?: (message: string) => void;
  memoryUsage?: () => { rss: number; heapUsed: number };
}

export interface Runtime {
  settings: FunctionSettings;
  sql: SqlClient;
  journal: Journal;
  audit: InvocationAudit;
  store: BlackboxStore;
  clock: Clock;
  /** The trading configuration, parsed on first use. Throws ConfigError. */
  config(): TitanConfig;
  /** The market data source, created on first use. Throws ConfigError. */
  exchange(): MarketDataSource;
  /** The LIVE venue's collaborators, created on first use; undefined in PAPER. Throws ConfigError. */
  live(): LiveDeps | undefined;
  /** The webhook alerter, created on first use; undefined without a webhook URL. Throws ConfigError. */
  alerter(): Alerter | undefined;
  scrub(text: string): string;
  logError(message: string): void;
  /** The shared steps' dependencies for one function. */
  invocationDeps(name: FunctionName): InvocationDeps;
  /** A cycle's dependencies for one invocation. Throws ConfigError. */
  cycleDeps(invocationId: string, invokedBy: string): CycleDeps;
  close(): Promise<void>;
}

/**
 * Creates the runtime. Throws when no database can be opened: an invalid
 * database URL, or none set without `openEmbedded`. Every other problem is
 * reported by the calls that need the setting.
 */
export async function createRuntime(options: RuntimeOptions): Promise<Runtime> {
  const settings = readFunctionSettings(options.env);
  const home = resolve(settings.home);
  const sql = await openDatabase(settings, home, options);
  const journal = new SqlJournal(sql);
  const audit = createInvocationAudit(sql);
  const store = settings.storage
    ? createStorageStore(settings.storage)
    : createFileStore(join(home, "blackbox"));
  const clock = options.clock ?? systemClock;
  const logError = options.logError ?? ((message: string) => console.error(message));
  // The alert webhook URL carries its credential, so it is scrubbed like the other secrets.
  const secrets = [...settings.secretValues, ...webhookSecrets(options.env.TITAN_ALERT_WEBHOOK_URL)];
  const scrub = scrubber(secrets);
  const { config, kraken, exchange } = tradingParts(options.env);
  const protections = new SqlProtectionStore(sql);
  const live = once(() => liveDepsFor(config(), kraken(), sql, protections));
  const alerter = once(() => createAlerter(options.env, sql, clock, secrets, logError));
  const memory = options.memoryUsage ? { memoryUsage: options.memoryUsage } : {};

  return {
    settings,
    sql,
    journal,
    audit,
    store,
    clock,
    config,
    exchange,
    live,
    alerter,
    scrub,
    logError,
    invocationDeps: (name) => ({
      name,
      secret: secretFor(settings, name),
      audit,
      now: () => clock.now(),
      newId: () => crypto.randomUUID(),
      scrub,
      logError,
    }),
    cycleDeps: (invocationId, invokedBy) => ({
      config: config(),
      clock,
      exchange: exchange(),
      journal,
      blackbox: store,
      invocationId,
      invokedBy,
      secrets,
      protections,
      alerter: alerter(),
      ...venueDeps(live()),
      ...memory,
    }),
    close: () => sql.close(),
  };
}

/**
 * Creates the trading configuration, the one ccxt instance (with the API
 * key in LIVE) and the market data source on it, each on first use.
 */
function tradingParts(env: Env) {
  const config = once(() => loadConfig(env));
  const kraken = once(() => createKraken(krakenOptions(config())));
  const exchange = once((): MarketDataSource => new KrakenMarketData(kraken()));
  return { config, kraken, exchange };
}

/**
 * Creates the webhook alerter from the TITAN_ALERT_* variables, with the
 * rate limit in the database. In an Edge Function each delivery is also
 * handed to `EdgeRuntime.waitUntil`, so it is not cut off when the response
 * is sent first.
 */
function createAlerter(
  env: Env,
  sql: SqlClient,
  clock: Clock,
  secrets: readonly string[],
  logError: (message: string) => void,
): Alerter | undefined {
  const settings = loadAlertSettings(env);
  if (settings === null) return undefined;
  const edge = (globalThis as { EdgeRuntime?: { waitUntil?: (p: Promise<unknown>) => void } })
    .EdgeRuntime;
  const waitUntil = edge?.waitUntil?.bind(edge);
  return new WebhookAlerter({
    settings,
    limiter: new SqlAlertRateLimiter(sql),
    now: () => clock.now(),
    secrets,
    ...(waitUntil ? { waitUntil } : {}),
    onLimiterError: (message) => logError(`Alert rate limit lookup failed: ${message}`),
  });
}

async function openDatabase(settings: FunctionSettings, home: string, options: RuntimeOptions) {
  if (settings.databaseUrl !== null) {
    return createPostgresClient(settings.databaseUrl, { maxConnections: 4 });
  }
  if (options.openEmbedded) return await options.openEmbedded(join(home, "db"));
  throw new Error(
    "No database configured: set DATABASE_URL to the transaction pooler URL " +
      "(port 6543), or SUPABASE_DB_URL.",
  );
}

/** Caches the first result. A throw is not cached, so each call reports the problem again. */
function once<T>(make: () => T): () => T {
  let cached: { value: T } | null = null;
  return () => {
    cached ??= { value: make() };
    return cached.value;
  };
}

function scrubber(secrets: readonly string[]): (text: string) => string {
  const sorted = [...secrets].sort((a, b) => b.length - a.length);
  return (text) => sorted.reduce((out, secret) => out.split(secret).join("[REDACTED]"), text);
}
