import { createServer } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { HAVE_DATA, NO_DATA_MESSAGE } from "./helpers/candles.ts";
import {
  bearer,
  CRON_SECRET,
  type FunctionsStack,
  startFunctionsStack,
  trendCandles,
} from "./helpers/functions-stack.ts";

const CYCLE_ID = HAVE_DATA ? "BTCUSD-20230601T1215Z" : "BTCUSD-20240115T1215Z";

interface CycleBody {
  invocation_id: string;
  mode: string;
  error?: string;
  results: Array<Record<string, unknown>>;
}

async function post(stack: FunctionsStack, body?: string, headers: Record<string, string> = {}) {
  const response = await stack.server.call("run-cycle", {
    headers: { ...bearer(CRON_SECRET), ...headers },
    body,
  });
  return { response, body: (await response.json()) as CycleBody };
}

/** Returns a loopback port that nothing listens on, so connections to it are refused. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === "object" && address !== null ? address.port : 0;
}

if (!HAVE_DATA) {
  it.skip(`recorded candles: ${NO_DATA_MESSAGE}; synthetic candles are used`, () => {});
}

describe("run-cycle one cycle", () => {
  let stack: FunctionsStack;
  beforeAll(async () => {
    stack = await startFunctionsStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it("answers 200 with the cycle's outcome", async () => {
    const { response, body } = await post(stack, undefined, {
      "x-forwarded-for": "203.0.113.7, 10.0.0.2",
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-titan-invocation-id")).toBe(body.invocation_id);
    expect(body.mode).toBe("PAPER");
    const [result] = body.results;
    expect(result?.cycle_id).toBe(CYCLE_ID);
    expect(result?.outcome).toMatch(/^(completed|skipped)$/);
    expect(result?.decision).toMatch(/^(BUY|SELL|HOLD)$/);
    expect(typeof result?.equity).toBe("number");
    expect(result?.reason).toBeNull();
    expect(result?.blackbox_error).toBeNull();
  });

  it("records the invocation on the cycle row", async () => {
    const [row] = await stack.sql`select invocation_id, invoked_by, status from execution_logs`;
    const [audit] = await stack
      .sql`select invocation_id from function_invocations where http_status = 200`;
    expect(row?.invocation_id).toBe(audit?.invocation_id);
    expect(row?.invoked_by).toBe("203.0.113.7");
  });

  it("uploads the blackbox with upsert", async () => {
    const [row] = await stack.sql`select blackbox_path from execution_logs`;
    const stored = stack.storage?.objects.get(`blackbox/${row?.blackbox_path}`);
    expect(stored?.body).toMatch(/\[INFO\] CYCLE START cycle_id=/);
    const uploads = stack.storage?.requests.filter((r) => r.method === "POST") ?? [];
    expect(uploads.map((r) => r.upsert)).toEqual(["true"]);
  });

  it("answers already ran for the same slot", async () => {
    const { response, body } = await post(stack, JSON.stringify({ market: "BTC/USD" }));
    expect(response.status).toBe(200);
    expect(body.results[0]?.outcome).toBe("already_ran");
    const rows = await stack.sql`select cycle_id from execution_logs`;
    expect(rows).toHaveLength(1);
  });

  it.each([
    ["bad JSON", "{", /not JSON/],
    [
      "an unknown key",
      JSON.stringify({ slot: "2023-06-01T12:00:00Z" }),
      /body: unknown field "slot"/,
    ],
    [
      "an unknown market",
      JSON.stringify({ market: "DOGE/USD" }),
      /body\.market: unknown market "DOGE\/USD"/,
    ],
    [
      "an unknown market in a list",
      JSON.stringify({ markets: ["BTC/USD", "ETH/EUR"] }),
      /body\.markets\[1\]/,
    ],
    [
      "both market and markets",
      JSON.stringify({ market: "BTC/USD", markets: ["BTC/USD"] }),
      /not both/,
    ],
    ["markets not a list", JSON.stringify({ markets: "BTC/USD" }), /body\.markets: /],
    ["a market listed twice", JSON.stringify({ markets: ["BTC/USD", "BTC/USD"] }), /listed twice/],
  ])("rejects %s with 400", async (_case, text, message) => {
    const { response, body } = await post(stack, text);
    expect(response.status).toBe(400);
    expect(body.error).toMatch(message);
  });

  it("rejects GET with 405 and Allow", async () => {
    const response = await stack.server.call("run-cycle", {
      method: "GET",
      headers: bearer(CRON_SECRET),
    });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("POST");
  });

  it("rejects a body over 16 KiB with 413", async () => {
    const { response, body } = await post(stack, JSON.stringify({ market: "x".repeat(20_000) }));
    expect(response.status).toBe(413);
    expect(body.error).toMatch(/limit is 16384 bytes/);
  });
});

describe("run-cycle concurrency", () => {
  let stack: FunctionsStack | null = null;
  afterEach(async () => {
    await stack?.close();
    stack = null;
  });

  it("runs ten concurrent calls once", async () => {
    stack = await startFunctionsStack();
    const replies = await Promise.all(Array.from({ length: 10 }, () => post(stack!)));
    const outcomes = replies.map((reply) => String(reply.body.results[0]?.outcome));
    expect(replies.map((reply) => reply.response.status)).toEqual(Array(10).fill(200));
    expect(outcomes.filter((o) => o === "already_ran")).toHaveLength(9);
    expect(outcomes.filter((o) => o === "completed" || o === "skipped")).toHaveLength(1);
    const rows = await stack.sql`select cycle_id from execution_logs`;
    expect(rows).toHaveLength(1);
    const timeCalls = stack.sim.requests.filter((r) => r.path.endsWith("/Time"));
    expect(timeCalls).toHaveLength(1);
  });
});

describe("run-cycle failures", () => {
  let stack: FunctionsStack | null = null;
  afterEach(async () => {
    await stack?.close();
    stack = null;
  });

  it("keeps the outcome when the upload fails", async () => {
    stack = await startFunctionsStack({ candles: trendCandles(10) });
    stack.storage!.failUploadsWith = 500;
    const { response, body } = await post(stack);
    expect(response.status).toBe(200);
    expect(body.results[0]?.outcome).toBe("completed");
    expect(body.results[0]?.decision).toBe("BUY");
    expect(String(body.results[0]?.blackbox_error)).toMatch(/injected upload failure/);
    const [row] = await stack.sql`select status, decision, blackbox_error from execution_logs`;
    expect(row?.status).toBe("completed");
    expect(row?.decision).toBe("BUY");
    expect(row?.blackbox_error).toBe(body.results[0]?.blackbox_error);
  });

  it("answers 503 without a stack when the database refuses", async () => {
    const port = await closedPort();
    stack = await startFunctionsStack({
      databaseUrl: `postgres://postgres@127.0.0.1:${port}/none`,
    });
    const { response, body } = await post(stack);
    expect(response.status).toBe(503);
    expect(body.error).toMatch(/database is unavailable/);
    expect(JSON.stringify(body)).not.toMatch(/\n\s+at /);
    expect(response.headers.get("x-titan-invocation-id")).toBe(body.invocation_id);
  });

  it("answers 500 for an invalid configuration", async () => {
    stack = await startFunctionsStack({ env: { TITAN_MARKETS: "BTC/USD,not a market" } });
    const { response, body } = await post(stack);
    expect(response.status).toBe(500);
    expect(body.error).toMatch(/TITAN_MARKETS/);
    const [audit] = await stack.sql`select http_status, authorized from function_invocations`;
    expect(audit?.http_status).toBe(500);
    expect(audit?.authorized).toBe(true);
  });
});
