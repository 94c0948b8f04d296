import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createPostgresClient } from "../shared/journal/drivers/postgres.ts";
import { type SqlClient, SqlError } from "../shared/journal/sql-client.ts";
import { SqlJournal } from "../shared/journal/sql-journal.ts";
import { clientOrderUuid } from "../shared/live/order-reference.ts";
import { createTestDatabase } from "./helpers/database.ts";
import {
  AT_1215,
  type LiveHarness,
  risingCandles,
  SLOT_1215,
  startLiveHarness,
} from "./helpers/live-harness.ts";

const CYCLE = "BTCUSD-20240115T1215Z";

let client: SqlClient;
let journal: SqlJournal;
beforeAll(async () => {
  client = createPostgresClient(await createTestDatabase());
  journal = new SqlJournal(client);
});
afterAll(() => journal.close());

let harness: LiveHarness | null = null;
afterEach(async () => {
  await client.query("delete from orders");
  await client.query("delete from execution_log_attempts");
  await client.query("delete from execution_logs");
  await harness?.close();
  harness = null;
});

/** Inserts a row of `CYCLE` with `status`, started `age` before now. */
async function insertCycle(status: string, age = "1 hour"): Promise<void> {
  const finished = status === "running" ? "null" : "now()";
  const payload = ["running", "incomplete"].includes(status) ? "null" : "'{}'::jsonb";
  await client.query(
    "insert into execution_logs (cycle_id, market, slot, mode, status, invocation_id, " +
      "invoked_by, started_at, finished_at, ai_audit_payload) values ($1, 'BTC/USD', $2, " +
      `'LIVE', $3, 'dead', 'cron', now() - $4::interval, ${finished}, ${payload})`,
    [CYCLE, new Date(SLOT_1215).toISOString(), status, age],
  );
}

async function insertOrder(status: string): Promise<void> {
  await client.query(
    "insert into orders (cycle_id, market, mode, side, order_type, client_order_id, status, " +
      "userref, requested_amount) values ($1, 'BTC/USD', 'LIVE', 'buy', 'market', 'c1', $2, " +
      "1894801, 0.01)",
    [CYCLE, status],
  );
}

async function release(by = "alice", reason = "isolate killed") {
  const rows = await client.query<Record<string, unknown>>(
    "select * from titan_release_cycle($1, $2, $3)",
    [CYCLE, by, reason],
  );
  return rows[0];
}

async function errorCode(run: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await run();
  } catch (error) {
    if (error instanceof SqlError) return error.code;
    throw error;
  }
  return undefined;
}

function claim(startedAt = Date.now()) {
  return journal.claimCycle({
    cycleId: CYCLE,
    market: "BTC/USD",
    slot: SLOT_1215,
    mode: "LIVE",
    invocationId: "rerun",
    invokedBy: "cron",
    startedAt,
  });
}

describe("titan_release_cycle", () => {
  it("releases an incomplete row and keeps its history", async () => {
    await insertCycle("incomplete");
    const released = await release();
    expect(released?.released_attempt).toBe(1);
    expect(released?.previous_status).toBe("incomplete");
    expect(released?.unresolved_orders).toBe(0);
    const [row] = await client.query<{ status: string }>("select status from execution_logs");
    expect(row?.status).toBe("released");
    const [kept] = await client.query<Record<string, unknown>>("select * from execution_log_attempts");
    expect(kept?.status).toBe("incomplete");
    expect(kept?.released_by).toBe("alice");
    expect(kept?.release_reason).toBe("isolate killed");
    expect(kept?.invocation_id).toBe("dead");
  });

  it("releases a running row past stuck_after", async () => {
    await insertCycle("running", "10 minutes");
    expect((await release())?.previous_status).toBe("running");
  });

  it.each([
    ["a cycle still running", () => insertCycle("running", "10 seconds"), "55000"],
    ["a finished cycle", () => insertCycle("completed"), "55000"],
    ["an unknown cycle", () => Promise.resolve(), "P0002"],
  ])("rejects %s", async (_case, seed, code) => {
    await seed();
    expect(await errorCode(() => release())).toBe(code);
  });

  it("requires who and why", async () => {
    await insertCycle("incomplete");
    expect(await errorCode(() => release(" ", "x"))).toBe("22023");
    expect(await errorCode(() => release("alice", ""))).toBe("22023");
  });

  it("counts unresolved orders", async () => {
    await insertCycle("incomplete");
    await insertOrder("sent");
    expect((await release())?.unresolved_orders).toBe(1);
  });
});

describe("claim of a released slot", () => {
  it("takes the row over as the next attempt", async () => {
    await insertCycle("incomplete");
    await release();
    const claimed = await claim();
    expect(claimed).toEqual({ claimed: true, attempt: 2 });
    const [row] = await client.query<{ status: string; attempt: number }>(
      "select status, attempt from execution_logs",
    );
    expect(row?.status).toBe("running");
    expect(row?.attempt).toBe(2);
  });

  it("waits while an order is unresolved", async () => {
    await insertCycle("incomplete");
    await insertOrder("sent");
    await release();
    expect(await claim()).toEqual({ claimed: false, existingStatus: "released" });
    await client.query("update orders set status = 'filled'");
    expect((await claim()).claimed).toBe(true);
  });

  it("lets one of two concurrent claims win", async () => {
    await insertCycle("incomplete");
    await release();
    const results = await Promise.all([claim(), claim()]);
    expect(results.filter((r) => r.claimed)).toHaveLength(1);
  });
});

describe("stuck_cycles", () => {
  it("lists incomplete rows with their unresolved orders", async () => {
    await insertCycle("incomplete");
    await insertOrder("unknown");
    const rows = await client.query<Record<string, unknown>>(
      "select cycle_id, status, unresolved_orders from stuck_cycles",
    );
    expect(rows).toEqual([{ cycle_id: CYCLE, status: "incomplete", unresolved_orders: "1" }]);
  });
});

describe("re-run after a release", () => {
  it("trades with the next attempt's client order id", async () => {
    harness = await startLiveHarness({ candles: risingCandles(SLOT_1215), now: AT_1215 });
    await harness.client.query(
      "insert into execution_logs (cycle_id, market, slot, mode, status, invocation_id, " +
        "invoked_by, started_at, finished_at) values ($1, 'BTC/USD', $2, 'LIVE', " +
        "'incomplete', 'dead', 'cron', $3, $3)",
      [CYCLE, new Date(SLOT_1215).toISOString(), new Date(AT_1215).toISOString()],
    );
    await harness.client.query("select * from titan_release_cycle($1, 'alice', 'drill')", [CYCLE]);
    const result = await harness.runAt(AT_1215 + 60_000);
    expect(result.outcome).toBe("completed");
    expect(result.decision).toBe("BUY");
    const [order] = await harness.client.query<{ client_order_id: string }>(
      "select client_order_id from orders",
    );
    expect(order?.client_order_id).toBe(await clientOrderUuid(CYCLE, 2));
    const [row] = await harness.client.query<{ attempt: number }>("select attempt from execution_logs");
    expect(row?.attempt).toBe(2);
  });
});
