import { afterEach, describe, expect, it } from "vitest";
import {
  ACCESS_TOKEN,
  bearer,
  CRON_SECRET,
  type FunctionsStack,
  PROJECT_REF,
  REVOKE_SECRET,
  startFunctionsStack,
  trendCandles,
} from "./helpers/functions-stack.ts";

type Body = Record<string, unknown> & { results?: Array<Record<string, unknown>> };

let stack: FunctionsStack | null = null;
afterEach(async () => {
  await stack?.close();
  stack = null;
});

async function revoke(s: FunctionsStack, body: unknown, headers: Record<string, string> = {}) {
  const response = await s.server.call("revoke", {
    headers: { ...bearer(REVOKE_SECRET), ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Body };
}

async function runCycle(s: FunctionsStack, market = "BTC/USD") {
  const response = await s.server.call("run-cycle", {
    headers: bearer(CRON_SECRET),
    body: JSON.stringify({ market }),
  });
  const body = (await response.json()) as Body;
  return { status: response.status, result: body.results?.[0] ?? {} };
}

async function systemState(s: FunctionsStack) {
  const [row] = await s.sql`select * from system_state`;
  return row;
}

describe("revoke halt", () => {
  it("halts and records who and why", async () => {
    stack = await startFunctionsStack();
    const { status, body } = await revoke(
      stack,
      { reason: "breach drill", operator: "alice" },
      { "x-forwarded-for": "192.0.2.10", "user-agent": "curl/8.5" },
    );
    expect(status).toBe(200);
    expect(body.action).toBe("halted");
    expect(body.mode).toBe("halt");
    expect(body.exchange).toBe("not applicable in PAPER");
    expect(body.flatten).toBe("not requested");
    const state = await systemState(stack);
    expect(state?.halted).toBe(true);
    expect(state?.halt_reason).toBe("breach drill");
    expect(state?.halted_by).toBe("alice from 192.0.2.10 (user agent curl/8.5)");
    const events = await stack.sql`select action, mode, actor, reason from kill_switch_events`;
    expect(events).toEqual([{
      action: "halted",
      mode: "halt",
      actor: state?.halted_by,
      reason: "breach drill",
    }]);
  });

  it("deletes both Kraken secrets through the API", async () => {
    stack = await startFunctionsStack();
    const { body } = await revoke(stack, { reason: "key leaked" });
    expect((body.kraken_secrets as Body).status).toBe("deleted");
    expect(stack.management?.calls).toEqual([
      {
        method: "DELETE",
        path: `/v1/projects/${PROJECT_REF}/secrets`,
        authorization: `Bearer ${ACCESS_TOKEN}`,
        body: ["KRAKEN_API_KEY", "KRAKEN_API_SECRET"],
      },
    ]);
  });

  it("aborts the next cycle without an exchange call", async () => {
    stack = await startFunctionsStack();
    await revoke(stack, { reason: "drill" });
    const { status, result } = await runCycle(stack);
    expect(status).toBe(200);
    expect(result.outcome).toBe("aborted");
    expect(result.reason).toBe("KILL_SWITCH");
    expect(stack.sim.requests).toEqual([]);
  });

  it("treats a second call as harmless", async () => {
    stack = await startFunctionsStack();
    await revoke(stack, { reason: "first" });
    const before = await systemState(stack);
    const { status, body } = await revoke(stack, { reason: "second" });
    expect(status).toBe(200);
    expect(body.action).toBe("already_halted");
    expect(String(body.message)).toMatch(
      /^Already halted in halt mode since .*: first\. Nothing changed/,
    );
    const after = await systemState(stack);
    expect(after?.halt_reason).toBe("first");
    expect(after?.halted_at).toEqual(before?.halted_at);
    expect(stack.management?.calls).toHaveLength(2);
  });

  it("re-arms only through titan_rearm", async () => {
    const candles = { XXBTZUSD: trendCandles(10), XETHZUSD: trendCandles(1) };
    stack = await startFunctionsStack({ candles, env: { TITAN_MARKETS: "BTC/USD,ETH/USD" } });
    await revoke(stack, { reason: "drill" });
    expect((await runCycle(stack, "BTC/USD")).result.reason).toBe("KILL_SWITCH");
    await expect(stack.sql`select * from titan_rearm('bob', ' ')`).rejects.toThrow(
      /p_reason.*required/,
    );
    const [rearm] = await stack.sql`select * from titan_rearm('bob', 'keys rotated')`;
    expect(rearm?.was_halted).toBe(true);
    expect((await systemState(stack))?.halted).toBe(false);
    const { result } = await runCycle(stack, "ETH/USD");
    expect(result.outcome).not.toBe("aborted");
    expect(result.cycle_id).toMatch(/^ETHUSD-/);
  });

  it("says plainly when the API is not configured", async () => {
    stack = await startFunctionsStack({ management: false });
    const { status, body } = await revoke(stack, { reason: "drill" });
    const secrets = body.kraken_secrets as Body;
    expect(status).toBe(200);
    expect(secrets.status).toBe("not_configured");
    expect(String(secrets.message)).toMatch(/not deleted because SUPABASE_ACCESS_TOKEN .* not set/);
    expect(String(secrets.message)).toMatch(
      /supabase secrets unset KRAKEN_API_KEY KRAKEN_API_SECRET/,
    );
  });

  it("answers 502 when the API call fails", async () => {
    stack = await startFunctionsStack();
    stack.management!.failWith = 500;
    const { status, body } = await revoke(stack, { reason: "drill" });
    expect(status).toBe(502);
    expect(body.halted).toBe(true);
    expect((body.kraken_secrets as Body).status).toBe("failed");
    expect(String((body.kraken_secrets as Body).message)).toMatch(/HTTP 500/);
    expect((await systemState(stack))?.halted).toBe(true);
  });
});

describe("revoke modes", () => {
  it("flatten sells the PAPER position", async () => {
    stack = await startFunctionsStack({ candles: trendCandles(10) });
    const bought = await runCycle(stack);
    expect(bought.result.decision).toBe("BUY");
    const amount = (bought.result.fill as { amount: number }).amount;
    const { status, body } = await revoke(stack, { reason: "flatten drill", mode: "flatten" });
    expect(status).toBe(200);
    const [sale] = body.flatten as Body[];
    expect(sale?.status).toBe("sold");
    expect((sale?.fill as { amount: number }).amount).toBe(amount);
    expect(String(sale?.cycle_id)).toMatch(/-FLATTEN-/);
    const [btc] = await stack.sql`select amount from paper_balances where asset = 'BTC'`;
    expect(Number(btc?.amount)).toBe(0);
    const orders = await stack.sql`select side from orders order by id`;
    expect(orders.map((o) => o.side)).toEqual(["buy", "sell"]);
  });

  it("stop-entries skips a BUY", async () => {
    stack = await startFunctionsStack({ candles: trendCandles(10) });
    await revoke(stack, { reason: "no new risk", mode: "stop-entries" });
    const { result } = await runCycle(stack);
    expect(result.decision).toBe("BUY");
    expect(result.outcome).toBe("skipped");
    const [row] = await stack
      .sql`select ai_audit_payload -> 'verdict' -> 'order_outcome' ->> 'reason' as reason
      from execution_logs`;
    expect(row?.reason).toBe("ENTRIES_STOPPED");
  });

  it("escalates stop-entries to halt", async () => {
    stack = await startFunctionsStack();
    await revoke(stack, { reason: "first", mode: "stop-entries" });
    const { body } = await revoke(stack, { reason: "worse", mode: "halt" });
    expect(body.action).toBe("escalated");
    expect(body.mode).toBe("halt");
    expect(String(body.message)).toBe("Kill switch mode raised from stop-entries to halt.");
  });

  it.each([
    ["a missing reason", {}, /body\.reason: /],
    ["a blank reason", { reason: "  " }, /body\.reason: required/],
    ["an unknown mode", { reason: "x", mode: "pause" }, /body\.mode: /],
    ["an unknown key", { reason: "x", rearm: true }, /unknown field "rearm"/],
  ])("rejects %s with 400", async (_case, request, message) => {
    stack ??= await startFunctionsStack({ management: false });
    const { status, body } = await revoke(stack, request);
    expect(status).toBe(400);
    expect(String(body.error)).toMatch(message);
    expect((await systemState(stack))?.halted).toBe(false);
  });
});
