/**
 * Alert settings from the environment. The webhook URL is a secret (a
 * Telegram URL contains the bot token, Slack and Discord URLs are their own
 * credential), so no message here ever quotes it.
 *
 * @module
 */
import { ConfigError, type Env } from "../config/config.ts";
import { ALERT_KINDS, type AlertKind } from "./alerter.ts";
import { ALERT_FORMATS, type AlertFormat } from "./format.ts";

export interface AlertSettings {
  url: string;
  format: AlertFormat;
  /** Telegram's `chat_id`; null for the other formats. */
  telegramChatId: string | null;
  /** Maximum wait for one delivery, rate limit lookup included. */
  timeoutMs: number;
  /** Shortest interval between two alerts of one kind and market; 0 is no limit. */
  rateLimitMs: Record<AlertKind, number>;
}

export const DEFAULT_ALERT_TIMEOUT_MS = 2_000;

/**
 * Default minutes between two alerts of one kind for one market. The cycle
 * claim lets a market trade at most once per 15-minute slot, so trade alerts
 * are not limited.
 */
export const DEFAULT_RATE_LIMIT_MINUTES: Readonly<Record<AlertKind, number>> = Object.freeze({
  trade: 0,
  halt: 30,
  crash: 30,
  abort_streak: 30,
  mode_change: 30,
  orphaned_order: 30,
});

const MAX_RATE_LIMIT_MINUTES = 24 * 60;
const CHAT_ID = /^(-?\d{1,20}|@[A-Za-z][A-Za-z0-9_]{4,31})$/;
const OPTIONAL_NAMES = [
  "TITAN_ALERT_FORMAT",
  "TITAN_ALERT_TELEGRAM_CHAT_ID",
  "TITAN_ALERT_TIMEOUT_MS",
  "TITAN_ALERT_RATE_LIMIT_MINUTES",
];

/**
 * Reads the alert settings; returns null when `TITAN_ALERT_WEBHOOK_URL` is
 * unset. Throws ConfigError listing every problem.
 */
export function loadAlertSettings(env: Env): AlertSettings | null {
  const url = value(env, "TITAN_ALERT_WEBHOOK_URL");
  if (url === null) {
    const stray = OPTIONAL_NAMES.filter((name) => value(env, name) !== null);
    if (stray.length === 0) return null;
    throw new ConfigError(
      `Invalid alert configuration: ${stray.join(", ")} set without TITAN_ALERT_WEBHOOK_URL; ` +
        "set the webhook URL or unset them.",
    );
  }
  const problems: string[] = [];
  checkUrl(url, problems);
  const format = readFormat(env, problems);
  const telegramChatId = readChatId(env, format, problems);
  const timeoutMs = readTimeout(env, problems);
  const rateLimitMs = readRateLimits(env, problems);
  if (problems.length > 0) {
    throw new ConfigError(`Invalid alert configuration:\n- ${problems.join("\n- ")}`);
  }
  return { url, format, telegramChatId, timeoutMs, rateLimitMs };
}

/**
 * Returns the parts of a webhook URL that must be scrubbed wherever text is
 * written: the URL, long path segments (Slack, Discord and Telegram put
 * their tokens there), query values and the password.
 */
export function webhookSecrets(url: string | null | undefined): string[] {
  if (!url) return [];
  const secrets = [url];
  try {
    const parsed = new URL(url);
    secrets.push(parsed.origin + parsed.pathname);
    for (const part of parsed.pathname.split("/")) {
      if (part.length >= 16) secrets.push(...tokenParts(decodeURIComponent(part)), part);
    }
    for (const part of parsed.searchParams.values()) if (part.length >= 8) secrets.push(part);
    if (parsed.password) secrets.push(decodeURIComponent(parsed.password));
  } catch {
    // An invalid URL is reported by loadAlertSettings; scrub it whole.
  }
  return [...new Set(secrets)];
}

/**
 * Returns a path segment and the tokens inside it. Telegram's segment is
 * `bot<id>:<secret>`, and a message may quote the token without `bot` or
 * the secret half alone.
 */
function tokenParts(segment: string): string[] {
  const parts = [segment];
  const token = /^bot(.{16,})$/.exec(segment)?.[1];
  if (token !== undefined) parts.push(token);
  const afterColon = segment.slice(segment.lastIndexOf(":") + 1);
  if (segment.includes(":") && afterColon.length >= 16) parts.push(afterColon);
  return parts;
}

function checkUrl(url: string, problems: string[]): void {
  let parsed: URL | null = null;
  try {
    parsed = new URL(url);
  } catch {
    parsed = null;
  }
  if (parsed === null || (parsed.protocol !== "https:" && parsed.protocol !== "http:")) {
    problems.push(
      "TITAN_ALERT_WEBHOOK_URL is not an http(s) URL (its value is not shown because it is a " +
        "secret); set the full webhook URL, e.g. https://hooks.slack.com/services/....",
    );
  }
}

function readFormat(env: Env, problems: string[]): AlertFormat {
  const text = value(env, "TITAN_ALERT_FORMAT") ?? "json";
  const format = ALERT_FORMATS.find((f) => f === text);
  if (format !== undefined) return format;
  problems.push(
    `TITAN_ALERT_FORMAT=${JSON.stringify(text)} is not a known format; ` +
      `use one of ${ALERT_FORMATS.join(", ")}.`,
  );
  return "json";
}

function readChatId(env: Env, format: AlertFormat, problems: string[]): string | null {
  const chatId = value(env, "TITAN_ALERT_TELEGRAM_CHAT_ID");
  if (format !== "telegram") return null;
  if (chatId === null) {
    problems.push(
      "TITAN_ALERT_FORMAT=telegram needs TITAN_ALERT_TELEGRAM_CHAT_ID (a numeric chat id " +
        "or @channelname).",
    );
    return null;
  }
  if (!CHAT_ID.test(chatId)) {
    problems.push(
      `TITAN_ALERT_TELEGRAM_CHAT_ID=${JSON.stringify(chatId)} is not a chat id; ` +
        "expected digits with an optional leading minus, or @channelname.",
    );
  }
  return chatId;
}

function readTimeout(env: Env, problems: string[]): number {
  const text = value(env, "TITAN_ALERT_TIMEOUT_MS");
  if (text === null) return DEFAULT_ALERT_TIMEOUT_MS;
  const ms = Number(text);
  if (Number.isInteger(ms) && ms >= 100 && ms <= 10_000) return ms;
  problems.push(
    `TITAN_ALERT_TIMEOUT_MS=${JSON.stringify(text)} must be a whole number of ms from 100 ` +
      "to 10000, so a slow webhook cannot hold up a cycle.",
  );
  return DEFAULT_ALERT_TIMEOUT_MS;
}

/**
 * Reads `TITAN_ALERT_RATE_LIMIT_MINUTES`: a number for every kind, or a
 * JSON object of kind to minutes with an optional `default`, e.g.
 * `{"default": 60, "trade": 0}`. Kinds it leaves out keep their defaults.
 */
function readRateLimits(env: Env, problems: string[]): Record<AlertKind, number> {
  const minutes: Record<AlertKind, number> = { ...DEFAULT_RATE_LIMIT_MINUTES };
  const text = value(env, "TITAN_ALERT_RATE_LIMIT_MINUTES");
  if (text !== null) applyRateLimits(text, minutes, problems);
  const result = {} as Record<AlertKind, number>;
  for (const kind of ALERT_KINDS) result[kind] = minutes[kind] * 60_000;
  return result;
}

function applyRateLimits(text: string, minutes: Record<AlertKind, number>, problems: string[]) {
  const name = "TITAN_ALERT_RATE_LIMIT_MINUTES";
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    raw = undefined;
  }
  if (typeof raw === "number") {
    if (checkMinutes(name, raw, problems)) {
      for (const kind of ALERT_KINDS) minutes[kind] = raw;
    }
    return;
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    problems.push(
      `${name}=${JSON.stringify(text)} must be a number of minutes or a JSON object such as ` +
        '{"default": 60, "trade": 0}.',
    );
    return;
  }
  const entries = Object.entries(raw as Record<string, unknown>);
  const fallback = entries.find(([key]) => key === "default")?.[1];
  if (fallback !== undefined && checkMinutes(`${name}.default`, fallback, problems)) {
    for (const kind of ALERT_KINDS) minutes[kind] = fallback as number;
  }
  for (const [key, entry] of entries) {
    if (key === "default") continue;
    const kind = ALERT_KINDS.find((k) => k === key);
    if (kind === undefined) {
      problems.push(`${name} has unknown alert kind ${JSON.stringify(key)}; ` +
        `known kinds: default, ${ALERT_KINDS.join(", ")}.`);
    } else if (checkMinutes(`${name}.${key}`, entry, problems)) {
      minutes[kind] = entry as number;
    }
  }
}

function checkMinutes(where: string, entry: unknown, problems: string[]): boolean {
  if (typeof entry === "number" && Number.isInteger(entry) && entry >= 0 &&
    entry <= MAX_RATE_LIMIT_MINUTES) return true;
  problems.push(
    `${where} = ${JSON.stringify(entry)} must be a whole number of minutes from 0 (no limit) ` +
      `to ${MAX_RATE_LIMIT_MINUTES}.`,
  );
  return false;
}

/** Empty variables count as unset, as in loadConfig. */
function value(env: Env, name: string): string | null {
  const text = env[name];
  return text === undefined || text === "" ? null : text;
}
