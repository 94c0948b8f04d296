/**
 * The LIVE venue's collaborators, and the one factory that builds them for
 * the Edge Functions, the `npm run cycle` command and the tests.
 *
 * @module
 */
import type { KrakenCredentials, TitanConfig } from "../config/config.ts";
import type { ExecutionVenue } from "../cycle/venue.ts";
import type { GuardedKrakenInstance, KrakenOptions } from "../exchange/ccxt-kraken.ts";
import type { SqlClient } from "../journal/sql-client.ts";
import type { ProtectionStore } from "../protections/store.ts";
import { type KeyLock, SqlKeyLock } from "./key-lock.ts";
import { KrakenPrivate } from "./kraken-private.ts";
import { createLiveVenue } from "./live-venue.ts";
import type { LiveOrderStore } from "./live-store.ts";
import type { PrivateExchange } from "./private-exchange.ts";
import { SqlLiveOrderStore } from "./sql-live-store.ts";

/**
 * The market halts LIVE trading reads and sets: the protections' store, whose
 * `market_halts` table an operator clears with `titan_rearm_market`.
 */
export type MarketHaltStore = Pick<ProtectionStore, "readHalt" | "haltMarket">;

/** The LIVE venue's collaborators. */
export interface LiveDeps {
  exchange: PrivateExchange;
  store: LiveOrderStore;
  halts: MarketHaltStore;
}

export interface LiveWiringOptions {
  /** The instance `createKraken` made with the credentials; shared with the market data. */
  kraken: GuardedKrakenInstance;
  sql: SqlClient;
  credentials: KrakenCredentials;
  halts: MarketHaltStore;
  /** Maximum wait for the API key's lock, in ms, usually the exchange timeout. */
  lockWaitMs: number;
  /** Replaces the database lock, for a test that shows what happens without it. */
  lock?: KeyLock;
}

/** Builds the LIVE collaborators on ccxt and the database. */
export function createLiveDeps(options: LiveWiringOptions): LiveDeps {
  const { kraken, sql, credentials } = options;
  const lock = options.lock ??
    new SqlKeyLock(sql, () => credentials.apiKey.reveal(), kraken, options.lockWaitMs);
  return {
    exchange: new KrakenPrivate(kraken, lock),
    store: new SqlLiveOrderStore(sql),
    halts: options.halts,
  };
}

/**
 * Returns the ccxt options of a configuration: the exchange URL and
 * timeout, and in LIVE the API key and secret. This is the one place the
 * secret leaves its `Secret` wrapper, to be handed to ccxt's signing.
 */
export function krakenOptions(config: TitanConfig): KrakenOptions {
  const options: KrakenOptions = {
    baseUrl: config.exchangeUrl,
    timeoutMs: config.cycle.exchangeTimeoutMs,
  };
  const credentials = config.live.credentials;
  if (config.mode !== "LIVE" || credentials === null) return options;
  return {
    ...options,
    apiKey: credentials.apiKey.reveal(),
    apiSecret: credentials.apiSecret.reveal(),
  };
}

/** Returns the values to scrub from every record: the API key and secret in LIVE, else none. */
export function krakenSecretValues(config: TitanConfig): string[] {
  const credentials = config.live.credentials;
  if (credentials === null) return [];
  return [credentials.apiKey.reveal(), credentials.apiSecret.reveal()];
}

/** Builds the LIVE collaborators of a LIVE configuration; returns undefined in PAPER. */
export function liveDepsFor(
  config: TitanConfig,
  kraken: GuardedKrakenInstance,
  sql: SqlClient,
  halts: MarketHaltStore,
): LiveDeps | undefined {
  const credentials = config.live.credentials;
  if (config.mode !== "LIVE" || credentials === null) return undefined;
  const lockWaitMs = config.cycle.exchangeTimeoutMs;
  return createLiveDeps({ kraken, sql, credentials, halts, lockWaitMs });
}

/** `{ venue }` for a cycle's dependencies when `live` is set, else nothing. */
export function venueDeps(live: LiveDeps | undefined): { venue?: ExecutionVenue } {
  return live === undefined ? {} : { venue: createLiveVenue(live) };
}
