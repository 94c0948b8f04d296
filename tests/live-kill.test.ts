import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  AT_1215,
  type LiveHarness,
  liveEnv,
  risingCandles,
  SLOT_1215,
  startLiveHarness,
} from "./helpers/live-harness.ts";

const REPO = resolve(import.meta.dirname, "..");
const TSX = resolve(REPO, "node_modules/.bin/tsx");
const CHILD = resolve(REPO, "tests/helpers/live-child-cycle.ts");
const AT_1230 = AT_1215 + 15 * 60 * 1000;

let harness: LiveHarness | null = null;
afterEach(async () => {
  await harness?.close();
  harness = null;
});

interface Killed {
  signal: NodeJS.Signals | null;
  /** Orders on the exchange when the kill was sent. */
  ordersAtKill: number;
}

/**
 * Runs one LIVE cycle in a child process and SIGKILLs it as soon as the
 * simulator has taken its AddOrder, whose reply is dropped so the child
 * never learns the txid.
 */
function runAndKill(h: LiveHarness, kill: { onAddOrder: (() => void) | null }): Promise<Killed> {
  const env = { ...process.env, ...liveEnv(h.sim), TITAN_CHILD_DATABASE_URL: h.databaseUrl };
  const child = spawn(TSX, [CHILD], {
    cwd: REPO,
    env: { ...env, TITAN_CHILD_NOW: String(AT_1215) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let ordersAtKill = -1;
  kill.onAddOrder = () => {
    // The simulator books the order in the same turn of the event loop as the request.
    setImmediate(() => {
      ordersAtKill = h.sim.orders().length;
      child.kill("SIGKILL");
    });
  };
  return new Promise((done, fail) => {
    child.on("error", fail);
    child.on("exit", (_code, signal) => done({ signal, ordersAtKill }));
  });
}

describe("process killed right after AddOrder", () => {
  it("finds the order by its reference and never resends it", async () => {
    const kill: { onAddOrder: (() => void) | null } = { onAddOrder: null };
    harness = await startLiveHarness({
      candles: risingCandles(SLOT_1215, 40_000, 2),
      now: AT_1215,
      sim: {
        onRequest: (request) => {
          if (request.endpoint === "AddOrder") kill.onAddOrder?.();
        },
      },
    });
    const h = harness;
    h.sim.injectFault({ kind: "drop_reply", endpoint: "AddOrder", count: 1 });
    const killed = await runAndKill(h, kill);
    expect(killed.signal).toBe("SIGKILL");
    expect(killed.ordersAtKill).toBe(1);
    const [left] = await h.client.query<{ status: string; exchange_order_id: string | null }>(
      "select status, exchange_order_id from orders",
    );
    expect(left?.status).toBe("sent");
    expect(left?.exchange_order_id).toBeNull();

    const next = await h.runAt(AT_1230);
    const [order] = h.sim.orders();
    const rows = await h.client.query<Record<string, unknown>>("select * from orders");
    expect(rows).toHaveLength(1);
    expect(rows[0]?.status).toBe("filled");
    expect(rows[0]?.exchange_order_id).toBe(order?.txid);
    expect(Number(rows[0]?.filled_amount)).toBe(order?.volumeExecuted);
    const [held] = await h.client.query<{ amount: string }>("select amount from live_positions");
    expect(Number(held?.amount)).toBe(order?.volumeExecuted);
    expect(h.sim.requests.filter((r) => r.endpoint === "AddOrder")).toHaveLength(1);
    expect(h.sim.orders()).toHaveLength(1);
    const [first] = await h.client.query<{ status: string }>(
      "select status from execution_logs where cycle_id = 'BTCUSD-20240115T1215Z'",
    );
    expect(first?.status).toBe("incomplete");
    expect(next.outcome).toBe("completed");
  }, 60_000);
});
