import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { CANDLE_FILE_HEADER } from "../shared/market/candle-file.ts";
import { syntheticCandles } from "./helpers/candles.ts";
import { clusterUrl } from "./helpers/database.ts";

const execute = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "..");
const DOCS_PAGE = join(ROOT, "docs/benchmarks.md");

describe("npm run bench:smoke", () => {
  const dir = mkdtempSync(join(tmpdir(), "titan-bench-"));
  const file = join(dir, "candles.csv");
  const candles = syntheticCandles({
    start: Date.UTC(2024, 0, 1),
    count: 1_200,
    price: (i) => 30000 + 2000 * Math.sin(i / 50),
  });
  const rows = candles.map((c) => [c.time, c.open, c.high, c.low, c.close, c.volume].join(","));
  writeFileSync(file, [CANDLE_FILE_HEADER, ...rows].join("\n"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("prints every row and leaves the docs page alone", async () => {
    const before = statSync(DOCS_PAGE, { throwIfNoEntry: false })?.mtimeMs ?? null;
    const { stdout } = await execute(
      "npx",
      [
        "tsx",
        "scripts/bench.ts",
        "--smoke",
        "--runs",
        "1",
        "--candles",
        file,
        "--postgres-url",
        clusterUrl(),
      ],
      { cwd: ROOT, env: { ...process.env, TITAN_HOME: dir } },
    );

    const lines = stdout.trim().split("\n").slice(1);
    const names = lines.map((line) => line.split("  ")[0]);
    expect(names).toEqual([
      "backtest throughput",
      "backtest first run (unwarmed)",
      "backtest wall time / parse+SMA pass",
      "replay cycles/s",
      "backtest speed / replay speed",
      "run-cycle bundle size",
      "run-cycle module load (no request)",
      "run-cycle cold start to first response",
      "Deno process importing all of ccxt",
      "run-cycle memory after one cycle (RSS)",
      "run-cycle warm CPU per cycle",
    ]);
    expect(stdout).toMatch(/backtest throughput\s+[\d,]+ candles\/s/);
    expect(stdout).toMatch(/replay cycles\/s\s+not measured: a smoke run skips replay/);
    expect(stdout).toMatch(/run-cycle bundle size\s+\d+\.\d\d MB/);
    expect(stdout).toMatch(/run-cycle cold start to first response\s+\d+ ms .* = \d+\.\d\dx/);
    expect(stdout).toMatch(/Deno process importing all of ccxt\s+\d+ ms/);
    expect(stdout).toMatch(/run-cycle memory after one cycle \(RSS\)\s+\d+\.\d MB/);
    expect(stdout).toMatch(/run-cycle warm CPU per cycle\s+median [\d.]+ ms, p95 [\d.]+ ms/);
    expect(stdout).toContain("over 3 completed cycles");
    expect(stdout).not.toContain("MISSED");
    expect(statSync(DOCS_PAGE, { throwIfNoEntry: false })?.mtimeMs ?? null).toBe(before);
  }, 240_000);
});

describe("docs/benchmarks.md", () => {
  it("names the machine and every target", () => {
    const page = readFileSync(DOCS_PAGE, "utf8");
    for (const text of ["| CPU |", "| cores |", "| memory |", "| Node |", "| Deno |", "| date |"]) {
      expect(page).toContain(text);
    }
    expect(page).toContain(">= 1,000,000 candles/s");
    expect(page).toContain("<= 3x");
    expect(page).toContain("<= 50 ms over 100 cycles");
    expect(page).toContain("<= 2 MB");
    expect(page).toContain("<= 0.5x the ccxt import");
    expect(page).toContain("<= 100 MB");
  });
});
