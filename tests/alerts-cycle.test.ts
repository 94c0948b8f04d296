import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SqlAlertRateLimiter } from "../shared/alerts/rate-limit.ts";
import { loadAlertSettings, webhookSecrets } from "../shared/alerts/settings.ts";
import { WebhookAlerter } from "../shared/alerts/webhook.ts";
import { parseLog } from "../shared/blackbox/parse.ts";
import type { Env } from "../shared/config/config.ts";
import type { CycleDeps } from "../shared/cycle/context.ts";
import { runCycle } from "../shared/cycle/run-cycle.ts";
import { SqlProtectionStore } from "../shared/protections/sql-store.ts";
import { INTERVAL, syntheticCandles } from "./helpers/candles.ts";
import { type Harness, startHarness } from "./helpers/cycle-harness.ts";
import { startWebhookReceiver, type WebhookReceiver } from "./helpers/webhook-receiver.ts";

const SLOT = Date.UTC(2024, 0, 15, 12, 15);
const AT = SLOT + 5_000;
const SECRET = "db-password-that-must-not-leak";

let harness: Harness | null = null;
let receiver: WebhookReceiver;
beforeEach(async () => {
  receiver = await startWebhookReceiver();
});
afterEach(async () => {
  await harness?.close();
  harness = null;
  await receiver.close();
});

/** 300 candles ending with the slot's open candle; `step` > 0 is an uptrend (BUY). */
function trend(step: number) {
  const count = 300;
  return syntheticCandles({ start: SLOT - (count - 1) * INTERVAL, count, price: (i) => 40000 + i * step });
}

/** Cycle dependencies with the protection store and a webhook alerter to the receiver. */
function deps(h: Harness, env: Env = {}, overrides: Partial<CycleDeps> = {}): CycleDeps {
  const settings = loadAlertSettings({ TITAN_ALERT_WEBHOOK_URL: `${receiver.url}/hook`, ...env })!;
  const secrets = [SECRET, ...webhookSecrets(settings.url)];
  const alerter = new WebhookAlerter({
    settings,
    limiter: new SqlAlertRateLimiter(h.client),
    now: () => h.clock.now(),
    secrets,
  });
  return h.deps({ protections: new SqlProtectionStore(h.client), alerter, secrets, ...overrides });
}

function blackbox(h: Harness, path: string | null) {
  return parseLog(h.sink.files.get(path ?? "") ?? "").flatMap((line) => (line.ok ? [line] : []));
}

describe("cycle alerts", () => {
  it("sends a trade alert for a fill", async () => {
    harness = await startHarness(trend(10), AT);
    const result = await runCycle(deps(harness), { market: "BTC/USD" });
    expect(result.fill?.side).toBe("buy");
    const [request] = receiver.requests;
    expect(request?.json?.kind).toBe("trade");
    expect(request?.json?.cycle_id).toBe(result.cycleId);
    expect((request?.json?.fields as Record<string, unknown>).side).toBe("buy");
    expect(String(request?.json?.message)).toMatch(/^PAPER BUY [\d.]+ BTC on BTC\/USD at /);
  });

  it("logs the alert before the cycle ends", async () => {
    harness = await startHarness(trend(10), AT);
    const result = await runCycle(deps(harness), { market: "BTC/USD" });
    const names = blackbox(harness, result.blackboxPath).map((line) => line.event);
    expect(names.indexOf("ALERT")).toBeGreaterThan(names.indexOf("BUY"));
    expect(names.indexOf("ALERT")).toBeLessThan(names.indexOf("CYCLE END"));
  });

  it("sends a halt alert once", async () => {
    const env = { TITAN_PROTECTIONS: '{"default": {"maxPositionBase": 0.5}}' };
    harness = await startHarness(trend(0), AT, { ...env, TITAN_PAPER_START_BALANCES: "USD=10,BTC=1" });
    await runCycle(deps(harness), { market: "BTC/USD" });
    harness.clock.set(AT + INTERVAL);
    await runCycle(deps(harness), { market: "BTC/USD", slot: SLOT + INTERVAL });
    expect(receiver.requests.map((r) => r.json?.kind)).toEqual(["halt"]);
    const fields = receiver.requests[0]?.json?.fields as Record<string, unknown>;
    expect(fields.reason).toBe("MAX_POSITION");
    expect(fields.limit).toBe(0.5);
  });

  it("sends no alert for a quiet cycle", async () => {
    harness = await startHarness(trend(0), AT);
    const result = await runCycle(deps(harness), { market: "BTC/USD" });
    expect(result.decision).toBe("HOLD");
    expect(receiver.requests).toEqual([]);
  });
});

describe("cycle alerts that fail", () => {
  it("ends a hung webhook at the alert timeout", async () => {
    harness = await startHarness(trend(10), AT);
    receiver.respondWith("hang");
    const started = performance.now();
    const result = await runCycle(
      deps(harness, { TITAN_ALERT_TIMEOUT_MS: "300" }, { alertWaitMs: 10_000 }),
      { market: "BTC/USD" },
    );
    const elapsed = performance.now() - started;
    expect(result.outcome).toBe("completed");
    expect(receiver.requests).toHaveLength(1);
    const failed = blackbox(harness, result.blackboxPath).find((l) => l.event === "ALERT FAILED");
    expect(String(failed?.fields.error)).toContain("timed out after 300 ms");
    expect(elapsed).toBeLessThan(300 + 2_500);
  });

  it("stops waiting at alertWaitMs", async () => {
    harness = await startHarness(trend(10), AT);
    receiver.respondWith("hang");
    const result = await runCycle(
      deps(harness, { TITAN_ALERT_TIMEOUT_MS: "5000" }, { alertWaitMs: 200 }),
      { market: "BTC/USD" },
    );
    const pending = blackbox(harness, result.blackboxPath).find((l) => l.event === "ALERT PENDING");
    expect(pending?.fields.wait_ms).toBe(200);
    expect(result.payload?.timing.total_ms).toBeLessThan(5_000);
  });

  it("logs a webhook error and keeps the outcome", async () => {
    harness = await startHarness(trend(10), AT);
    receiver.respondWith({ status: 500, body: "boom" });
    const result = await runCycle(deps(harness), { market: "BTC/USD" });
    expect(result.outcome).toBe("completed");
    const failed = blackbox(harness, result.blackboxPath).find((l) => l.event === "ALERT FAILED");
    expect(failed?.fields.kind).toBe("trade");
    expect(String(failed?.fields.error)).toContain("responded HTTP 500");
    const [row] = await harness.client.query<{ status: string }>("select status from execution_logs");
    expect(row?.status).toBe("completed");
  });
});

describe("cycle alert secrets", () => {
  /** A store whose equity write fails with a message that quotes a secret. */
  class LeakyStore extends SqlProtectionStore {
    override trackEquity(): never {
      throw new Error(`connection to postgres://titan:${SECRET}@db failed`);
    }
  }

  it("scrubs a secret from a crash alert", async () => {
    harness = await startHarness(trend(10), AT);
    const result = await runCycle(
      deps(harness, {}, { protections: new LeakyStore(harness.client) }),
      { market: "BTC/USD" },
    );
    expect(result.outcome).toBe("crashed");
    const [request] = receiver.requests;
    expect(request?.json?.kind).toBe("crash");
    expect(request?.body).not.toContain(SECRET);
    expect(String(request?.json?.message)).toContain("[REDACTED]");
  });

  it("keeps the webhook URL out of the blackbox", async () => {
    harness = await startHarness(trend(10), AT);
    const url = `${receiver.url}/bot123456:ABCDEFGHIJKLMNOPQRSTUV/sendMessage`;
    const failing: typeof fetch = () => Promise.reject(new Error(`request to ${url} failed`));
    const settings = loadAlertSettings({ TITAN_ALERT_WEBHOOK_URL: url })!;
    const secrets = webhookSecrets(url);
    const alerter = new WebhookAlerter({ settings, now: () => AT, secrets, fetch: failing });
    const result = await runCycle(
      harness.deps({ protections: new SqlProtectionStore(harness.client), alerter, secrets }),
      { market: "BTC/USD" },
    );
    const text = harness.sink.files.get(result.blackboxPath ?? "") ?? "";
    expect(text).toContain("ALERT FAILED");
    expect(text).not.toContain("ABCDEFGHIJKLMNOPQRSTUV");
  });
});
