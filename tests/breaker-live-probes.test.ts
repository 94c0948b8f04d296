/**
 * Attacks on LIVE trading and the Edge Functions that found no defect. They
 * pass today and guard the behaviour they probed.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { readKrakenBalances } from "../shared/live/asset-codes.ts";
import {
  bearer,
  CRON_SECRET,
  type FunctionsStack,
  REVOKE_SECRET,
  startFunctionsStack,
} from "./helpers/functions-stack.ts";
import {
  AT_1215,
  type LiveHarness,
  risingCandles,
  rowsOf,
  SLOT_1215,
  startLiveHarness,
} from "./helpers/live-harness.ts";

const INTERVAL = 15 * 60 * 1000;

describe("Kraken balance codes", () => {
  const cases: Array<[string, Record<string, unknown>, number, number]> = [
    ["XBT.M staked", { XXBT: "0.1", "XBT.M": "0.2" }, 0.1, 0.30000000000000004],
    ["XBT.B yield", { "XBT.B": "0.5" }, 0, 0.5],
    ["XXBT.S staked", { XBT: "0.1", "XXBT.S": "0.1" }, 0.1, 0.2],
    ["lowercase code", { xxbt: "0.25" }, 0.25, 0.25],
    ["held by orders", { XXBT: { balance: "0.5", hold_trade: "0.7" } }, 0, 0.5],
  ];
  for (const [name, reply, free, total] of cases) {
    it(`${name} reads free and total BTC`, () => {
      const balances = readKrakenBalances(reply);
      expect(balances.free.BTC ?? 0).toBe(free);
      expect(balances.total.BTC ?? 0).toBe(total);
    });
  }

  it("ZUSD.HOLD is held, not free", () => {
    const balances = readKrakenBalances({ ZUSD: "10", "ZUSD.HOLD": "5" });
    expect(balances.free.USD).toBe(10);
    expect(balances.total.USD).toBe(15);
  });

  it("exponent amount is rejected", () => {
    expect(() => readKrakenBalances({ XXBT: "1e-5" })).toThrow(/XXBT/);
  });
});

describe("function authorization edge cases", () => {
  let stack: FunctionsStack;
  beforeAll(async () => {
    stack = await startFunctionsStack({ management: false });
  });
  afterAll(async () => {
    await stack?.close();
  });

  async function statusWith(authorization: string, body = '{"market":"NOPE/USD"}') {
    const response = await stack.server.call("run-cycle", {
      headers: { authorization, "content-type": "application/json" },
      body,
    });
    const text = await response.text();
    return { status: response.status, text };
  }

  it("lowercase scheme is accepted", async () => {
    expect((await statusWith(`bearer ${CRON_SECRET}`)).status).toBe(400);
  });

  it("two spaces after the scheme are accepted", async () => {
    expect((await statusWith(`Bearer  ${CRON_SECRET}`)).status).toBe(400);
  });

  const rejected: Array<[string, string]> = [
    ["tab after the scheme", `Bearer\t${CRON_SECRET}`],
    ["trailing token", `Bearer ${CRON_SECRET} extra`],
    ["trailing comma", `Bearer ${CRON_SECRET},`],
    ["prefix of the secret", `Bearer ${CRON_SECRET.slice(0, -1)}`],
    ["secret plus a byte", `Bearer ${CRON_SECRET}x`],
    ["revoke secret", `Bearer ${REVOKE_SECRET}`],
    ["Basic scheme", `Basic ${CRON_SECRET}`],
    ["no scheme", CRON_SECRET],
    ["Latin-1 byte", `Bearer ${CRON_SECRET}\u00e9`],
    ["64 KiB token", `Bearer ${"a".repeat(64 * 1024)}`],
  ];
  for (const [name, header] of rejected) {
    it(`${name} is not authorized`, async () => {
      const { status, text } = await statusWith(header);
      // Deno's HTTP server answers 400 itself for a header block over 64 KiB.
      expect([400, 401, 431], text).toContain(status);
      expect(text).not.toContain(CRON_SECRET);
    });
  }

  it("no response or audit row carries a secret", async () => {
    const [row] = await stack.sql`select string_agg(t::text, ' ') as text
      from function_invocations t`;
    expect(String(row?.text)).not.toContain(CRON_SECRET);
    expect(String(row?.text)).not.toContain(REVOKE_SECRET);
  });
});

describe("run-cycle body edge cases", () => {
  let stack: FunctionsStack;
  beforeAll(async () => {
    stack = await startFunctionsStack({ management: false });
  });
  afterAll(async () => {
    await stack?.close();
  });

  const bodies: Array<[string, string, string]> = [
    ["an array", "[]", "application/json"],
    ["a JSON string", '"BTC/USD"', "application/json"],
    ["null", "null", "application/json"],
    ["invalid JSON", "{market:", "application/json"],
    ["a slot field", '{"slot": 0}', "application/json"],
    ["a number market", '{"market": 1}', "application/json"],
    ["both market fields", '{"market":"BTC/USD","markets":["BTC/USD"]}', "application/json"],
    ["a repeated market", '{"markets":["BTC/USD","BTC/USD"]}', "application/json"],
    ["form data", "market=BTC%2FUSD", "application/x-www-form-urlencoded"],
    ["a replacement character", "\udc80", "application/json"],
  ];
  for (const [name, body, type] of bodies) {
    it(`${name} answers 400 without a cycle`, async () => {
      const response = await stack.server.call("run-cycle", {
        headers: bearer(CRON_SECRET, { "content-type": type }),
        body,
      });
      expect(response.status).toBe(400);
      const [{ count } = { count: -1 }] = await stack
        .sql`select count(*)::int as count from execution_logs`;
      expect(count).toBe(0);
    });
  }
});
