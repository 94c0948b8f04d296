/**
 * Delivers alerts to one webhook (Slack, Discord, Telegram or plain JSON),
 * after the shared rate limit lets them through. Each delivery, rate limit
 * lookup included, ends within `timeoutMs`: a hung webhook is abandoned and
 * reported as a timeout.
 *
 * @module
 */
import type { AlertEvent, Alerter } from "./alerter.ts";
import { alertBody } from "./format.ts";
import type { AlertRateLimiter } from "./rate-limit.ts";
import { scrubEvent, scrubText } from "./scrub.ts";
import type { AlertSettings } from "./settings.ts";

/** A delivery that failed: the webhook's status or the network error, with no secret. */
export class AlertDeliveryError extends Error {
  override readonly name = "AlertDeliveryError";
}

export interface WebhookAlerterOptions {
  settings: AlertSettings;
  /** Without it every alert is sent. */
  limiter?: AlertRateLimiter;
  /** Wall-clock time for the rate limit, ms since the epoch. */
  now: () => number;
  /** Values to remove from every alert and error; add the webhook's own parts. */
  secrets: readonly (string | undefined)[];
  /** Default: the global fetch. */
  fetch?: typeof fetch;
  /**
   * Keeps the runtime alive until a delivery ends, e.g. Supabase's
   * `EdgeRuntime.waitUntil`, so a response sent first does not cut it off.
   */
  waitUntil?: (promise: Promise<unknown>) => void;
  /** Receives rate limit lookups that failed; the alert is then sent anyway. */
  onLimiterError?: (message: string) => void;
}

export class WebhookAlerter implements Alerter {
  readonly #options: WebhookAlerterOptions;
  readonly #secrets: string[];

  constructor(options: WebhookAlerterOptions) {
    this.#options = options;
    this.#secrets = options.secrets.filter((s): s is string => typeof s === "string" && s.length >= 4);
  }

  send(event: AlertEvent): Promise<void> {
    const delivery = this.#deliver(event);
    this.#options.waitUntil?.(delivery.catch(() => {}));
    return delivery;
  }

  async #deliver(event: AlertEvent): Promise<void> {
    const { settings } = this.#options;
    const clean = scrubEvent(event, (text) => scrubText(text, this.#secrets));
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), settings.timeoutMs);
    try {
      const suppressed = await this.#gate(clean, abort.signal);
      if (suppressed === null) return;
      const body = alertBody(settings.format, clean, {
        suppressed,
        telegramChatId: settings.telegramChatId,
      });
      await this.#post(clean, JSON.stringify(body), abort.signal);
    } catch (error) {
      throw this.#describe(clean, error, abort.signal.aborted);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Returns the suppressed count to report, or null when the rate limit drops the alert. */
  async #gate(event: AlertEvent, signal: AbortSignal): Promise<number | null> {
    const { limiter, settings, now } = this.#options;
    const windowMs = settings.rateLimitMs[event.kind];
    if (!limiter || windowMs === 0) return 0;
    try {
      const gate = await abortable(limiter.gate(event.kind, event.market, windowMs, now()), signal);
      return gate.send ? gate.suppressed : null;
    } catch (error) {
      if (signal.aborted) throw error;
      // An alert matters more than a duplicate: a database fault must not silence a crash alert.
      const message = error instanceof Error ? error.message : String(error);
      this.#options.onLimiterError?.(scrubText(message, this.#secrets));
      return 0;
    }
  }

  async #post(event: AlertEvent, body: string, signal: AbortSignal): Promise<void> {
    const fetcher = this.#options.fetch ?? fetch;
    const response = await fetcher(this.#options.settings.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
      signal,
    });
    if (response.ok) {
      await response.body?.cancel();
      return;
    }
    const text = (await response.text().catch(() => "")).slice(0, 200);
    throw new AlertDeliveryError(
      `Sending the ${event.kind} alert failed: the webhook responded HTTP ${response.status} ` +
        `${JSON.stringify(text)}. Check TITAN_ALERT_WEBHOOK_URL and TITAN_ALERT_FORMAT ` +
        `(${this.#options.settings.format}).`,
    );
  }

  #describe(event: AlertEvent, error: unknown, timedOut: boolean): AlertDeliveryError {
    if (timedOut) {
      return new AlertDeliveryError(
        `Sending the ${event.kind} alert timed out after ${this.#options.settings.timeoutMs} ms; ` +
          "check that the webhook is reachable, or raise TITAN_ALERT_TIMEOUT_MS.",
      );
    }
    if (error instanceof AlertDeliveryError) {
      return new AlertDeliveryError(scrubText(error.message, this.#secrets));
    }
    const err = error instanceof Error ? error : new Error(String(error));
    const cause = err.cause instanceof Error ? `: ${err.cause.message}` : "";
    return new AlertDeliveryError(
      scrubText(`Sending the ${event.kind} alert failed: ${err.message}${cause}.`, this.#secrets),
    );
  }
}

/** Settles with `promise`, or rejects as soon as `signal` aborts. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error("aborted"));
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
