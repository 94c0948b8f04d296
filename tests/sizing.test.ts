import { describe, expect, it } from "vitest";
import type { MarketInfo, Quote } from "../shared/market/types.ts";
import { hasAtMostDecimals, roundDecimals, truncateDecimals } from "../shared/risk/decimals.ts";
import { type OrderCheck, type OrderRequest, validateOrder } from "../shared/risk/order-rules.ts";
import { type RiskParams, riskParamsSchema } from "../shared/risk/risk-params.ts";
import {
  buildOrder,
  quoteBudgetAmount,
  sizeOrder,
  type SizingInput,
  type SizingResult,
} from "../shared/risk/sizing.ts";

/** Kraken XXBTZEUR: pair_decimals 1, lot_decimals 8, ordermin 0.0001, costmin 0.45. */
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

function quoteAt(ask: number, bid = ask - 10): Quote {
  return { bid, ask, last: (ask + bid) / 2 };
}

function input(overrides: Partial<SizingInput>): SizingInput {
  return {
    side: "buy",
    market: BTC_EUR,
    quote: quoteAt(40000),
    balances: { EUR: 1000, BTC: 0 },
    risk: riskParamsSchema.parse({}),
    ...overrides,
  };
}

function orderOf(overrides: Partial<SizingInput>): OrderRequest {
  const result = sizeOrder(input(overrides));
  if (result.kind !== "order") throw new Error(`expected an order, got ${result.message}`);
  return result.order;
}

/** The skip reason, or "order" when sizing produced an order. */
function reasonOf(result: SizingResult): string {
  return result.kind === "skip" ? result.reason : "order";
}

/** The failed rule, or "ok" when the order passes. */
function checkReason(check: OrderCheck): string {
  return check.ok ? "ok" : check.reason;
}

describe("decimal helpers", () => {
  it("truncates 0.00010001 exactly", () => {
    expect(truncateDecimals(0.00010001, 8)).toBe(0.00010001);
  });

  it("truncates toward zero", () => {
    expect(truncateDecimals(0.0024935168561739476, 8)).toBe(0.00249351);
  });

  it("rounds a Kraken EUR price", () => {
    expect(roundDecimals(39995.802, 1)).toBe(39995.8);
  });

  it("rounds written halves up", () => {
    expect(roundDecimals(1.005, 2)).toBe(1.01);
  });

  it("counts decimals", () => {
    expect(hasAtMostDecimals(0.00010001, 8)).toBe(true);
    expect(hasAtMostDecimals(0.000100011, 8)).toBe(false);
  });

  it("rejects invalid decimals", () => {
    expect(() => truncateDecimals(1, 13)).toThrow("Invalid decimals 13");
  });
});

describe("riskParamsSchema", () => {
  it("defaults entryFraction to 0.95", () => {
    expect(riskParamsSchema.parse({})).toEqual({ entryFraction: 0.95 });
  });

  const cases: Array<[string, Record<string, unknown>, string]> = [
    ["zero fraction", { entryFraction: 0 }, "entryFraction must be above 0, got 0"],
    ["fraction above 1", { entryFraction: 1.5 }, "entryFraction must be at most 1, got 1.5"],
    ["negative cap", { maxOrderCost: -5 }, "maxOrderCost must be above 0, got -5"],
    ["text cap", { maxOrderCost: "5" }, "maxOrderCost must be a number in the quote currency"],
    ["unknown key", { fraction: 1 }, 'Unrecognized key: "fraction"'],
  ];
  for (const [name, value, message] of cases) {
    it(`rejects ${name}`, () => {
      const result = riskParamsSchema.safeParse(value);
      expect(result.error?.issues.map((issue) => issue.message)).toEqual([message]);
    });
  }
});

describe("sizeOrder fixed budgets", () => {
  // Buys for 4.00, 3.50 and 0.40 EUR at an ask of 39995.8020 on XXBTZEUR.
  const quote = quoteAt(39995.802);
  const capped = (maxOrderCost: number): RiskParams => ({ entryFraction: 0.95, maxOrderCost });

  it("places 4.00 EUR as 0.00010001", () => {
    const order = orderOf({ quote, risk: capped(4) });
    expect(order.price).toBe(39995.8);
    expect(order.amount).toBe(0.00010001);
    expect(order.cost).toBe(0.00010001 * 39995.8);
  });

  it("skips 3.50 EUR below the minimum amount", () => {
    const result = sizeOrder(input({ quote, risk: capped(3.5) }));
    expect(result.kind).toBe("skip");
    if (result.kind !== "skip") return;
    expect(result.reason).toBe("BELOW_MIN_AMOUNT");
    expect(result.details.amount).toBe(0.0000875);
    expect(result.message).toBe(
      "Skipped buy on BTC/EUR: amount 0.0000875 BTC is below the minimum order amount 0.0001 BTC.",
    );
  });

  it("skips 0.40 EUR below the minimum cost", () => {
    const result = sizeOrder(input({ quote, risk: capped(0.4) }));
    expect(result.kind).toBe("skip");
    if (result.kind !== "skip") return;
    expect(result.reason).toBe("BELOW_MIN_COST");
    expect(result.details.minCost).toBe(0.45);
  });

  it("converts a fixed budget without fee", () => {
    expect(quoteBudgetAmount(4, 39995.8, BTC_EUR)).toBe(0.00010001);
  });

  it("spends a 4.00 EUR balance at zero fee", () => {
    const market = { ...BTC_EUR, takerFee: 0 };
    const risk = { entryFraction: 1 };
    const order = orderOf({ market, quote, risk, balances: { EUR: 4 } });
    expect(order.amount).toBe(0.00010001);
  });
});

describe("sizeOrder buy", () => {
  it("includes the fee in a whole balance", () => {
    // 100 EUR at 40000.0 with a 0.26 % taker fee buys 0.00249351, not 0.0025.
    const order = orderOf({ balances: { EUR: 100 }, risk: { entryFraction: 1 } });
    expect(order.amount).toBe(0.00249351);
    expect(order.cost + order.fee).toBeLessThanOrEqual(100);
  });

  it("spends entryFraction of free quote", () => {
    const order = orderOf({ balances: { EUR: 100 } });
    expect(order.amount).toBe(0.00236884);
  });

  it("prices at the ask with slippage", () => {
    const order = orderOf({ quote: quoteAt(40000), slippage: 0.001 });
    expect(order.price).toBe(40040);
  });

  it("computes the fee on the cost", () => {
    const order = orderOf({ balances: { EUR: 100 }, risk: { entryFraction: 1 } });
    expect(order.cost).toBe(0.00249351 * 40000);
    expect(order.fee).toBe(0.00249351 * 40000 * 0.0026);
  });

  it("skips without free quote", () => {
    const result = sizeOrder(input({ balances: { BTC: 1 } }));
    expect(result.kind).toBe("skip");
    if (result.kind !== "skip") return;
    expect(result.reason).toBe("ZERO_AMOUNT");
  });

  it("skips a quote without an ask", () => {
    const result = sizeOrder(input({ quote: { bid: 0, ask: Number.NaN, last: 40000 } }));
    expect(reasonOf(result)).toBe("INVALID_ORDER");
  });
});

describe("sizeOrder sell", () => {
  it("sells the whole free base truncated", () => {
    const order = orderOf({ side: "sell", balances: { BTC: 0.0123456789 } });
    expect(order.amount).toBe(0.01234567);
    expect(order.price).toBe(39990);
  });

  it("keeps an amount below the minimum as dust", () => {
    const result = sizeOrder(input({ side: "sell", balances: { BTC: 0.00005 } }));
    expect(result.kind).toBe("skip");
    if (result.kind !== "skip") return;
    expect(result.reason).toBe("DUST_POSITION");
    expect(result.details.free).toBe(0.00005);
  });

  it("keeps a position below the minimum cost as dust", () => {
    const quote = quoteAt(4001, 4000);
    const result = sizeOrder(input({ side: "sell", quote, balances: { BTC: 0.0001 } }));
    expect(reasonOf(result)).toBe("DUST_POSITION");
  });

  it("skips with no base to sell", () => {
    const result = sizeOrder(input({ side: "sell", balances: { EUR: 5 } }));
    expect(reasonOf(result)).toBe("ZERO_AMOUNT");
  });
});

describe("validateOrder", () => {
  const buy = (amount: number, price = 40000) => buildOrder("buy", amount, price, BTC_EUR);

  it("requires the fee in free quote", () => {
    const check = validateOrder(buy(0.0025), BTC_EUR, { EUR: 100 });
    expect(check.ok).toBe(false);
    if (check.ok) return;
    expect(check.reason).toBe("INSUFFICIENT_FUNDS");
    expect(check.details.required).toBe(100.26);
    expect(check.details.free).toBe(100);
  });

  it("accepts cost plus fee equal to free", () => {
    expect(validateOrder(buy(0.0025), BTC_EUR, { EUR: 100.26 })).toEqual({ ok: true });
  });

  it("checks cost before amount and funds", () => {
    const check = validateOrder(buy(0.00001), BTC_EUR, {});
    expect(checkReason(check)).toBe("BELOW_MIN_COST");
  });

  it("requires free base for a sell", () => {
    const order = buildOrder("sell", 0.01, 40000, BTC_EUR);
    const check = validateOrder(order, BTC_EUR, { BTC: 0.005, EUR: 1e6 });
    expect(checkReason(check)).toBe("INSUFFICIENT_FUNDS");
  });

  it("rejects extra price decimals", () => {
    const check = validateOrder(buy(0.001, 39995.82), BTC_EUR, { EUR: 1000 });
    expect(checkReason(check)).toBe("PRICE_PRECISION");
  });

  it("rejects extra amount decimals", () => {
    const check = validateOrder(buy(0.000100011), BTC_EUR, { EUR: 1000 });
    expect(checkReason(check)).toBe("AMOUNT_PRECISION");
  });

  it("rejects an inconsistent cost", () => {
    const order = { ...buy(0.001), cost: 1 };
    const check = validateOrder(order, BTC_EUR, { EUR: 1000 });
    expect(checkReason(check)).toBe("INVALID_ORDER");
  });
});
