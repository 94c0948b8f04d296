import { describe, expect, it } from "vitest";
import { fillPaperOrder, type PaperResult } from "../shared/broker/paper.ts";
import type { Balances } from "../shared/journal/journal.ts";
import type { MarketInfo, Quote } from "../shared/market/types.ts";
import { type OrderRequest, validateOrder } from "../shared/risk/order-rules.ts";
import { buildOrder, referencePrice } from "../shared/risk/sizing.ts";

const BTC_EUR: MarketInfo = {
  symbol: "BTC/EUR",
  id: "XXBTZEUR",
  base: "BTC",
  quote: "EUR",
  priceDecimals: 1,
  amountDecimals: 8,
  minAmount: 0.0001,
  minCost: 0.45,
  takerFee: 0.0026,
};

/** The last trade sits between bid and ask, so a fill at `last` would show in every price. */
const QUOTE: Quote = { bid: 39990, ask: 40010, last: 40000 };

function filled(result: PaperResult) {
  if (result.kind !== "filled") throw new Error(`expected a fill, got ${result.message}`);
  return result;
}

describe("fillPaperOrder prices", () => {
  const buy = buildOrder("buy", 0.001, 40000, BTC_EUR);
  const sell = buildOrder("sell", 0.001, 40000, BTC_EUR);

  it("fills a buy at the ask", () => {
    const { fill } = filled(fillPaperOrder(buy, QUOTE, BTC_EUR, { EUR: 100 }, { slippageBps: 0 }));
    expect(fill.price).toBe(40010);
    expect(fill.amount).toBe(0.001);
    expect(fill.cost).toBe(0.001 * 40010);
  });

  it("fills a sell at the bid", () => {
    const { fill } = filled(
      fillPaperOrder(sell, QUOTE, BTC_EUR, { BTC: 0.001 }, { slippageBps: 0 }),
    );
    expect(fill.price).toBe(39990);
  });

  it("worsens a buy by the slippage", () => {
    const { fill } = filled(fillPaperOrder(buy, QUOTE, BTC_EUR, { EUR: 100 }, { slippageBps: 10 }));
    expect(fill.price).toBe(40050);
  });

  it("worsens a sell by the slippage", () => {
    const { fill } = filled(fillPaperOrder(sell, QUOTE, BTC_EUR, { BTC: 1 }, { slippageBps: 10 }));
    expect(fill.price).toBe(39950);
  });

  it("rejects negative slippage", () => {
    expect(() => fillPaperOrder(buy, QUOTE, BTC_EUR, { EUR: 100 }, { slippageBps: -1 })).toThrow(
      "Invalid PAPER slippageBps -1",
    );
  });
});

describe("fillPaperOrder balances", () => {
  it("charges the taker fee on a buy", () => {
    const order = buildOrder("buy", 0.002, 40000, BTC_EUR);
    const result = filled(
      fillPaperOrder(order, QUOTE, BTC_EUR, { EUR: 100, BTC: 0.5 }, { slippageBps: 0 }),
    );
    const cost = 0.002 * 40010;
    expect(result.fill.fee).toBe(cost * 0.0026);
    expect(result.balancesAfter.EUR).toBe(100 - (cost + cost * 0.0026));
    expect(result.balancesAfter.BTC).toBe(0.502);
  });

  it("charges the taker fee on a sell", () => {
    const order = buildOrder("sell", 0.002, 40000, BTC_EUR);
    const result = filled(
      fillPaperOrder(order, QUOTE, BTC_EUR, { BTC: 0.002 }, { slippageBps: 0 }),
    );
    const cost = 0.002 * 39990;
    expect(result.fill.fee).toBe(cost * 0.0026);
    expect(result.balancesAfter.EUR).toBe(cost - cost * 0.0026);
    expect(result.balancesAfter.BTC).toBe(0);
  });

  it("leaves the input balances unchanged", () => {
    const balances: Balances = { EUR: 100 };
    const order = buildOrder("buy", 0.001, 40000, BTC_EUR);
    fillPaperOrder(order, QUOTE, BTC_EUR, balances, { slippageBps: 0 });
    expect(balances).toEqual({ EUR: 100 });
  });

  it("keeps the quote balance non-negative", () => {
    // 0.00249351 × 40010 plus its fee is the largest buy that 100.0226 EUR covers.
    const order = buildOrder("buy", 0.00249351, 40010, BTC_EUR);
    const free = order.cost + order.fee;
    const result = filled(fillPaperOrder(order, QUOTE, BTC_EUR, { EUR: free }, { slippageBps: 0 }));
    expect(result.balancesAfter.EUR).toBe(0);
  });
});

describe("fillPaperOrder validation", () => {
  const cases: Array<[string, OrderRequest, Balances, number]> = [
    ["funds short after slippage", buildOrder("buy", 0.0025, 40010, BTC_EUR), { EUR: 100.3 }, 25],
    ["amount below minimum", buildOrder("buy", 0.00005, 40000, BTC_EUR), { EUR: 100 }, 0],
    ["cost below minimum", buildOrder("buy", 0.00001, 40000, BTC_EUR), { EUR: 100 }, 0],
    ["extra amount decimals", buildOrder("sell", 0.000100011, 40000, BTC_EUR), { BTC: 1 }, 0],
    ["sell beyond free base", buildOrder("sell", 0.01, 40000, BTC_EUR), { BTC: 0.005 }, 0],
    ["zero amount", buildOrder("sell", 0, 40000, BTC_EUR), { BTC: 0.005 }, 0],
  ];
  for (const [name, order, balances, slippageBps] of cases) {
    it(`rejects ${name} as validateOrder does`, () => {
      const price = referencePrice(order.side, QUOTE, BTC_EUR, slippageBps / 10_000);
      const expected = validateOrder(
        buildOrder(order.side, order.amount, price, BTC_EUR),
        BTC_EUR,
        balances,
      );
      const result = fillPaperOrder(order, QUOTE, BTC_EUR, balances, { slippageBps });
      expect(expected.ok).toBe(false);
      expect(result.kind).toBe("rejected");
      if (expected.ok || result.kind !== "rejected") return;
      expect(result.reason).toBe(expected.reason);
      expect(result.message).toBe(expected.message);
    });
  }

  it("rejects a quote without an ask", () => {
    const order = buildOrder("buy", 0.001, 40000, BTC_EUR);
    const quote = { bid: 39990, ask: Number.NaN, last: 40000 };
    const result = fillPaperOrder(order, quote, BTC_EUR, { EUR: 100 }, { slippageBps: 0 });
    expect(result.kind).toBe("rejected");
    if (result.kind !== "rejected") return;
    expect(result.reason).toBe("INVALID_ORDER");
  });
});
