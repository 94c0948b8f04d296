import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { HAVE_DATA, NO_DATA_MESSAGE, REAL_CANDLES_FILE } from "./helpers/candles.ts";

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "..");
const TSX = resolve(ROOT, "node_modules/.bin/tsx");

async function replay(args: string[], home: string) {
  const env = { ...process.env, TITAN_HOME: home, DATABASE_URL: "" };
  return run(TSX, ["scripts/replay.ts", ...args], { cwd: ROOT, env, timeout: 240_000 });
}

describe.skipIf(!HAVE_DATA)("replay command", () => {
  it("reports the gaps and runs no slot twice", async () => {
    const home = mkdtempSync(join(tmpdir(), "titan-replay-"));
    const range = ["--from", "2023-02-21T18:00Z", "--to", "2023-02-22T06:00Z"];
    const args = ["--candles", REAL_CANDLES_FILE, ...range, "--db", join(home, "db"), "--json"];
    const first = JSON.parse((await replay(args, home)).stdout);
    // 2023-02-22 00:15 to 01:15 has no candles: five slots find the newest
    // candle missing, then two find the gap among the three newest.
    expect(first.cycles).toBe(49);
    expect(first.aborted).toEqual({ STALE_DATA: 5, DATA_GAP: 2 });
    expect(first.completed).toBe(42);
    expect(first.skipped).toBe(0);
    expect(typeof first.final_equity).toBe("number");

    const second = JSON.parse((await replay(args, home)).stdout);
    expect(second.cycles).toBe(49);
    expect(second.skipped).toBe(49);
    expect(second.completed).toBe(0);
    expect(second.aborted).toEqual({});
    expect(second.trades).toBe(0);
    expect(second.final_equity).toBe(first.final_equity);
  }, 240_000);
});
if (!HAVE_DATA) it.skip(NO_DATA_MESSAGE, () => {});

describe("replay input errors", () => {
  it("names the line of a bad candles file", async () => {
    const home = mkdtempSync(join(tmpdir(), "titan-replay-"));
    const file = join(home, "bad.csv");
    writeFileSync(file, "timestamp_ms,open,high,low,close,volume\n1672531200000,1,2,0.5,1.5,3\n1672532100000,1,x,1,1,1\n");
    const error = await replay(["--candles", file], home).catch((e: { code: number; stderr: string }) => e);
    expect((error as { code: number }).code).toBe(2);
    expect((error as { stderr: string }).stderr).toMatch(/bad\.csv line 3/);
  }, 60_000);

  it("rejects a missing --candles option", async () => {
    const home = mkdtempSync(join(tmpdir(), "titan-replay-"));
    const error = await replay([], home).catch((e: { code: number; stderr: string }) => e);
    expect((error as { code: number }).code).toBe(2);
    expect((error as { stderr: string }).stderr).toMatch(/missing --candles/);
  }, 60_000);
});
