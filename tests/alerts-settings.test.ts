import { describe, expect, it } from "vitest";
import type { Env } from "../shared/config/config.ts";
import { ConfigError } from "../shared/config/config.ts";
import { loadAlertSettings, webhookSecrets } from "../shared/alerts/settings.ts";

const URL = "https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXXXXXXXXXXXXXX";

function problems(env: Env): string {
  try {
    loadAlertSettings(env);
    return "";
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
}

describe("loadAlertSettings", () => {
  it("is null without a webhook URL", () => {
    expect(loadAlertSettings({})).toBeNull();
  });

  it("defaults to json, 2 s and 30 minutes", () => {
    const settings = loadAlertSettings({ TITAN_ALERT_WEBHOOK_URL: URL });
    expect(settings?.format).toBe("json");
    expect(settings?.timeoutMs).toBe(2_000);
    expect(settings?.rateLimitMs.halt).toBe(30 * 60_000);
    expect(settings?.rateLimitMs.trade).toBe(0);
  });

  it("applies one number to every kind", () => {
    const settings = loadAlertSettings({ TITAN_ALERT_WEBHOOK_URL: URL, TITAN_ALERT_RATE_LIMIT_MINUTES: "5" });
    expect(settings?.rateLimitMs.trade).toBe(5 * 60_000);
    expect(settings?.rateLimitMs.crash).toBe(5 * 60_000);
  });

  it("reads per-kind minutes over a default", () => {
    const settings = loadAlertSettings({
      TITAN_ALERT_WEBHOOK_URL: URL,
      TITAN_ALERT_RATE_LIMIT_MINUTES: '{"default": 60, "crash": 10}',
    });
    expect(settings?.rateLimitMs.crash).toBe(10 * 60_000);
    expect(settings?.rateLimitMs.halt).toBe(60 * 60_000);
  });

  const cases: [string, Env, RegExp][] = [
    ["a URL that is not http", { TITAN_ALERT_WEBHOOK_URL: "ftp://x/y" }, /not an http\(s\) URL/],
    ["an unknown format", { TITAN_ALERT_WEBHOOK_URL: URL, TITAN_ALERT_FORMAT: "teams" },
      /TITAN_ALERT_FORMAT="teams" is not a known format; use one of slack, discord, telegram, json/],
    ["telegram without a chat id", { TITAN_ALERT_WEBHOOK_URL: URL, TITAN_ALERT_FORMAT: "telegram" },
      /needs TITAN_ALERT_TELEGRAM_CHAT_ID/],
    ["a bad chat id",
      { TITAN_ALERT_WEBHOOK_URL: URL, TITAN_ALERT_FORMAT: "telegram", TITAN_ALERT_TELEGRAM_CHAT_ID: "my chat" },
      /TITAN_ALERT_TELEGRAM_CHAT_ID="my chat" is not a chat id/],
    ["a timeout below 100 ms", { TITAN_ALERT_WEBHOOK_URL: URL, TITAN_ALERT_TIMEOUT_MS: "50" },
      /TITAN_ALERT_TIMEOUT_MS="50" must be a whole number of ms from 100 to 10000/],
    ["a timeout over 10 s", { TITAN_ALERT_WEBHOOK_URL: URL, TITAN_ALERT_TIMEOUT_MS: "60000" },
      /TITAN_ALERT_TIMEOUT_MS="60000"/],
    ["negative minutes", { TITAN_ALERT_WEBHOOK_URL: URL, TITAN_ALERT_RATE_LIMIT_MINUTES: "-1" },
      /TITAN_ALERT_RATE_LIMIT_MINUTES = -1 must be a whole number of minutes/],
    ["an unknown kind", { TITAN_ALERT_WEBHOOK_URL: URL, TITAN_ALERT_RATE_LIMIT_MINUTES: '{"trades": 5}' },
      /unknown alert kind "trades"/],
    ["minutes as text", { TITAN_ALERT_WEBHOOK_URL: URL, TITAN_ALERT_RATE_LIMIT_MINUTES: "often" },
      /must be a number of minutes or a JSON object/],
    ["settings without a URL", { TITAN_ALERT_FORMAT: "slack" },
      /TITAN_ALERT_FORMAT set without TITAN_ALERT_WEBHOOK_URL/],
  ];

  it.each(cases)("rejects %s", (_name, env, message) => {
    expect(problems(env)).toMatch(message);
  });

  it("never quotes the URL in a message", () => {
    const secretUrl = "htps://hooks.example/very-secret-token-value";
    const message = problems({ TITAN_ALERT_WEBHOOK_URL: secretUrl, TITAN_ALERT_FORMAT: "teams" });
    expect(message).toContain("TITAN_ALERT_WEBHOOK_URL");
    expect(message).not.toContain("very-secret-token-value");
  });
});

describe("webhookSecrets", () => {
  it("lists the URL and its token segment", () => {
    const secrets = webhookSecrets(URL);
    expect(secrets).toContain(URL);
    expect(secrets).toContain("XXXXXXXXXXXXXXXXXXXXXXXX");
  });

  it("lists Telegram's token with and without bot", () => {
    const secrets = webhookSecrets("https://api.telegram.org/bot123:ABCDEFGHIJKLMNOPQRSTUVWX/sendMessage");
    expect(secrets).toContain("123:ABCDEFGHIJKLMNOPQRSTUVWX");
    expect(secrets).toContain("ABCDEFGHIJKLMNOPQRSTUVWX");
  });

  it("is empty without a URL", () => {
    expect(webhookSecrets(undefined)).toEqual([]);
  });
});
