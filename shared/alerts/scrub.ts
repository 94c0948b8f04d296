/**
 * Removes secrets from alerts. Alerts leave the system for a third party's
 * chat, so they are scrubbed by value and by field name like blackbox lines.
 *
 * @module
 */
import { REDACTED } from "../blackbox/recorder.ts";
import type { AlertEvent, AlertFieldValue } from "./alerter.ts";

const SECRET_KEY = /secret|password|token|authorization|api_key|apikey|signature|webhook/i;

/** Replaces every secret value in `text`, longest first so no tail of one survives. */
export function scrubText(text: string, secrets: readonly string[]): string {
  const sorted = secrets.filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
  return sorted.reduce((out, secret) => out.split(secret).join(REDACTED), text);
}

/**
 * Returns a copy of `event` with `scrub` applied to its message and text
 * fields, and with fields whose name suggests a secret redacted.
 */
export function scrubEvent(event: AlertEvent, scrub: (text: string) => string): AlertEvent {
  const fields: Record<string, AlertFieldValue> = {};
  for (const [key, value] of Object.entries(event.fields)) {
    if (SECRET_KEY.test(key)) fields[key] = REDACTED;
    else fields[key] = typeof value === "string" ? scrub(value) : value;
  }
  return {
    kind: event.kind,
    market: event.market,
    cycle_id: event.cycle_id,
    message: scrub(event.message),
    fields,
  };
}
