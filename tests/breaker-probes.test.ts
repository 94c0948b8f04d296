/**
 * Adversarial probes that the PAPER cycle passes today, kept as regression
 * tests: crafted exchange replies, concurrent claims, slot-age edges, the
 * blackbox round trip, config messages and candle-file encodings.
 */
import { afterEach, describe, expect, it } from "vitest";
import { auditPayloadSchema } from "../shared/audit/payload.ts";
import { type FieldValue, formatLine } from "../shared/blackbox/format.ts";
import { parseLine, parseLog } from "../shared/blackbox/parse.ts";
import { loadConfig } from "../shared/config/config.ts";
import type { CycleResult } from "../shared/cycle/context.ts";
import { ABORT_REASON_NAMES } from "../shared/cycle/reasons.ts";
import { runCycle } from "../shared/cycle/run-cycle.ts";
import { CANDLE_FILE_HEADER, parseCandleFile } from "../shared/market/candle-file.ts";
import { INTERVAL, syntheticCandles } from "./helpers/candles.ts";
import {
  AT,
  type CraftedHarness,
  logRows,
  SLOT,
  startCrafted,
  trendCandles,
} from "./helpers/breaker-cycle.ts";
import { resultEntry, type Rewrite } from "./helpers/crafted-kraken.ts";

let run: CraftedHarness | null = null;
afterEach(async () => {
  await run?.close();
  run = null;
});

/** Replaces the OHLC rows of the pair with `change(rows)`, keeping `last`. */
function ohlc(change: (rows: unknown[][]) => unknown[][]): Rewrite {
  return (original) => {
    const { key, value } = resultEntry(original);
    const last = (original as { result: { last: unknown } }).result.last;
    return { body: { error: [], result: { [key]: change(value as unknown[][]), last } } };
  };
}

/** Runs one cycle through the crafted exchange with `rewrite` on `endpoint`. */
async function cycleWith(endpoint: string, rewrite: Rewrite): Promise<CycleResult> {
  run = await startCrafted(trendCandles());
  run.crafted.rewrite(endpoint, rewrite);
  return runCycle(run.deps(), { market: "BTC/USD" });
}

/** Checks the row an abort leaves: its reason, a valid payload, and no order. */
async function expectAbortRow(reason: string): Promise<void> {
  const [row] = await logRows(run!.harness);
  expect(row?.status).toBe("aborted");
  expect(row?.abort_reason).toBe(reason);
  expect(ABORT_REASON_NAMES).toContain(row?.abort_reason);
  expect(auditPayloadSchema.safeParse(row?.ai_audit_payload).success).toBe(true);
  expect(await run!.harness.client.query("select * from orders")).toEqual([]);
}

describe("crafted OHLC replies", () => {
  it("duplicate row aborts MISALIGNED_DATA", async () => {
    const result = await cycleWith("OHLC", ohlc((rows) => [...rows.slice(0, 50), ...rows.slice(49)]));
    expect(result.abortReason).toBe("MISALIGNED_DATA");
    expect(result.payload?.integrity.misaligned).toHaveLength(1);
    await expectAbortRow("MISALIGNED_DATA");
  });

  it("negative volume aborts INVALID_DATA", async () => {
    const negative = (row: unknown[], i: number) => (i === 5 ? [...row.slice(0, 6), "-1", 1] : row);
    const result = await cycleWith("OHLC", ohlc((rows) => rows.map(negative)));
    expect(result.abortReason).toBe("INVALID_DATA");
    await expectAbortRow("INVALID_DATA");
  });

  it("empty result aborts STALE_DATA", async () => {
    const result = await cycleWith("OHLC", ohlc(() => []));
    expect(result.abortReason).toBe("STALE_DATA");
    expect(result.payload?.integrity.candles_received).toBe(0);
    await expectAbortRow("STALE_DATA");
  });

  it("wrong pair key aborts STALE_DATA", async () => {
    const rewrite: Rewrite = (original) => {
      const { value } = resultEntry(original);
      return { body: { error: [], result: { XETHZUSD: value, last: 0 } } };
    };
    const result = await cycleWith("OHLC", rewrite);
    expect(result.abortReason).toBe("STALE_DATA");
    await expectAbortRow("STALE_DATA");
  });

  it("800 rows use the configured window", async () => {
    const candles = syntheticCandles({
      start: SLOT - 799 * INTERVAL,
      count: 800,
      price: (i) => 42_000 + i,
    });
    run = await startCrafted(candles);
    const result = await runCycle(run.deps(), { market: "BTC/USD" });
    expect(result.outcome).toBe("completed");
    expect(result.payload?.integrity.candles_used).toBe(240);
    expect(result.payload?.integrity.newest_closed).toBe("2024-01-15T12:00:00.000Z");
  });

  it("error text with quotes keeps the log parseable", async () => {
    const text = 'EGeneral:Internal error "quoted" = x\nnext line';
    const result = await cycleWith("OHLC", () => ({ body: { error: [text] } }));
    expect(result.outcome).toBe("aborted");
    await expectAbortRow(String(result.abortReason));
    const log = run!.harness.sink.files.get(String(result.blackboxPath)) ?? "";
    const lines = parseLog(log);
    expect(lines.filter((line) => !line.ok)).toEqual([]);
    expect(lines.map((line) => (line.ok ? line.event : "")).at(-1)).toBe("CYCLE END");
  });
});

describe("crafted Ticker replies", () => {
  it("crossed ticker aborts INVALID_DATA", async () => {
    const result = await cycleWith("Ticker", (original) => {
      const { key, value } = resultEntry(original);
      (value as { b: string[] }).b[0] = "50000";
      return { body: { error: [], result: { [key]: value } } };
    });
    expect(result.abortReason).toBe("INVALID_DATA");
    await expectAbortRow("INVALID_DATA");
  });
});

describe("claims and slot age", () => {
  it("12 parallel invocations claim once", async () => {
    run = await startCrafted(trendCandles());
    const deps = run.harness;
    const results = await Promise.all(
      Array.from({ length: 12 }, () => runCycle(deps.deps(), { market: "BTC/USD" })),
    );
    const outcomes = results.map((result) => result.outcome);
    expect(outcomes.filter((outcome) => outcome !== "already_ran")).toEqual(["completed"]);
    expect(await deps.client.query("select * from orders")).toHaveLength(1);
    expect(await logRows(deps)).toHaveLength(1);
  });

  it("slot age at the limit runs", async () => {
    run = await startCrafted(trendCandles());
    const limit = run.harness.config.cycle.maxSlotDelayMs;
    run.harness.clock.set(SLOT + limit);
    run.harness.sim.setClock(SLOT + limit);
    const result = await runCycle(run.deps(), { market: "BTC/USD", slot: SLOT });
    expect(result.outcome).toBe("completed");
  });

  it("slot age 1 ms past the limit aborts", async () => {
    run = await startCrafted(trendCandles());
    const limit = run.harness.config.cycle.maxSlotDelayMs;
    run.harness.clock.set(SLOT + limit + 1);
    const result = await runCycle(run.deps(), { market: "BTC/USD", slot: SLOT });
    expect(result.abortReason).toBe("STALE_SLOT");
    expect(result.payload?.abort?.details.slot_age_ms).toBe(limit + 1);
    await expectAbortRow("STALE_SLOT");
  });

  it("future slot aborts STALE_SLOT", async () => {
    run = await startCrafted(trendCandles());
    const result = await runCycle(run.deps(), { market: "BTC/USD", slot: SLOT + INTERVAL });
    expect(result.abortReason).toBe("STALE_SLOT");
    expect(AT).toBeLessThan(SLOT + INTERVAL);
    await expectAbortRow("STALE_SLOT");
  });
});

describe("blackbox round trip", () => {
  const values: FieldValue[] = [
    "a=b", "", "line\nbreak", 'quote"q', "\\", "é日本", "null", "true", "12", "-5", "1e5",
    "Infinity", "\ud800", "a b=c d", " x=1", "=", '"', 'key="v"', "/path/x", "+1", ".5",
    "0x1f", "01", "\r", "\t", 1e21, 1e-7, -3.5, 0, true, false, null,
  ];
  for (const value of values) {
    it(`round-trips ${JSON.stringify(value)}`, () => {
      const fields = { k: value, z: "after" };
      const entry = { time: AT, level: "WARNING" as const, event: "ABORT", fields };
      const parsed = parseLine(formatLine(entry));
      expect(parsed.ok).toBe(true);
      expect(parsed.ok && parsed.fields.k).toBe(value);
      expect(parsed.ok && parsed.fields.z).toBe("after");
    });
  }
});

describe("config messages", () => {
  const cases: [string, string][] = [
    ["TITAN_HISTORY_CANDLES", "720"],
    ["TITAN_MAX_SLOT_DELAY_MS", "900000"],
    ["TITAN_GAP_MAX_MISSING_RATIO", "NaN"],
    ["TITAN_CYCLE_DEADLINE_MS", "-1"],
    ["SYSTEM_MODE", "paper"],
    ["TITAN_MARKETS", "btc/usd"],
    ["TITAN_PAPER_START_BALANCES", "usd=1"],
    ["TITAN_STRATEGY_PARAMS", '{"__proto__":{"fastPeriod":5}}'],
    ["TITAN_RISK_PARAMS", '{"entryFraction":2}'],
  ];
  for (const [name, value] of cases) {
    it(`${name}=${value} names both`, () => {
      let message = "";
      try {
        loadConfig({ [name]: value });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toContain(name);
      expect(message).toContain(value);
    });
  }
});

describe("candle file encodings", () => {
  const rows = syntheticCandles({ start: Date.UTC(2024, 0, 1), count: 3, price: (i) => 100 + i });
  const body = rows.map((c) => [c.time, c.open, c.high, c.low, c.close, c.volume].join(","));
  const plain = [CANDLE_FILE_HEADER, ...body, ""].join("\n");

  it("BOM and CRLF parse like plain text", () => {
    const crlf = "\ufeff" + plain.replace(/\n/g, "\r\n");
    expect(parseCandleFile(crlf, "crlf.csv")).toEqual(parseCandleFile(plain, "plain.csv"));
  });

  it("header with spaces names file and line", () => {
    const spaced = plain.replace(CANDLE_FILE_HEADER, CANDLE_FILE_HEADER.replace(/,/g, ", "));
    expect(() => parseCandleFile(spaced, "spaced.csv")).toThrow(/spaced\.csv line 1/);
  });
});
