import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createPostgresClient } from "../shared/journal/drivers/postgres.ts";
import { CycleStateError, InsufficientPaperBalanceError } from "../shared/journal/errors.ts";
import type { CycleClaim, CycleFinish, PaperFill } from "../shared/journal/journal.ts";
import { type SqlClient, SqlError } from "../shared/journal/sql-client.ts";
import { SqlJournal } from "../shared/journal/sql-journal.ts";
import { createTestDatabase } from "./helpers/database.ts";
import { createPgliteTemplate, type PgliteTemplate } from "./helpers/pglite.ts";

const SLOT = Date.UTC(2024, 0, 15, 12, 15);
const SLOT_MS = 15 * 60_000;

function claimFor(cycleId: string, slot = SLOT, market = "BTC/USD"): CycleClaim {
  return {
    cycleId,
    market,
    slot,
    mode: "PAPER",
    invocationId: `inv-${cycleId}`,
    invokedBy: "cron",
    startedAt: slot + 1_000,
  };
}

function finishFor(cycleId: string, overrides: Partial<CycleFinish> = {}): CycleFinish {
  return {
    cycleId,
    status: "completed",
    abortReason: null,
    decision: "HOLD",
    equity: 1000,
    payload: { version: 1, verdict: { decision: "HOLD" } },
    blackboxPath: `blackbox/${cycleId}.log`,
    blackboxError: null,
    finishedAt: SLOT + 5_000,
    ...overrides,
  };
}

function fillFor(cycleId: string, overrides: Partial<PaperFill> = {}): PaperFill {
  return {
    cycleId,
    market: "BTC/USD",
    side: "buy",
    base: "BTC",
    quote: "USD",
    amount: 0.01,
    price: 50_000,
    cost: 500,
    fee: 1.3,
    clientOrderId: `titan-${cycleId}`,
    filledAt: SLOT + 2_000,
    ...overrides,
  };
}

interface Backend {
  name: string;
  prepare(): Promise<void>;
  open(): Promise<SqlClient>;
}

let pglite: PgliteTemplate;
const backends: Backend[] = [
  {
    name: "PGlite",
    prepare: async () => {
      pglite = await createPgliteTemplate();
    },
    open: () => pglite.copy(),
  },
  {
    name: "Postgres cluster",
    prepare: async () => {},
    open: async () => createPostgresClient(await createTestDatabase()),
  },
];

describe.each(backends)("SqlJournal on $name", (backend) => {
  let client: SqlClient;
  let journal: SqlJournal;

  beforeAll(() => backend.prepare());
  beforeEach(async () => {
    client = await backend.open();
    journal = new SqlJournal(client);
  });
  afterEach(() => journal.close());

  it("claimCycle claims a new cycle", async () => {
    const result = await journal.claimCycle(claimFor("c1"));
    const rows = await client.query<{ status: string; invocation_id: string; slot: Date }>(
      "select status, invocation_id, slot from execution_logs where cycle_id = 'c1'",
    );
    expect(result).toEqual({ claimed: true });
    expect(rows).toHaveLength(1);
    expect(rows[0]?.status).toBe("running");
    expect(rows[0]?.invocation_id).toBe("inv-c1");
    expect(rows[0]?.slot.getTime()).toBe(SLOT);
  });

  it("claimCycle reports the existing status", async () => {
    await journal.claimCycle(claimFor("c1"));
    const again = await journal.claimCycle({ ...claimFor("c1"), invocationId: "other" });
    await journal.finishCycle(finishFor("c1"));
    const afterFinish = await journal.claimCycle(claimFor("c1"));
    const rows = await client.query<{ invocation_id: string }>(
      "select invocation_id from execution_logs where cycle_id = 'c1'",
    );
    expect(again).toEqual({ claimed: false, existingStatus: "running" });
    expect(afterFinish).toEqual({ claimed: false, existingStatus: "completed" });
    expect(rows.map((r) => r.invocation_id)).toEqual(["inv-c1"]);
  });

  it("finishCycle records the verdict", async () => {
    await journal.claimCycle(claimFor("c1"));
    await journal.finishCycle(
      finishFor("c1", { status: "aborted", abortReason: "API_LAG", equity: 1234.5 }),
    );
    const [row] = await client.query<Record<string, unknown>>(
      "select status, abort_reason, decision, equity, ai_audit_payload, blackbox_path, " +
        "blackbox_error, finished_at from execution_logs where cycle_id = 'c1'",
    );
    expect(row?.status).toBe("aborted");
    expect(row?.abort_reason).toBe("API_LAG");
    expect(row?.decision).toBe("HOLD");
    expect(row?.equity).toBe("1234.5");
    expect(row?.ai_audit_payload).toEqual({ version: 1, verdict: { decision: "HOLD" } });
    expect(row?.blackbox_path).toBe("blackbox/c1.log");
    expect(row?.blackbox_error).toBeNull();
    expect((row?.finished_at as Date).getTime()).toBe(SLOT + 5_000);
  });

  it("finishCycle twice is rejected", async () => {
    await journal.claimCycle(claimFor("c1"));
    await journal.finishCycle(finishFor("c1"));
    const second = journal.finishCycle(finishFor("c1", { status: "crashed", decision: null }));
    await expect(second).rejects.toBeInstanceOf(CycleStateError);
    await expect(second).rejects.toThrow("cycle c1 is already completed");
    const [row] = await client.query<{ status: string }>(
      "select status from execution_logs where cycle_id = 'c1'",
    );
    expect(row?.status).toBe("completed");
  });

  it("finishCycle of an unclaimed cycle is rejected", async () => {
    const finish = journal.finishCycle(finishFor("missing"));
    await expect(finish).rejects.toBeInstanceOf(CycleStateError);
    await expect(finish).rejects.toThrow("cycle missing not found");
  });

  it("finishCycle as aborted needs a reason", async () => {
    await journal.claimCycle(claimFor("c1"));
    const finish = journal.finishCycle(finishFor("c1", { status: "aborted" }));
    await expect(finish).rejects.toBeInstanceOf(SqlError);
    await expect(finish).rejects.toMatchObject({
      code: "23514",
      constraint: "execution_logs_abort_reason_iff_aborted",
    });
  });

  it("readSystemState reads the kill switch", async () => {
    const armed = await journal.readSystemState();
    await client.query(
      "update system_state set halted = true, halted_by = 'ops', halt_reason = 'breach', " +
        "halted_at = $1::timestamptz where id = 1",
      [new Date(SLOT).toISOString()],
    );
    const halted = await journal.readSystemState();
    expect(armed.halted).toBe(false);
    expect(armed.haltedBy).toBeNull();
    expect(armed.haltedAt).toBeNull();
    expect(halted.halted).toBe(true);
    expect(halted.haltedBy).toBe("ops");
    expect(halted.haltReason).toBe("breach");
    expect(halted.haltedAt).toBe(SLOT);
  });

  it("readPaperBalances seeds only once", async () => {
    const first = await journal.readPaperBalances({ USD: 1000, BTC: 0 });
    const second = await journal.readPaperBalances({ USD: 5 });
    expect(first).toEqual({ USD: 1000, BTC: 0 });
    expect(second).toEqual({ USD: 1000, BTC: 0 });
  });

  it("recordPaperFill moves balances and records the order", async () => {
    await journal.claimCycle(claimFor("c1"));
    await journal.readPaperBalances({ USD: 1000 });
    const afterBuy = await journal.recordPaperFill(fillFor("c1"));
    const afterSell = await journal.recordPaperFill(
      fillFor("c1", { side: "sell", amount: 0.004, cost: 200, fee: 0.5, clientOrderId: "sell-1" }),
    );
    const orders = await client.query<Record<string, unknown>>(
      "select cycle_id, mode, side, status, requested_amount, filled_amount, price, cost, fee, " +
        "fee_currency from orders where client_order_id = 'titan-c1'",
    );
    expect(afterBuy).toEqual({ BTC: 0.01, USD: 498.7 });
    expect(afterSell).toEqual({ BTC: 0.006, USD: 698.2 });
    expect(orders).toEqual([{
      cycle_id: "c1",
      mode: "PAPER",
      side: "buy",
      status: "filled",
      requested_amount: "0.01",
      filled_amount: "0.01",
      price: "50000",
      cost: "500",
      fee: "1.3",
      fee_currency: "USD",
    }]);
  });

  it("recordPaperFill that overdraws changes nothing", async () => {
    await journal.claimCycle(claimFor("c1"));
    await journal.readPaperBalances({ USD: 1000 });
    const fill = journal.recordPaperFill(fillFor("c1", { amount: 0.04, cost: 2000, fee: 5 }));
    await expect(fill).rejects.toBeInstanceOf(InsufficientPaperBalanceError);
    await expect(fill).rejects.toThrow("needs 2005 USD but the paper balance is 1000");
    const balances = await journal.readPaperBalances({});
    const orders = await client.query("select id from orders");
    expect(balances).toEqual({ USD: 1000 });
    expect(orders).toEqual([]);
  });

  it("recordPaperFill rejects a reused order id", async () => {
    await journal.claimCycle(claimFor("c1"));
    await journal.readPaperBalances({ USD: 1000 });
    const small = fillFor("c1", { amount: 0.001, cost: 50, fee: 0.1 });
    await journal.recordPaperFill(small);
    const again = journal.recordPaperFill(small);
    await expect(again).rejects.toMatchObject({
      code: "23505",
      constraint: "orders_client_order_id_key",
    });
    expect(await journal.readPaperBalances({})).toEqual({ BTC: 0.001, USD: 949.9 });
  });

  it("recordPaperFill for a finished cycle is rejected", async () => {
    await journal.claimCycle(claimFor("c1"));
    await journal.readPaperBalances({ USD: 1000 });
    await journal.finishCycle(finishFor("c1"));
    const fill = journal.recordPaperFill(fillFor("c1"));
    await expect(fill).rejects.toBeInstanceOf(CycleStateError);
    await expect(fill).rejects.toThrow("cycle c1 is completed");
  });

  it("lastEquity returns the latest earlier equity", async () => {
    const cycles = [
      { id: "a", slot: SLOT, market: "BTC/USD", equity: 1000 },
      { id: "b", slot: SLOT + SLOT_MS, market: "BTC/USD", equity: 1010.25 },
      { id: "c", slot: SLOT + 2 * SLOT_MS, market: "BTC/USD", equity: null },
      { id: "d", slot: SLOT + 2 * SLOT_MS, market: "ETH/USD", equity: 77 },
    ];
    for (const cycle of cycles) {
      await journal.claimCycle(claimFor(cycle.id, cycle.slot, cycle.market));
      await journal.finishCycle(finishFor(cycle.id, { equity: cycle.equity }));
    }
    expect(await journal.lastEquity("BTC/USD", SLOT)).toBeNull();
    expect(await journal.lastEquity("BTC/USD", SLOT + SLOT_MS)).toBe(1000);
    expect(await journal.lastEquity("BTC/USD", SLOT + 3 * SLOT_MS)).toBe(1010.25);
    expect(await journal.lastEquity("ETH/USD", SLOT + 3 * SLOT_MS)).toBe(77);
    expect(await journal.lastEquity("XRP/USD", SLOT + 3 * SLOT_MS)).toBeNull();
  });
});
