import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AlertEvent } from "../shared/alerts/alerter.ts";
import { SqlAlertRateLimiter } from "../shared/alerts/rate-limit.ts";
import { loadAlertSettings, webhookSecrets } from "../shared/alerts/settings.ts";
import { AlertDeliveryError, WebhookAlerter } from "../shared/alerts/webhook.ts";
import type { Env } from "../shared/config/config.ts";
import { createPostgresClient } from "../shared/journal/drivers/postgres.ts";
import type { SqlClient } from "../shared/journal/sql-client.ts";
import { createTestDatabase } from "./helpers/database.ts";
import { startWebhookReceiver, type WebhookReceiver } from "./helpers/webhook-receiver.ts";

const T0 = Date.UTC(2024, 0, 15, 12, 15);
const SECRET_HALF = "AAFakeTelegramBotTokenForTests";
const TOKEN = `123456789:${SECRET_HALF}`;

let receiver: WebhookReceiver;
beforeEach(async () => {
  receiver = await startWebhookReceiver();
});
afterEach(async () => {
  await receiver.close();
});

function haltEvent(overrides: Partial<AlertEvent> = {}): AlertEvent {
  return {
    kind: "halt",
    market: "BTC/USD",
    cycle_id: "BTCUSD-20240115T1215Z",
    message: "Equity is 32.5 % below its peak; maxDrawdownPct is 20 %.",
    fields: { reason: "MAX_DRAWDOWN", limit: 20, value: 32.5 },
    ...overrides,
  };
}

function alerter(env: Env, extra: Partial<ConstructorParameters<typeof WebhookAlerter>[0]> = {}) {
  const settings = loadAlertSettings({ TITAN_ALERT_RATE_LIMIT_MINUTES: "0", ...env });
  if (settings === null) throw new Error("alert settings expected");
  return new WebhookAlerter({
    settings,
    now: () => T0,
    secrets: webhookSecrets(settings.url),
    ...extra,
  });
}

describe("WebhookAlerter formats", () => {
  it("posts Slack's text", async () => {
    await alerter({ TITAN_ALERT_WEBHOOK_URL: `${receiver.url}/services/T0/B0/abc`, TITAN_ALERT_FORMAT: "slack" })
      .send(haltEvent());
    const [request] = receiver.requests;
    expect(Object.keys(request?.json ?? {})).toEqual(["text"]);
    expect(String(request?.json?.text)).toContain("TITAN-OMNI MARKET HALTED BTC/USD");
    expect(String(request?.json?.text)).toContain("reason: MAX_DRAWDOWN");
    expect(request?.contentType).toBe("application/json");
  });

  it("posts Discord's content", async () => {
    await alerter({ TITAN_ALERT_WEBHOOK_URL: `${receiver.url}/api/webhooks/1/x`, TITAN_ALERT_FORMAT: "discord" })
      .send(haltEvent());
    const [request] = receiver.requests;
    expect(Object.keys(request?.json ?? {})).toEqual(["content"]);
    expect(String(request?.json?.content)).toContain("maxDrawdownPct is 20 %");
  });

  it("posts Telegram's chat_id and text", async () => {
    await alerter({
      TITAN_ALERT_WEBHOOK_URL: `${receiver.url}/bot${TOKEN}/sendMessage`,
      TITAN_ALERT_FORMAT: "telegram",
      TITAN_ALERT_TELEGRAM_CHAT_ID: "-1001234567",
    }).send(haltEvent());
    const [request] = receiver.requests;
    expect(request?.path).toBe(`/bot${TOKEN}/sendMessage`);
    expect(request?.json?.chat_id).toBe("-1001234567");
    expect(String(request?.json?.text)).toContain("cycle: BTCUSD-20240115T1215Z");
  });

  it("posts the event itself as json", async () => {
    await alerter({ TITAN_ALERT_WEBHOOK_URL: `${receiver.url}/hook` }).send(haltEvent());
    expect(receiver.requests[0]?.json).toEqual({ ...haltEvent(), suppressed: 0 });
  });
});

describe("WebhookAlerter failures", () => {
  it("rejects with the webhook's status", async () => {
    receiver.respondWith({ status: 500, body: "internal error" });
    const send = alerter({ TITAN_ALERT_WEBHOOK_URL: `${receiver.url}/hook` }).send(haltEvent());
    await expect(send).rejects.toThrow(AlertDeliveryError);
    await expect(send).rejects.toThrow(/responded HTTP 500 "internal error"/);
  });

  it("gives up on a hung webhook at the timeout", async () => {
    receiver.respondWith("hang");
    const started = performance.now();
    const send = alerter({ TITAN_ALERT_WEBHOOK_URL: `${receiver.url}/hook`, TITAN_ALERT_TIMEOUT_MS: "300" })
      .send(haltEvent());
    await expect(send).rejects.toThrow(/timed out after 300 ms/);
    expect(performance.now() - started).toBeLessThan(1_300);
  });

  it("rejects when nothing listens", async () => {
    const url = receiver.url;
    await receiver.close();
    receiver = await startWebhookReceiver();
    const send = alerter({ TITAN_ALERT_WEBHOOK_URL: `${url}/hook` }).send(haltEvent());
    await expect(send).rejects.toThrow(/Sending the halt alert failed/);
  });
});

describe("WebhookAlerter secrets", () => {
  const SECRET = "kraken-secret-value-0123456789";

  it("scrubs secret values from the payload", async () => {
    const send = alerter({ TITAN_ALERT_WEBHOOK_URL: `${receiver.url}/hook` }, { secrets: [SECRET] });
    await send.send(haltEvent({
      message: `Order failed: invalid key ${SECRET}`,
      fields: { detail: `nonce for ${SECRET}`, api_key: "anything" },
    }));
    const body = receiver.requests[0]?.body ?? "";
    expect(body).not.toContain(SECRET);
    expect(receiver.requests[0]?.json?.message).toBe("Order failed: invalid key [REDACTED]");
    expect((receiver.requests[0]?.json?.fields as Record<string, unknown>).api_key).toBe("[REDACTED]");
  });

  it("keeps the bot token out of the payload", async () => {
    const url = `${receiver.url}/bot${TOKEN}/sendMessage`;
    await alerter({
      TITAN_ALERT_WEBHOOK_URL: url,
      TITAN_ALERT_FORMAT: "telegram",
      TITAN_ALERT_TELEGRAM_CHAT_ID: "42",
    }).send(haltEvent({ message: `Posting to ${url} for bot ${TOKEN}`, fields: { key: SECRET_HALF } }));
    expect(receiver.requests[0]?.body).not.toContain(TOKEN);
    expect(receiver.requests[0]?.body).not.toContain(SECRET_HALF);
  });

  it("keeps the URL out of a failure message", async () => {
    const url = `${receiver.url}/bot${TOKEN}/sendMessage`;
    const failing: typeof fetch = () =>
      Promise.reject(new Error(`error sending request for url (${url}): connection reset`));
    const send = alerter(
      { TITAN_ALERT_WEBHOOK_URL: url, TITAN_ALERT_FORMAT: "telegram", TITAN_ALERT_TELEGRAM_CHAT_ID: "42" },
      { fetch: failing },
    ).send(haltEvent());
    const error = await send.catch((e: Error) => e);
    expect(String(error)).toContain("connection reset");
    expect(String(error)).not.toContain(TOKEN);
  });
});

describe("WebhookAlerter rate limit", () => {
  let client: SqlClient;
  beforeEach(async () => {
    client = createPostgresClient(await createTestDatabase());
  });
  afterEach(async () => {
    await client.close();
  });

  function limited(now: { t: number }, minutes = "30") {
    return alerter(
      { TITAN_ALERT_WEBHOOK_URL: `${receiver.url}/hook`, TITAN_ALERT_RATE_LIMIT_MINUTES: minutes },
      { limiter: new SqlAlertRateLimiter(client), now: () => now.t },
    );
  }

  it("sends one alert per kind and market per window", async () => {
    const now = { t: T0 };
    const send = limited(now);
    await send.send(haltEvent());
    now.t += 60_000;
    await send.send(haltEvent());
    now.t += 60_000;
    await send.send(haltEvent());
    expect(receiver.requests).toHaveLength(1);
  });

  it("reports the suppressed count in the next alert", async () => {
    const now = { t: T0 };
    const send = limited(now);
    for (let i = 0; i < 3; i++) {
      await send.send(haltEvent());
      now.t += 60_000;
    }
    now.t = T0 + 30 * 60_000;
    await send.send(haltEvent());
    expect(receiver.requests).toHaveLength(2);
    expect(receiver.requests[1]?.json?.suppressed).toBe(2);
  });

  it("writes the count in the text formats", async () => {
    const now = { t: T0 };
    const send = alerter(
      { TITAN_ALERT_WEBHOOK_URL: `${receiver.url}/s`, TITAN_ALERT_FORMAT: "slack", TITAN_ALERT_RATE_LIMIT_MINUTES: "30" },
      { limiter: new SqlAlertRateLimiter(client), now: () => now.t },
    );
    await send.send(haltEvent());
    await send.send(haltEvent());
    now.t += 31 * 60_000;
    await send.send(haltEvent());
    expect(String(receiver.requests[1]?.json?.text)).toContain(
      "(1 earlier halt alert(s) for BTC/USD were suppressed by the rate limit)",
    );
  });

  it("limits each market and kind apart", async () => {
    const send = limited({ t: T0 });
    await send.send(haltEvent());
    await send.send(haltEvent({ market: "ETH/USD" }));
    await send.send(haltEvent({ kind: "crash" }));
    expect(receiver.requests).toHaveLength(3);
  });

  it("keeps the state in the database", async () => {
    await limited({ t: T0 }).send(haltEvent());
    await limited({ t: T0 + 1_000 }).send(haltEvent());
    const rows = await client.query<{ suppressed: number }>(
      "select suppressed from alert_rate_limits where kind = 'halt' and market = 'BTC/USD'",
    );
    expect(rows[0]?.suppressed).toBe(1);
    expect(receiver.requests).toHaveLength(1);
  });

  it("lets one of concurrent alerts through", async () => {
    const send = limited({ t: T0 });
    await Promise.all(Array.from({ length: 5 }, () => send.send(haltEvent())));
    expect(receiver.requests).toHaveLength(1);
  });

  it("does not limit trades by default", async () => {
    const settings = loadAlertSettings({ TITAN_ALERT_WEBHOOK_URL: `${receiver.url}/hook` });
    const send = new WebhookAlerter({
      settings: settings!,
      limiter: new SqlAlertRateLimiter(client),
      now: () => T0,
      secrets: [],
    });
    await send.send(haltEvent({ kind: "trade" }));
    await send.send(haltEvent({ kind: "trade" }));
    expect(receiver.requests).toHaveLength(2);
  });

  it("sends anyway when the lookup fails", async () => {
    const errors: string[] = [];
    await client.close();
    const send = alerter(
      { TITAN_ALERT_WEBHOOK_URL: `${receiver.url}/hook`, TITAN_ALERT_RATE_LIMIT_MINUTES: "30" },
      { limiter: new SqlAlertRateLimiter(client), onLimiterError: (m) => errors.push(m) },
    );
    await send.send(haltEvent());
    expect(receiver.requests).toHaveLength(1);
    expect(errors).toHaveLength(1);
    client = createPostgresClient(await createTestDatabase());
  });
});
