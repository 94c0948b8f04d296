import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import ccxt from "ccxt";
import { afterEach, describe, expect, it } from "vitest";
import { bearer, CRON_SECRET, REVOKE_SECRET } from "./helpers/functions-stack.ts";
import {
  type LiveFunctionsStack,
  startLiveFunctionsStack,
} from "./helpers/live-functions-stack.ts";
import { AT_1215, risingCandles, SLOT_1215 } from "./helpers/live-harness.ts";

type Body = Record<string, unknown>;

let stack: LiveFunctionsStack | null = null;
afterEach(async () => {
  await stack?.close();
  stack = null;
});

async function post(s: LiveFunctionsStack, name: string, secret: string, body: unknown) {
  const response = await s.server.call(name, {
    headers: bearer(secret),
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, text, body: JSON.parse(text) as Body };
}

/** Reads every file under `dir` as text. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => readFileSync(join(entry.parentPath, entry.name), "utf8"));
}

describe("LIVE functions over HTTP", () => {
  it("run-cycle places a write-ahead order", async () => {
    stack = await startLiveFunctionsStack(risingCandles(SLOT_1215, 40_000, 1), AT_1215);
    const { status, body, text } = await post(stack, "run-cycle", CRON_SECRET, {
      market: "BTC/USD",
    });
    const [result] = body.results as Body[];
    expect(status).toBe(200);
    expect(body.mode).toBe("LIVE");
    expect(result?.decision).toBe("BUY");
    const [order] = stack.sim.orders();
    const [row] = await stack.sql`select status, exchange_order_id from orders`;
    expect(row?.status).toBe("filled");
    expect(row?.exchange_order_id).toBe(order?.txid);
    const { apiKey, apiSecret } = stack.sim.credentials;
    const records = [text, ...filesUnder(stack.home), ...stack.server.output];
    expect(records.filter((r) => r.includes(apiKey) || r.includes(apiSecret))).toEqual([]);
  }, 90_000);

  it("revoke cancels open orders and flattens", async () => {
    stack = await startLiveFunctionsStack(risingCandles(SLOT_1215, 40_000, 1), AT_1215);
    await post(stack, "run-cycle", CRON_SECRET, { market: "BTC/USD" });
    const bought = stack.sim.orders()[0]?.volumeExecuted ?? 0;
    const kraken = new ccxt.kraken({
      apiKey: stack.sim.credentials.apiKey,
      secret: stack.sim.credentials.apiSecret,
      urls: { api: { public: stack.sim.url, private: stack.sim.url } },
    });
    // Milliseconds, like the functions' nonces, so theirs stay larger after this call.
    kraken.nonce = () => Date.now();
    await kraken.privatePostAddOrder({
      pair: "XXBTZUSD",
      type: "buy",
      ordertype: "limit",
      price: "30000.0",
      volume: "0.01000000",
    });

    const { status, body } = await post(stack, "revoke", REVOKE_SECRET, {
      reason: "flatten drill",
      mode: "flatten",
    });
    expect(status).toBe(200);
    expect(body.exchange).toEqual({ status: "canceled", count: 1 });
    const [sale] = body.flatten as Body[];
    expect(sale?.status).toBe("sold");
    expect((sale?.fill as Body).amount).toBe(bought);
    const sides = await stack.sql`select side, status from orders order by id`;
    expect(sides.map((o) => `${o.side} ${o.status}`)).toEqual(["buy filled", "sell filled"]);
    expect(Number(stack.sim.balances().XXBT)).toBe(0);
    expect(stack.sim.orders().map((o) => o.status)).toEqual(["closed", "canceled", "closed"]);
  }, 90_000);
});
