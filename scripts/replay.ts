/**
 * `npm run replay`: runs the live PAPER cycle for every slot of a candles
 * file, on simulated time, into the embedded database.
 */
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "../shared/config/config.ts";
import { CandleFileError } from "../shared/market/candle-file.ts";
import { parseSlotOption, readCandleFile } from "./lib/candle-input.ts";
import { fail, usageError } from "./lib/cli.ts";
import { localEnv, titanHome } from "./lib/env.ts";
import { FileSink } from "./lib/file-sink.ts";
import { LocalDatabaseError, openLocalJournal } from "./lib/journal.ts";
import { createProgress } from "./lib/progress.ts";
import { defaultRange, replay, type ReplaySummary } from "./lib/replay-run.ts";

const USAGE = `Usage: npm run replay -- --candles FILE [options]

Runs the PAPER cycle for every 15-minute slot covered by a candles file, as
if pg_cron had called it 5 seconds after each slot opened, and prints the
cycles run, aborts by reason, trades, fees and final equity.

Options:
  --candles FILE    candles file: a header line timestamp_ms,open,high,low,close,volume
                    then rows, or Kraken's headerless OHLCVT export
                    (unix_seconds,open,high,low,close,volume,trades)
  --market SYMBOL   market the candles belong to (default BTC/USD)
  --from ISO        first slot to run, e.g. 2023-03-01T00:00Z (default: the
                    slot after the first candle closes)
  --to ISO          last slot to run (default: the slot after the last candle)
  --db DIR          embedded database folder to use and keep; a second replay
                    into the same folder runs no slot twice (default: a fresh
                    database in memory)
  --spread-bps N    bid/ask spread around the last price, in basis points
                    (default 2, as the simulator)
  --json            print the summary as one JSON object
  --help            show this help

Configuration (strategy, risk, gap policy, paper balances) is read from the
environment and .env; DATABASE_URL is ignored here.`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      candles: { type: "string" },
      market: { type: "string", default: "BTC/USD" },
      from: { type: "string" },
      to: { type: "string" },
      db: { type: "string" },
      "spread-bps": { type: "string", default: "2" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!values.candles) fail("missing --candles FILE: name the candles file to replay.", USAGE);
  const env = { ...localEnv(), TITAN_MARKETS: values.market, DATABASE_URL: "", SUPABASE_DB_URL: "" };
  const config = loadConfig(env);
  const candles = readCandleFile(values.candles);
  const range = defaultRange(candles, config.cycle.intervalMs);
  const fromSlot = values.from ? parseSlotOption("--from", values.from, config.cycle.intervalMs) : range.from;
  const toSlot = values.to ? parseSlotOption("--to", values.to, config.cycle.intervalMs) : range.to;
  if (toSlot < fromSlot) fail(`--to ${values.to} is before --from ${values.from ?? ""}; swap them.`);
  const spreadBps = Number(values["spread-bps"]);
  if (!(spreadBps >= 0 && spreadBps <= 1000)) {
    fail(`invalid --spread-bps ${values["spread-bps"]}: expected a number from 0 to 1000.`);
  }

  const home = titanHome(env);
  const dbDir = values.db ? resolve(values.db) : null;
  const { journal } = await openLocalJournal(env, dbDir);
  const progress = createProgress(!values.json);
  try {
    const summary = await replay({
      config,
      market: values.market,
      candles,
      journal,
      blackbox: new FileSink(join(home, "replay-blackbox")),
      fromSlot,
      toSlot,
      spreadBps,
      onCycle: (done, total) => progress.update(done, total),
    });
    progress.stop();
    console.log(values.json ? JSON.stringify(summary) : describe(summary));
    return summary.crashed > 0 ? 4 : 0;
  } finally {
    progress.stop();
    await journal.close();
  }
}

function describe(s: ReplaySummary): string {
  const aborts = Object.entries(s.aborted).sort((a, b) => b[1] - a[1]);
  const lines = [
    `replay ${s.market} slots ${s.from} .. ${s.to}`,
    `cycles        ${s.cycles}`,
    `completed     ${s.completed} (orders skipped by a rule: ${s.orders_skipped})`,
    `already ran   ${s.skipped}`,
    `aborted       ${aborts.reduce((n, [, c]) => n + c, 0)}`,
    ...aborts.map(([reason, count]) => `  ${reason.padEnd(22)} ${count}`),
    `crashed       ${s.crashed}`,
    `trades        ${s.trades}`,
    `fees          ${s.fees}`,
    `final equity  ${s.final_equity === null ? "n/a" : s.final_equity.toFixed(2)}`,
  ];
  return lines.join("\n");
}

main().then(
  (code) => process.exit(code),
  (error) => {
    if (
      error instanceof ConfigError ||
      error instanceof CandleFileError ||
      error instanceof LocalDatabaseError ||
      usageError(error)
    ) {
      fail(error.message, USAGE);
    }
    throw error;
  },
);
