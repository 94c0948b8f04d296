import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseWithDoubles, rejection, SECRETS, type Sql } from "./helpers/schedule-db.ts";

/** Inserts a finished cycle of 2026-01-15 at `hhmm` UTC. */
async function insertCycle(
  sql: Sql,
  market: string,
  hhmm: string,
  status: "completed" | "aborted" | "crashed",
  options: { reason?: string; equity?: number; message?: string } = {},
) {
  const slot = `2026-01-15T${hhmm}:00Z`;
  const payload = status === "aborted"
    ? { abort: { reason: options.reason, message: options.message ?? "aborted" } }
    : { verdict: { reason: options.message ?? "trend up" }, financials: { quote_currency: "USD" } };
  await sql`
    insert into execution_logs (cycle_id, market, slot, mode, status, abort_reason, equity,
      ai_audit_payload, invocation_id, invoked_by, started_at, finished_at)
    values (${`${market.replace("/", "")}-${hhmm}`}, ${market}, ${slot}, 'PAPER', ${status},
      ${options.reason ?? null}, ${options.equity ?? null}, ${sql.json(payload)}, 'inv', 'cron',
      ${slot}::timestamptz + interval '1 second', ${slot}::timestamptz + interval '5 seconds')`;
}

async function insertRunning(sql: Sql, cycleId: string, startedAgo: string) {
  await sql`
    insert into execution_logs (cycle_id, market, slot, mode, status, invocation_id, invoked_by,
      started_at)
    values (${cycleId}, 'ETH/USD', '2026-01-15T12:00:00Z', 'PAPER', 'running', 'inv', 'cron',
      now() - ${startedAgo}::interval)`;
}

describe("Studio views", () => {
  let sql: Sql;
  beforeAll(async () => {
    ({ sql } = await databaseWithDoubles(SECRETS));
    await insertCycle(sql, "BTC/USD", "09:30", "completed", { equity: 10000 });
    await insertCycle(sql, "BTC/USD", "09:45", "completed", { equity: 10050 });
    await insertCycle(sql, "BTC/USD", "10:00", "completed", { equity: 10030 });
    await insertCycle(sql, "BTC/USD", "10:15", "aborted", { reason: "API_LAG", message: "slow" });
    await insertCycle(sql, "BTC/USD", "10:30", "aborted", { reason: "STALE_DATA" });
    await insertCycle(sql, "BTC/USD", "10:45", "aborted", { reason: "API_LAG", message: "slower" });
    await insertCycle(sql, "ETH/USD", "10:30", "aborted", { reason: "DATA_GAP" });
    await insertCycle(sql, "ETH/USD", "10:45", "completed", { equity: 500 });
    await insertRunning(sql, "ETHUSD-stuck", "10 minutes");
    await insertRunning(sql, "ETHUSD-busy", "1 minute");
  });
  afterAll(() => sql.end());

  it("counts an abort streak of 3", async () => {
    const rows = await sql`select * from abort_streaks`;
    expect(rows.map((row) => row.market)).toEqual(["BTC/USD"]);
    const streak = rows[0]!;
    expect(Number(streak.aborts)).toBe(3);
    expect(streak.reasons).toEqual(["API_LAG", "STALE_DATA"]);
    expect(streak.latest_reason).toBe("API_LAG");
    expect(streak.latest_message).toBe("slower");
    expect((streak.first_slot as Date).toISOString()).toBe("2026-01-15T10:15:00.000Z");
    expect((streak.previous_slot as Date).toISOString()).toBe("2026-01-15T10:00:00.000Z");
    expect(streak.previous_status).toBe("completed");
  });

  it("lists only cycles running too long", async () => {
    const rows = await sql`select cycle_id from stuck_cycles`;
    expect(rows.map((row) => row.cycle_id)).toEqual(["ETHUSD-stuck"]);
  });

  it("follows the configured stuck age", async () => {
    await sql`update scheduler_settings set stuck_after = interval '30 seconds'`;
    const rows = await sql`select cycle_id from stuck_cycles`;
    await sql`update scheduler_settings set stuck_after = interval '5 minutes'`;
    expect(rows.map((row) => row.cycle_id)).toEqual(["ETHUSD-stuck", "ETHUSD-busy"]);
  });

  it("shows the equity series", async () => {
    const rows = await sql`
      select slot, equity, change, currency from equity_history where market = 'BTC/USD'`;
    expect(rows.map((row) => Number(row.equity))).toEqual([10000, 10050, 10030]);
    expect(rows.map((row) => (row.change === null ? null : Number(row.change))))
      .toEqual([null, 50, -20]);
    expect(rows.map((row) => row.currency)).toEqual(["USD", "USD", "USD"]);
  });

  it("shows the reason of each cycle", async () => {
    const rows = await sql`
      select cycle_id, status, reason from recent_cycles where market = 'BTC/USD' limit 2`;
    expect(rows.map((row) => row.cycle_id)).toEqual(["BTCUSD-10:45", "BTCUSD-10:30"]);
    expect(rows[0]?.reason).toBe("slower");
  });

  it("joins a dispatch to its response and cycle", async () => {
    await sql`insert into trading_markets (symbol) values ('ETH/USD')`;
    await sql`select * from titan_dispatch_cycles('2026-01-15T10:45:01Z')`;
    const btc = await sql`select request_id from cycle_dispatches where market = 'BTC/USD'`;
    await sql`
      insert into net._http_response (id, status_code, content, timed_out)
      values (${btc[0]!.request_id}, 200, '{"invocation_id":"abc"}', false)`;
    const rows = await sql`
      select market, outcome, status_code, response, cycle_id, cycle_status, abort_reason
      from recent_dispatches order by market`;
    expect(rows.map((row) => row.outcome)).toEqual(["succeeded", "no_response"]);
    expect(rows[0]?.status_code).toBe(200);
    expect(rows[0]?.response).toBe('{"invocation_id":"abc"}');
    expect(rows[0]?.cycle_id).toBe("BTCUSD-10:45");
    expect(rows[0]?.abort_reason).toBe("API_LAG");
    expect(rows[1]?.cycle_status).toBe("completed");
  });

  it("summarizes invocations by caller", async () => {
    await sql`
      insert into function_invocations (invocation_id, function_name, received_at, caller_ip,
        user_agent, authorized)
      values ('i1', 'run-cycle', '2026-01-15T10:00:00Z', '10.0.0.1', 'pg_net', true),
        ('i2', 'run-cycle', '2026-01-15T10:15:00Z', '10.0.0.1', 'pg_net', true),
        ('i3', 'revoke', '2026-01-15T10:20:00Z', '192.0.2.9', 'curl/8', false)`;
    const rows = await sql`
      select caller_ip, calls, rejected_calls from invocations_by_caller order by caller_ip`;
    expect(rows.map((row) => row.caller_ip)).toEqual(["10.0.0.1", "192.0.2.9"]);
    expect(rows.map((row) => Number(row.calls))).toEqual([2, 1]);
    expect(rows.map((row) => Number(row.rejected_calls))).toEqual([0, 1]);
  });

  it("denies the views to anon", async () => {
    const error = await rejection(
      sql.begin(async (tx) => {
        await tx`set local role anon`;
        await tx`select * from recent_cycles`;
      }),
    );
    expect(error.code).toBe("42501");
  });
});

