/**
 * Regression tests for defects once found in the PAPER cycle and its
 * commands: hostile exchange replies, failing journals and sinks, secrets in
 * errors, shared PAPER funds, and hostile configuration values.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { formatLine } from "../shared/blackbox/format.ts";
import { parseLine } from "../shared/blackbox/parse.ts";
import { loadConfig } from "../shared/config/config.ts";
import type { CycleResult } from "../shared/cycle/context.ts";
import type { Journal } from "../shared/journal/journal.ts";
import { CANDLE_FILE_HEADER } from "../shared/market/candle-file.ts";
import { syntheticCandles } from "./helpers/candles.ts";
import {
  type CraftedHarness,
  logRows,
  outcomeOf,
  settle,
  startCrafted,
  trendCandles,
} from "./helpers/breaker-cycle.ts";
import { resultEntry, type Rewrite } from "./helpers/crafted-kraken.ts";

const REPO_ROOT = resolve(import.meta.dirname, "..");

let run: CraftedHarness | null = null;
afterEach(async () => {
  await run?.close();
  run = null;
});

/** Rewrites every OHLC row with `change`, keeping the pair key and `last`. */
function ohlcRows(change: (row: unknown[], index: number) => unknown[]): Rewrite {
  return (original) => {
    const { key, value } = resultEntry(original);
    const last = (original as { result: { last: unknown } }).result.last;
    const rows = (value as unknown[][]).map(change);
    return { body: { error: [], result: { [key]: rows, last } } };
  };
}

/** Rewrites the Ticker entry of the pair in place. */
function ticker(change: (entry: Record<string, string[]>) => void): Rewrite {
  return (original) => {
    const { key, value } = resultEntry(original);
    change(value as Record<string, string[]>);
    return { body: { error: [], result: { [key]: value } } };
  };
}

describe("exchange replies that leave the row running", () => {
  it("Time in milliseconds aborts TIMESTAMP_MISMATCH", async () => {
    run = await startCrafted(trendCandles());
    const unixtime = Math.floor(run.harness.clock.now()); // ms where Kraken sends seconds
    run.crafted.rewrite("Time", () => ({ body: { error: [], result: { unixtime } } }));
    const result = await settle(run.deps());
    expect(outcomeOf(result)).toBe("aborted");
    const [row] = await logRows(run.harness);
    expect(row?.status).toBe("aborted");
    expect(row?.abort_reason).toBe("TIMESTAMP_MISMATCH");
  });

  it("Time beyond the Date range aborts TIMESTAMP_MISMATCH", async () => {
    run = await startCrafted(trendCandles());
    run.crafted.rewrite("Time", () => ({ body: { error: [], result: { unixtime: 1e20 } } }));
    const result = await settle(run.deps());
    expect(outcomeOf(result)).toBe("aborted");
    const [row] = await logRows(run.harness);
    expect(row?.abort_reason).toBe("TIMESTAMP_MISMATCH");
  });

  it("OHLC times in milliseconds finish the row", async () => {
    run = await startCrafted(trendCandles());
    run.crafted.rewrite("OHLC", ohlcRows((row) => [Number(row[0]) * 1000, ...row.slice(1)]));
    const result = await settle(run.deps());
    expect(outcomeOf(result)).toBe("aborted");
    const [row] = await logRows(run.harness);
    expect(row?.status).toBe("aborted");
  });

  it("huge finite candle prices finish the row", async () => {
    run = await startCrafted(trendCandles());
    const huge = (scale: number, index: number) => String(scale * 1e306 * (1 + index / 100));
    run.crafted.rewrite(
      "OHLC",
      ohlcRows((row, i) => [row[0], huge(1, i), huge(1.5, i), huge(0.5, i), huge(1, i), "1", "1", 1]),
    );
    const result = await settle(run.deps());
    expect(outcomeOf(result)).not.toMatch(/^threw/);
    const [row] = await logRows(run.harness);
    expect(row?.status).not.toBe("running");
  });
});

describe("cycle faults that leave the row running", () => {
  it("hanging blackbox sink ends within the deadline", async () => {
    const env = { TITAN_EXCHANGE_TIMEOUT_MS: "2000", TITAN_CYCLE_DEADLINE_MS: "3000" };
    run = await startCrafted(trendCandles(), env);
    const hangingSink = { put: () => new Promise<void>(() => {}) };
    const watchdogMs = 3000 + 3000;
    const watchdog = new Promise<string>((done) => setTimeout(() => done("hung"), watchdogMs));
    const result = await Promise.race([settle(run.deps({ blackbox: hangingSink })), watchdog]);
    expect(outcomeOf(result)).toBe("completed");
    const [row] = await logRows(run.harness);
    expect(row?.status).toBe("completed");
  }, 20_000);

  it("journal throwing a bare object crashes cleanly", async () => {
    run = await startCrafted(trendCandles());
    const real = run.harness.journal;
    const journal: Journal = {
      claimCycle: (claim) => real.claimCycle(claim),
      readSystemState: () => Promise.reject(Object.create(null)),
      readPaperBalances: (initial) => real.readPaperBalances(initial),
      recordPaperFill: (fill) => real.recordPaperFill(fill),
      lastEquity: (market, slot) => real.lastEquity(market, slot),
      finishCycle: (finish) => real.finishCycle(finish),
      close: () => real.close(),
    };
    const result = await settle(run.deps({ journal }));
    expect(outcomeOf(result)).toBe("crashed");
    const [row] = await logRows(run.harness);
    expect(row?.status).toBe("crashed");
  });
});

describe("secrets", () => {
  it("exchange error keeps a secret out of the result message", async () => {
    run = await startCrafted(trendCandles());
    const secret = "topsecretvalue42";
    const error = `EGeneral:Invalid key ${secret}`;
    run.crafted.rewrite("OHLC", () => ({ body: { error: [error] } }));
    const result = (await settle(run.deps({ secrets: [secret] }))) as CycleResult;
    expect(result.outcome).toBe("aborted");
    expect(result.message).not.toContain(secret);
  });

  it("escaped secret stays out of the payload", async () => {
    run = await startCrafted(trendCandles());
    const secret = 'pa"ss\\word-9f3k';
    run.crafted.rewrite("OHLC", () => ({ body: { error: [`EGeneral:Invalid key ${secret}`] } }));
    await settle(run.deps({ secrets: [secret] }));
    const [row] = await logRows(run.harness);
    const abort = row?.ai_audit_payload?.abort as { details: { exchange_text: string } };
    const escaped = JSON.stringify(secret).slice(1, -1); // ccxt quotes the reply body as JSON
    expect(row?.status).toBe("aborted");
    expect(abort.details.exchange_text).not.toContain(escaped);
  });
});

describe("PAPER funds", () => {
  it("two markets sharing USD in one slot do not crash", async () => {
    const eth = syntheticCandles({
      start: trendCandles()[0]!.time,
      count: 300,
      price: (i) => 2000 + 0.5 * i,
    });
    const candles = { XXBTZUSD: trendCandles(), XETHZUSD: eth };
    run = await startCrafted(candles, { TITAN_MARKETS: "BTC/USD,ETH/USD" });
    // Straight to the simulator: the crafted server's extra hop can serialize the two cycles.
    const direct = run.harness;
    const results = await Promise.all([settle(direct.deps()), settle(direct.deps(), "ETH/USD")]);
    expect(results.map(outcomeOf)).not.toContain("crashed");
    const balances = await run.harness.client.query<{ amount: string }>(
      "select amount from paper_balances where asset = 'USD'",
    );
    expect(Number(balances[0]?.amount)).toBeGreaterThanOrEqual(0);
  });

  it("funds exactly equal to cost plus fee do not crash", async () => {
    // In doubles 1396.173701202 + 3.6300516231252002 equals this balance; in decimal
    // the sum is 2e-16 larger, so the SQL balance check and the JS check disagree.
    const env = {
      TITAN_PAPER_START_BALANCES: "USD=1399.8037528251252",
      TITAN_RISK_PARAMS: '{"entryFraction":1}',
      TITAN_PAPER_SLIPPAGE_BPS: "0",
    };
    run = await startCrafted(trendCandles(), env);
    run.crafted.rewrite("Ticker", ticker((entry) => {
      entry.a![0] = "46408.9";
      entry.b![0] = "46408.9";
    }));
    const result = await settle(run.deps());
    expect(outcomeOf(result)).not.toBe("crashed");
    const [row] = await logRows(run.harness);
    expect(row?.status).not.toBe("crashed");
  });
});

describe("market data sanity", () => {
  it("ticker far below the last close aborts INVALID_DATA", async () => {
    const env = { TITAN_PAPER_START_BALANCES: "USD=0,BTC=1" };
    run = await startCrafted(trendCandles(-10, 45_000), env);
    run.crafted.rewrite("Ticker", ticker((entry) => {
      entry.a![0] = "1.1";
      entry.b![0] = "1.0";
      entry.c![0] = "1.0";
    }));
    const result = (await settle(run.deps())) as CycleResult;
    expect(result.abortReason).toBe("INVALID_DATA");
    expect(await run.harness.client.query("select * from orders")).toEqual([]);
  });
});

describe("blackbox format", () => {
  for (const separator of ["\u2028", "\u2029"]) {
    it(`round-trips U+${separator.charCodeAt(0).toString(16).toUpperCase()}`, () => {
      const value = `before${separator}after`;
      const entry = { time: Date.UTC(2024, 0, 15), level: "INFO" as const, event: "X", fields: { k: value } };
      const parsed = parseLine(formatLine(entry));
      expect(parsed.ok).toBe(true);
      expect(parsed.ok && parsed.fields.k).toBe(value);
    });
  }
});

describe("config", () => {
  /** Loads the config, or returns "rejected" when it throws. */
  function loadOrReject(env: Record<string, string>) {
    try {
      return loadConfig(env);
    } catch {
      return "rejected" as const;
    }
  }

  it("blank slippage counts as unset", () => {
    const config = loadOrReject({ TITAN_PAPER_SLIPPAGE_BPS: " " });
    expect(config === "rejected" ? "rejected" : config.paper.slippageBps).not.toBe(0);
  });

  it("blank retry backoff counts as unset", () => {
    const config = loadOrReject({ TITAN_RETRY_BACKOFF_MS: "  " });
    expect(config === "rejected" ? "rejected" : config.cycle.retryBackoffMs).not.toBe(0);
  });

  it("blank gap ratio counts as unset", () => {
    const config = loadOrReject({ TITAN_GAP_MAX_MISSING_RATIO: "\t" });
    const ratio = config === "rejected" ? "rejected" : config.cycle.gapPolicy.maxMissingRatio;
    expect(ratio).not.toBe(0);
  });

  it("overflowing start balance is rejected", () => {
    const env = { TITAN_PAPER_START_BALANCES: `USD=${"9".repeat(400)}` };
    expect(() => loadConfig(env)).toThrow(/TITAN_PAPER_START_BALANCES/);
  });

  it("repeated start balance asset is rejected", () => {
    const env = { TITAN_PAPER_START_BALANCES: "USD=10000,USD=5" };
    expect(() => loadConfig(env)).toThrow(/TITAN_PAPER_START_BALANCES.*USD/);
  });

  it("non-HTTP exchange URL is rejected", () => {
    expect(() => loadConfig({ KRAKEN_API_URL: "file:///etc/passwd" })).toThrow(/KRAKEN_API_URL/);
  });
});

describe("replay command", () => {
  it("--db naming a file exits 2 with a message", () => {
    const dir = mkdtempSync(join(tmpdir(), "titan-breaker-"));
    const candles = join(dir, "candles.csv");
    const rows = syntheticCandles({ start: Date.UTC(2024, 0, 1), count: 4, price: () => 100 });
    const lines = rows.map((c) => [c.time, c.open, c.high, c.low, c.close, c.volume].join(","));
    writeFileSync(candles, [CANDLE_FILE_HEADER, ...lines, ""].join("\n"));
    const dbFile = join(dir, "not-a-folder");
    writeFileSync(dbFile, "x");
    const done = spawnSync("npx", ["tsx", "scripts/replay.ts", "--candles", candles, "--db", dbFile], {
      cwd: REPO_ROOT,
      env: { ...process.env, TITAN_HOME: join(dir, "home") },
      encoding: "utf8",
    });
    expect(done.status).toBe(2);
    expect(done.stderr).toMatch(/^error: .*not-a-folder/);
    expect(done.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);
});
