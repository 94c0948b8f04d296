import { z } from "zod";
import { trendParamsSchema } from "../strategy/trend-params.ts";
import { riskParamsSchema } from "../risk/risk-params.ts";
import { createTrendEvaluator } from "../strategy/trend.ts";
import { assertHistoryConfig } from "../market/integrity.ts";
import { SLOT_MS } from "../time/slots.ts";
import { Secret } from "./secret.ts";
import { type ProtectionConfig, parseProtections } from "../protections/config.ts";

/**
 * Configuration from environment variables (Supabase secrets in production,
 * `.env` locally). Parsed once with zod, then checked by named cross-field
 * rules. The core receives the parsed object and never reads the
 * environment itself.
 */

export type Env = Record<string, string | undefined>;

const SYMBOL = /^[A-Z0-9]{2,10}\/[A-Z0-9]{2,10}$/;

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const envSchema = z.object({
  SYSTEM_MODE: z.enum(["PAPER", "LIVE"]).default("PAPER"),
  TITAN_MARKETS: z.string().default("BTC/USD"),
  KRAKEN_API_URL: z
    .string()
    .url()
    .refine((url) => /^https?:\/\//i.test(url), "must be an http:// or https:// URL")
    .optional(),
  TITAN_HISTORY_CANDLES: int(2, 719).default(240),
  TITAN_MAX_CLOCK_SKEW_MS: int(100, 60_000).default(2_000),
  TITAN_LATENCY_BUDGET_MS: int(100, 60_000).default(5_000),
  TITAN_EXCHANGE_TIMEOUT_MS: int(100, 120_000).default(10_000),
  TITAN_MAX_SLOT_DELAY_MS: int(1_000, 14 * 60_000).default(5 * 60_000),
  TITAN_CYCLE_DEADLINE_MS: int(1_000, 140_000).default(60_000),
  TITAN_RETRY_BACKOFF_MS: int(0, 30_000).default(1_000),
  TITAN_GAP_RECENT_CANDLES: int(1, 719).default(3),
  TITAN_GAP_MAX_MISSING_RATIO: z.coerce.number().min(0).max(0.5).default(0.05),
  TITAN_MAX_QUOTE_DEVIATION_PCT: z.coerce.number().gt(0).max(100).default(10),
  TITAN_PAPER_START_BALANCES: z.string().default("USD=10000"),
  TITAN_PAPER_SLIPPAGE_BPS: z.coerce.number().min(0).max(500).default(5),
  TITAN_STRATEGY_PARAMS: z.string().default("{}"),
  TITAN_RISK_PARAMS: z.string().default("{}"),
  TITAN_PROTECTIONS: z.string().default("{}"),
  KRAKEN_API_KEY: z.string().optional(),
  KRAKEN_API_SECRET: z.string().optional(),
  TITAN_ORDER_GRACE_MS: int(0, 24 * 3_600_000).default(120_000),
});

/** Variables whose values never appear in a configuration error. */
const SECRET_VARIABLES = new Set(["KRAKEN_API_KEY", "KRAKEN_API_SECRET"]);

/** Base64 as Kraken issues API secrets; the length must also be a multiple of 4. */
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export interface CycleSettings {
  intervalMs: number;
  historyCandles: number;
  maxClockSkewMs: number;
  latencyBudgetMs: number;
  exchangeTimeoutMs: number;
  maxSlotDelayMs: number;
  deadlineMs: number;
  retryBackoffMs: number;
  gapPolicy: { recentCandles: number; maxMissingRatio: number };
  /** Largest distance of the bid or ask from the newest close, in percent. */
  maxQuoteDeviationPct: number;
}

/** The Kraken API key of a LIVE configuration. */
export interface KrakenCredentials {
  apiKey: Secret;
  /** Base64, as Kraken issues it. */
  apiSecret: Secret;
}

export interface LiveSettings {
  /** The key; null in PAPER, never null in LIVE. */
  credentials: KrakenCredentials | null;
  /**
   * How long an order that was sent but never seen on the exchange stays
   * `unknown` before reconciliation marks it `orphaned` and halts its market.
   */
  orderGraceMs: number;
}

export interface TitanConfig {
  mode: "PAPER" | "LIVE";
  markets: string[];
  exchangeUrl: string | undefined;
  cycle: CycleSettings;
  paper: { startBalances: Record<string, number>; slippageBps: number };
  strategy: z.infer<typeof trendParamsSchema>;
  risk: z.infer<typeof riskParamsSchema>;
  live: LiveSettings;
  /** Per-market protection limits from TITAN_PROTECTIONS. */
  protections: ProtectionConfig;
}

/** Invalid configuration; the message lists every problem with its variable. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/** Parses and checks the configuration; throws `ConfigError` listing every problem. */
export function loadConfig(env: Env): TitanConfig {
  const parsed = envSchema.safeParse(pickDefined(env));
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error, env));
  const e = parsed.data;
  const config: TitanConfig = {
    mode: e.SYSTEM_MODE,
    markets: parseMarkets(e.TITAN_MARKETS),
    exchangeUrl: e.KRAKEN_API_URL,
    cycle: {
      intervalMs: SLOT_MS,
      historyCandles: e.TITAN_HISTORY_CANDLES,
      maxClockSkewMs: e.TITAN_MAX_CLOCK_SKEW_MS,
      latencyBudgetMs: e.TITAN_LATENCY_BUDGET_MS,
      exchangeTimeoutMs: e.TITAN_EXCHANGE_TIMEOUT_MS,
      maxSlotDelayMs: e.TITAN_MAX_SLOT_DELAY_MS,
      deadlineMs: e.TITAN_CYCLE_DEADLINE_MS,
      retryBackoffMs: e.TITAN_RETRY_BACKOFF_MS,
      gapPolicy: {
        recentCandles: e.TITAN_GAP_RECENT_CANDLES,
        maxMissingRatio: e.TITAN_GAP_MAX_MISSING_RATIO,
      },
      maxQuoteDeviationPct: e.TITAN_MAX_QUOTE_DEVIATION_PCT,
    },
    paper: {
      startBalances: parseBalances(e.TITAN_PAPER_START_BALANCES),
      slippageBps: e.TITAN_PAPER_SLIPPAGE_BPS,
    },
    strategy: parseJsonParams("TITAN_STRATEGY_PARAMS", e.TITAN_STRATEGY_PARAMS, trendParamsSchema),
    risk: parseJsonParams("TITAN_RISK_PARAMS", e.TITAN_RISK_PARAMS, riskParamsSchema),
    live: {
      credentials: credentialsOf(e.KRAKEN_API_KEY, e.KRAKEN_API_SECRET),
      orderGraceMs: e.TITAN_ORDER_GRACE_MS,
    },
    protections: protectionsOf(e.TITAN_PROTECTIONS),
  };
  checkCrossFieldRules(config, e.KRAKEN_API_KEY, e.KRAKEN_API_SECRET);
  return config;
}

function protectionsOf(text: string): ProtectionConfig {
  const parsed = parseProtections(text);
  if (parsed.ok) return parsed.config;
  throw new ConfigError(`Invalid configuration:\n- ${parsed.problems.join("\n- ")}`);
}

function credentialsOf(apiKey?: string, apiSecret?: string): KrakenCredentials | null {
  if (apiKey === undefined || apiSecret === undefined) return null;
  return { apiKey: new Secret(apiKey.trim()), apiSecret: new Secret(apiSecret.trim()) };
}

/** Named rules that relate one setting to another. */
function checkCrossFieldRules(
  config: TitanConfig,
  apiKey: string | undefined,
  apiSecret: string | undefined,
): void {
  const c = config.cycle;
  const problems: string[] = [];
  if (c.latencyBudgetMs > c.exchangeTimeoutMs) {
    problems.push(
      `TITAN_LATENCY_BUDGET_MS (${c.latencyBudgetMs}) must not exceed ` +
        `TITAN_EXCHANGE_TIMEOUT_MS (${c.exchangeTimeoutMs}).`,
    );
  }
  if (c.exchangeTimeoutMs >= c.deadlineMs) {
    problems.push(
      `TITAN_EXCHANGE_TIMEOUT_MS (${c.exchangeTimeoutMs}) must be below ` +
        `TITAN_CYCLE_DEADLINE_MS (${c.deadlineMs}) so one hung call cannot spend the deadline.`,
    );
  }
  if (c.gapPolicy.recentCandles > c.historyCandles) {
    problems.push(
      `TITAN_GAP_RECENT_CANDLES (${c.gapPolicy.recentCandles}) must not exceed ` +
        `TITAN_HISTORY_CANDLES (${c.historyCandles}).`,
    );
  }
  try {
    assertHistoryConfig(c.historyCandles, createTrendEvaluator(config.strategy).requiredCandles);
  } catch (error) {
    problems.push(`TITAN_HISTORY_CANDLES: ${(error as Error).message}`);
  }
  if (config.mode === "LIVE") problems.push(...liveProblems(apiKey, apiSecret));
  if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n- ${problems.join("\n- ")}`);
}

/**
 * LIVE needs the Kraken key and its secret. The messages name the variable
 * and, for a malformed secret, its length, never a value.
 */
function liveProblems(apiKey: string | undefined, apiSecret: string | undefined): string[] {
  const problems: string[] = [];
  for (const [name, value] of [["KRAKEN_API_KEY", apiKey], ["KRAKEN_API_SECRET", apiSecret]]) {
    if (value === undefined || value.trim() === "") {
      problems.push(`${name} is missing; SYSTEM_MODE=LIVE needs the Kraken API key and secret.`);
    }
  }
  if (apiKey !== undefined && /\s/.test(apiKey.trim())) {
    problems.push("KRAKEN_API_KEY contains white space; set the key exactly as Kraken shows it.");
  }
  const secret = apiSecret?.trim() ?? "";
  if (secret !== "" && (secret.length % 4 !== 0 || !BASE64.test(secret))) {
    problems.push(
      `KRAKEN_API_SECRET (${secret.length} characters) is not base64; set the private key ` +
        "exactly as Kraken shows it when the API key is created.",
    );
  }
  return problems;
}

function parseMarkets(text: string): string[] {
  const markets = text.split(",").map((s) => s.trim()).filter((s) => s.length > 0);
  const bad = markets.filter((m) => !SYMBOL.test(m));
  if (markets.length === 0 || bad.length > 0) {
    throw new ConfigError(
      `Invalid TITAN_MARKETS ${JSON.stringify(text)}: expected a comma-separated list of ` +
        `symbols like BTC/USD,ETH/USD${bad.length > 0 ? `; invalid: ${bad.join(", ")}` : ""}.`,
    );
  }
  if (new Set(markets).size !== markets.length) {
    throw new ConfigError(`Invalid TITAN_MARKETS ${JSON.stringify(text)}: a market is listed twice.`);
  }
  return markets;
}

/** Largest PAPER starting balance of one asset; larger values lose their cents in a double. */
const MAX_START_BALANCE = 1e12;

/** Parses `USD=10000,EUR=500` into balances by asset. */
export function parseBalances(text: string): Record<string, number> {
  const balances: Record<string, number> = {};
  for (const part of text.split(",").map((s) => s.trim()).filter(Boolean)) {
    const match = /^([A-Z0-9]{2,10})=(\d+(\.\d+)?)$/.exec(part);
    if (!match) {
      throw new ConfigError(
        `Invalid TITAN_PAPER_START_BALANCES entry ${JSON.stringify(part)}: ` +
          "expected ASSET=AMOUNT, for example USD=10000.",
      );
    }
    const [asset, amount] = [match[1]!, Number(match[2])];
    if (!Number.isFinite(amount) || amount > MAX_START_BALANCE) {
      throw new ConfigError(
        `Invalid TITAN_PAPER_START_BALANCES entry ${asset}: the amount must be at most ` +
          `${MAX_START_BALANCE}.`,
      );
    }
    if (asset in balances) {
      throw new ConfigError(
        `Invalid TITAN_PAPER_START_BALANCES ${JSON.stringify(text)}: ${asset} is listed twice.`,
      );
    }
    balances[asset] = amount;
  }
  return balances;
}

function parseJsonParams<T extends z.ZodType>(name: string, text: string, schema: T): z.infer<T> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ConfigError(`Invalid ${name}: not JSON (${text.slice(0, 80)}); expected an object.`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new ConfigError(`Invalid ${name} ${text.slice(0, 200)}: ${issues.join("; ")}.`);
  }
  return parsed.data;
}

function describeIssues(error: z.ZodError, env: Env): string {
  const lines = error.issues.map((issue) => {
    const key = String(issue.path[0]);
    const shown = SECRET_VARIABLES.has(key) ? "[REDACTED]" : JSON.stringify(env[key]);
    return `${key}=${shown}: ${issue.message}`;
  });
  return `Invalid configuration:\n- ${lines.join("\n- ")}`;
}

/** Empty and blank variables count as unset, as they do in most `.env` tools. */
function pickDefined(env: Env): Env {
  const result: Env = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value.trim() !== "") result[key] = value;
  }
  return result;
}
