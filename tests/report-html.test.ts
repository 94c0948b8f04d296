import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type BrowserContext, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runBacktest } from "../shared/backtest/engine.ts";
import { computeMetrics } from "../shared/backtest/metrics.ts";
import { summarizeBacktest } from "../shared/backtest/summary.ts";
import { createTapeQuotes } from "../shared/backtest/tape-quotes.ts";
import { loadConfig } from "../shared/config/config.ts";
import type { Candle } from "../shared/market/types.ts";
import { marketInfoFor } from "../simulator/historical-source.ts";
import { KRAKEN_OHLC_MAX_ROWS } from "../simulator/tape.ts";
import { buildReportHtml } from "../scripts/lib/report/report-html.ts";
import { INTERVAL, syntheticCandles } from "./helpers/candles.ts";

const CHROMIUM = "/usr/bin/chromium";
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const START = Date.UTC(2024, 0, 1);

/** Stroke colors of the charted series, as the chart script sets them. */
const COLORS = {
  equity: [9, 105, 218],
  drawdown: [207, 34, 46],
  price: [130, 80, 223],
  buy: [26, 127, 55],
  sell: [207, 34, 46],
} as const;

/** Builds a report over a synthetic trend that rises, falls and rises, so the strategy trades. */
function reportHtml(candles: Candle[], from: number, to: number): string {
  const config = loadConfig({ TITAN_STRATEGY_PARAMS: '{"fastPeriod":5,"slowPeriod":20}' });
  const market = marketInfoFor("BTC/USD");
  const run = runBacktest({
    config,
    exchange: {
      market,
      ohlcMaxRows: KRAKEN_OHLC_MAX_ROWS,
      quoteAt: createTapeQuotes(candles, INTERVAL, 2, 1),
    },
    candles,
    fromSlot: from,
    toSlot: to,
    dispatchDelayMs: 5_000,
  });
  const metrics = computeMetrics(run, market.minAmount);
  return buildReportHtml({
    summary: summarizeBacktest("BTC/USD", run, metrics, config),
    run,
    metrics,
  });
}

function wavySeries(): Candle[] {
  return syntheticCandles({
    start: START,
    count: 1500,
    price: (i) => 30000 + 4000 * Math.sin(i / 120) + 400 * Math.sin(i / 9),
  });
}

/** Counts pixels of a chart's canvas within a small distance of `rgb`. */
async function countColor(
  context: BrowserContext,
  url: string,
  chartId: string,
  rgb: readonly number[],
) {
  const page = await context.newPage();
  const errors: string[] = [];
  const requests: string[] = [];
  page.on("pageerror", (error) => errors.push(String(error)));
  page.on("request", (request) => requests.push(request.url()));
  await page.goto(url);
  await page.waitForSelector("body[data-charts-ready='3']", { timeout: 10_000 });
  const count = await page.evaluate(
    ([id, color]) => {
      const canvas = document.querySelector(`#${id} canvas`) as HTMLCanvasElement;
      const pixels = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
      let matches = 0;
      for (let i = 0; i < pixels.length; i += 4) {
        const near = Math.abs(pixels[i]! - color[0]!) + Math.abs(pixels[i + 1]! - color[1]!) +
          Math.abs(pixels[i + 2]! - color[2]!);
        if (near < 40 && pixels[i + 3]! > 200) matches++;
      }
      return matches;
    },
    [chartId, rgb] as const,
  );
  await page.close();
  return { count, errors, requests };
}

if (!HAVE_CHROMIUM) {
  it.skip(`report screenshots: skipped, ${CHROMIUM} is absent (apt-get install chromium)`, () => {
    // Nothing to run without a browser.
  });
}

describe.skipIf(!HAVE_CHROMIUM)("backtest report in Chromium", () => {
  let dir = "";
  let context: BrowserContext;
  let reportUrl = "";
  let emptyUrl = "";

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "titan-report-"));
    const candles = wavySeries();
    writeFileSync(
      join(dir, "report.html"),
      reportHtml(candles, START + INTERVAL, START + 1500 * INTERVAL),
    );
    // Every slot of this range lies before the first candle, so every chart is empty.
    const before = START - 200 * INTERVAL;
    writeFileSync(join(dir, "empty.html"), reportHtml(candles, before, before + 100 * INTERVAL));
    reportUrl = pathToFileURL(join(dir, "report.html")).href;
    emptyUrl = pathToFileURL(join(dir, "empty.html")).href;
    context = await chromium.launchPersistentContext(join(dir, "profile"), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 1800 },
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("draws the equity curve", async () => {
    const result = await countColor(context, reportUrl, "chart-equity", COLORS.equity);
    expect(result.count).toBeGreaterThan(500);
  });

  it("draws the drawdown", async () => {
    const result = await countColor(context, reportUrl, "chart-drawdown", COLORS.drawdown);
    expect(result.count).toBeGreaterThan(500);
  });

  it("draws price, entries and exits", async () => {
    const price = await countColor(context, reportUrl, "chart-price", COLORS.price);
    const buys = await countColor(context, reportUrl, "chart-price", COLORS.buy);
    const sells = await countColor(context, reportUrl, "chart-price", COLORS.sell);
    expect(price.count).toBeGreaterThan(500);
    expect(buys.count).toBeGreaterThan(20);
    expect(sells.count).toBeGreaterThan(20);
  });

  it("loads nothing but the file and raises no error", async () => {
    const result = await countColor(context, reportUrl, "chart-equity", COLORS.equity);
    expect(result.requests).toEqual([reportUrl]);
    expect(result.errors).toEqual([]);
  });

  it("counts no series pixels on an empty chart", async () => {
    const result = await countColor(context, emptyUrl, "chart-equity", COLORS.equity);
    expect(result.count).toBe(0);
  });

  it("saves a screenshot with three charts", async () => {
    const page = await context.newPage();
    await page.goto(reportUrl);
    await page.waitForSelector("body[data-charts-ready='3']");
    const path = join(tmpdir(), "titan-backtest-report.png");
    await page.screenshot({ path, fullPage: true });
    await page.close();
    expect(existsSync(path)).toBe(true);
  });
});
