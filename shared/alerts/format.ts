/**
 * Webhook bodies for each alert format: Slack incoming webhooks take
 * `{"text"}`, Discord webhooks `{"content"}`, the Telegram Bot API's
 * sendMessage `{"chat_id", "text"}`, and `json` posts the event itself.
 *
 * @module
 */
import type { AlertEvent, AlertFieldValue } from "./alerter.ts";

export const ALERT_FORMATS = ["slack", "discord", "telegram", "json"] as const;
export type AlertFormat = (typeof ALERT_FORMATS)[number];

/**
 * Maximum text length sent. Discord rejects content over 2,000 characters and
 * Telegram text over 4,096; Slack accepts more.
 */
export const MAX_TEXT_CHARS = 1_900;

const TITLES: Record<AlertEvent["kind"], string> = {
  trade: "TRADE",
  halt: "MARKET HALTED",
  crash: "CRASH",
  abort_streak: "ABORT STREAK",
  mode_change: "MODE CHANGE",
  orphaned_order: "ORPHANED ORDER",
};

export interface BodyOptions {
  /** Alerts of this kind and market dropped by the rate limit since the last one sent. */
  suppressed: number;
  /** Required for `telegram`. */
  telegramChatId?: string | null;
}

/** Builds the JSON body of one alert in `format`. */
export function alertBody(
  format: AlertFormat,
  event: AlertEvent,
  options: BodyOptions,
): Record<string, unknown> {
  if (format === "json") return { ...event, suppressed: options.suppressed };
  const text = alertText(event, options.suppressed);
  if (format === "slack") return { text };
  if (format === "discord") return { content: text };
  if (!options.telegramChatId) {
    throw new TypeError("A telegram alert needs a chat id; set TITAN_ALERT_TELEGRAM_CHAT_ID.");
  }
  return { chat_id: options.telegramChatId, text };
}

/**
 * Renders an alert as plain text: a title line, the message, one line per
 * field, and the count of suppressed alerts when there were any.
 */
export function alertText(event: AlertEvent, suppressed: number): string {
  const scope = event.market ?? "all markets";
  const lines = [`TITAN-OMNI ${TITLES[event.kind]} ${scope}`, event.message];
  for (const [key, value] of Object.entries(event.fields)) lines.push(`${key}: ${show(value)}`);
  if (event.cycle_id !== null) lines.push(`cycle: ${event.cycle_id}`);
  if (suppressed > 0) {
    lines.push(
      `(${suppressed} earlier ${event.kind} alert(s) for ${scope} were suppressed by the rate limit)`,
    );
  }
  const text = lines.join("\n");
  return text.length <= MAX_TEXT_CHARS ? text : `${text.slice(0, MAX_TEXT_CHARS - 1)}…`;
}

function show(value: AlertFieldValue): string {
  return value === null ? "-" : String(value);
}
