/**
 * Regression tests for defects found by attacking LIVE trading and the Edge
 * Functions: order lookup under clock skew, a retried flatten, and the same
 * log ingested by path and by body.
 */
import { afterEach, describe, expect, it } from "vitest";
import { runCycle } from "../shared/cycle/run-cycle.ts";
import {
  AT_1215,
  type LiveHarness,
  type LiveHarnessOptions,
  risingCandles,
  rowsOf,
  SLOT_1215,
  startLiveHarness,
} from "./helpers/live-harness.ts";
import {
  bearer,
  CRON_SECRET,
  type FunctionsStack,
  REVOKE_SECRET,
  startFunctionsStack,
  trendCandles,
} from "./helpers/functions-stack.ts";

const INTERVAL = 15 * 60 * 1000;
const AT_1230 = AT_1215 + INTERVAL;
/** Short timeouts, so a dropped reply costs one second. */
const FAST = {
  TITAN_EXCHANGE_TIMEOUT_MS: "1000",
  TITAN_LATENCY_BUDGET_MS: "800",
  TITAN_CYCLE_DEADLINE_MS: "8000",
  TITAN_RETRY_BACKOFF_MS: "10",
  TITAN_RISK_PARAMS: '{"maxOrderCost":400}',
};

let harness: LiveHarness | null = null;
afterEach(async () => {
  await harness?.close();
  harness = null;
});

async function start(options: Partial<LiveHarnessOptions> = {}): Promise<LiveHarness> {
  harness = await startLiveHarness({
    candles: risingCandles(SLOT_1215, 40_000, 3),
    now: AT_1215,
    ...options,
    env: { ...FAST, ...options.env },
    sim: { spreadBps: 0, ...options.sim },
  });
  return harness;
}

/** Runs the cycle at `botMs` on the bot's clock while the exchange clock reads `exchangeMs`. */
function runSkewed(h: LiveHarness, botMs: number, exchangeMs: number) {
  h.clock.set(botMs);
  h.sim.setClock(exchangeMs);
  return runCycle(h.deps(), { market: "BTC/USD" });
}

describe("order lookup under allowed clock skew", () => {
  // The exchange clock 1.5 s behind the bot's is inside the default 2 s skew.
  const BEHIND_MS = 1_500;

  it("finds the fill after a lost reply", async () => {
    const h = await start();
    h.sim.injectFault({ kind: "drop_reply", endpoint: "AddOrder", count: 1 });
    const result = await runSkewed(h, AT_1215, AT_1215 - BEHIND_MS);
    expect(h.sim.orders()).toHaveLength(1);
    expect(result.abortReason).toBeNull();
    const [row] = await rowsOf(h.client, "orders", "order by id");
    expect(row?.status).toBe("filled");
  });

  it("reconciles the fill instead of orphaning it", async () => {
    const h = await start();
    h.sim.injectFault({ kind: "drop_reply", endpoint: "AddOrder", count: 1 });
    await runSkewed(h, AT_1215, AT_1215 - BEHIND_MS);
    await runSkewed(h, AT_1230, AT_1230 - BEHIND_MS);
    const [row] = await rowsOf(h.client, "orders", "order by id");
    expect(row?.status).toBe("filled");
    expect(await h.protections.readHalt("BTC/USD")).toBeNull();
    const [position] = await h.client.query<{ amount: string }>(
      "select amount from live_positions where market = 'BTC/USD'",
    );
    expect(Number(position?.amount ?? 0)).toBe(Number(h.sim.balances().XXBT ?? 0));
  });
});

describe("revoke flatten after a failed sale", () => {
  let stack: FunctionsStack | null = null;
  afterEach(async () => {
    await stack?.close();
    stack = null;
  });

  async function call(name: string, secret: string, body: unknown) {
    const response = await stack!.server.call(name, {
      headers: bearer(secret),
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  it("sells on the second flatten call", async () => {
    stack = await startFunctionsStack({ candles: trendCandles(10), management: false });
    const bought = await call("run-cycle", CRON_SECRET, { market: "BTC/USD" });
    expect(bought.status).toBe(200);
    stack.sim.injectFault({ kind: "html", status: 520 });
    const first = await call("revoke", REVOKE_SECRET, { reason: "drill", mode: "flatten" });
    expect(first.status).toBe(502);
    expect((first.body.flatten as Array<{ status: string }>)[0]?.status).toBe("failed");
    stack.sim.clearFaults();

    const second = await call("revoke", REVOKE_SECRET, { reason: "drill again", mode: "flatten" });
    expect(second.body.flatten).not.toBe("already flattened by an earlier call");
    const [btc] = await stack.sql`select amount from paper_balances where asset = 'BTC'`;
    expect(Number(btc?.amount ?? 0)).toBe(0);
  });
});

describe("ingest-logs of one log by path and by body", () => {
  let stack: FunctionsStack | null = null;
  afterEach(async () => {
    await stack?.close();
    stack = null;
  });

  it("stores each line once", async () => {
    stack = await startFunctionsStack();
    const cycle = await stack.server.call("run-cycle", { headers: bearer(CRON_SECRET) });
    expect(cycle.status).toBe(200);
    const [row] = await stack.sql`select blackbox_path from execution_logs`;
    const path = String(row?.blackbox_path);
    const text = stack.storage?.objects.get(`blackbox/${path}`)?.body ?? "";
    const byPath = await stack.server.call("ingest-logs", {
      headers: bearer(CRON_SECRET, { "content-type": "application/json" }),
      body: JSON.stringify({ path }),
    });
    expect(byPath.status).toBe(200);
    const byBody = await stack.server.call("ingest-logs", {
      headers: bearer(CRON_SECRET, { "content-type": "text/plain" }),
      body: text,
    });
    expect(byBody.status).toBe(200);

    const lines = text.trimEnd().split("\n").length;
    const [{ count } = { count: -1 }] = await stack.sql`select count(*)::int as count
      from blackbox_events where event = 'CYCLE START'`;
    expect(count).toBe(1);
    const [{ total } = { total: -1 }] = await stack
      .sql`select count(*)::int as total from blackbox_events`;
    expect(total).toBe(lines);
  });
});
