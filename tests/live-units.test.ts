import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../shared/config/config.ts";
import { Secret } from "../shared/config/secret.ts";
import { classifyExchangeError, CONSEQUENCES } from "../shared/exchange/errors.ts";
import { parseAssetCode, readKrakenBalances } from "../shared/live/asset-codes.ts";
import { apiKeyIds } from "../shared/live/key-lock.ts";
import { clientOrderUuid, userrefForSlot } from "../shared/live/order-reference.ts";
import { reportOf, statusOf } from "../shared/live/order-report.ts";
import { type ExchangeOrder, findReferenced } from "../shared/live/private-exchange.ts";
import type { MarketInfo } from "../shared/market/types.ts";

const SLOT_1215 = Date.UTC(2024, 0, 15, 12, 15);
const KEY = "A".repeat(56);
const SECRET = Buffer.from("s".repeat(64)).toString("base64");

describe("asset codes", () => {
  it.each([
    ["XXBT", "BTC", null],
    ["XBT", "BTC", null],
    ["XBT.F", "BTC", ".F"],
    ["ZEUR", "EUR", null],
    ["ZUSD", "USD", null],
    ["XXDG", "DOGE", null],
    ["ETH.S", "ETH", ".S"],
    ["DOT.M", "DOT", ".M"],
    ["USDT.B", "USDT", ".B"],
    ["USD.HOLD", "USD", ".HOLD"],
    ["ADA", "ADA", null],
  ])("reads %s as %s", (code, asset, suffix) => {
    expect(parseAssetCode(code)).toEqual({ asset, suffix });
  });

  it("C10 counts staking rewards as held, not free", () => {
    const result = { ZEUR: "250.0000", XXBT: "0.0000000000", "XBT.F": "0.0123456789" };
    const balances = readKrakenBalances(result);
    expect(balances.total.BTC).toBeCloseTo(0.0123456789, 12);
    expect(balances.free.BTC).toBe(0);
    expect(balances.free.EUR).toBe(250);
  });

  it("reads a reply without BTC as zero BTC", () => {
    const balances = readKrakenBalances({ ZEUR: "250.0000" });
    expect(balances.total.BTC).toBeUndefined();
    expect(balances.free.EUR).toBe(250);
  });

  it("takes funds held by open orders from free", () => {
    const result = { ZUSD: { balance: "1000.0000", hold_trade: "421.0000" } };
    const balances = readKrakenBalances(result);
    expect(balances.free.USD).toBe(579);
    expect(balances.total.USD).toBe(1000);
  });

  it("rejects an amount that is not a decimal", () => {
    expect(() => readKrakenBalances({ XXBT: "<html>" })).toThrow(/XXBT.*decimal/);
  });
});

describe("order reference", () => {
  it("C09 derives userref 1894801 for slot 12:15", () => {
    expect(userrefForSlot(SLOT_1215)).toBe(1894801);
  });

  it("rejects a time off the slot grid", () => {
    expect(() => userrefForSlot(SLOT_1215 + 1000)).toThrow(/not a 15-minute slot/);
  });

  it("derives one UUID per cycle and attempt", async () => {
    const first = await clientOrderUuid("BTCUSD-20240115T1215Z");
    expect(first).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(await clientOrderUuid("BTCUSD-20240115T1215Z")).toBe(first);
    expect(await clientOrderUuid("BTCUSD-20240115T1215Z", 2)).not.toBe(first);
    expect(await clientOrderUuid("ETHUSD-20240115T1215Z")).not.toBe(first);
  });
});

describe("order report", () => {
  const market = { minAmount: 0.0001 } as MarketInfo;
  const base: ExchangeOrder = {
    txid: "OABCDE-FGHIJ-KLMNOP",
    status: "canceled",
    side: "buy",
    volume: 0.01,
    volumeExecuted: 0.004,
    cost: 160,
    fee: 0.416,
    averagePrice: 40000,
    userref: 1894801,
    clientOrderId: "x",
    reason: "Market price protection",
  };

  it("C11 records what a cancelled order filled", () => {
    const report = reportOf(base, market, 0);
    expect(report.status).toBe("canceled");
    expect(report.filledAmount).toBe(0.004);
    expect(report.averagePrice).toBe(40000);
    expect(report.fee).toBe(0.416);
  });

  it.each([
    ["open", 0, "open"],
    ["open", 0.002, "partially_filled"],
    ["pending", 0, "open"],
    ["closed", 0.01, "filled"],
    ["closed", 0, "canceled"],
    ["expired", 0.003, "canceled"],
  ] as const)("maps %s with %s filled to %s", (status, filled, expected) => {
    expect(statusOf({ ...base, status, volumeExecuted: filled })).toBe(expected);
  });

  it("matches the reference on userref and cl_ord_id", () => {
    const reference = { market: "BTC/USD", userref: 1894801, clientOrderId: "x" };
    const other = { ...base, txid: "O2", clientOrderId: "y" };
    expect(findReferenced([other, base], reference)?.txid).toBe(base.txid);
    expect(findReferenced([other], reference)).toBeUndefined();
  });
});

describe("error map", () => {
  it.each([
    ["EAPI:Invalid nonce", "InvalidNonce", "nonce", "NONCE_ERROR"],
    ["EGeneral:Too many requests", "DDoSProtection", "rate_limited", "RATE_LIMITED"],
    ["EOrder:Insufficient funds", "InsufficientFunds", "funds", "INSUFFICIENT_FUNDS"],
    ["EOrder:Unknown order", "InvalidOrder", "order_not_found", "ORDER_UNKNOWN"],
    ["EOrder:Invalid order", "ExchangeError", "order_not_found", "ORDER_UNKNOWN"],
    ["EOrder:Cost minimum not met", "ExchangeError", "order_rejected", "ORDER_REJECTED"],
    ["EAPI:Invalid key", "AuthenticationError", "operator", "OPERATOR_NEEDED"],
    ["EService:Busy", "ExchangeError", "unavailable", "EXCHANGE_UNAVAILABLE"],
  ])("classifies %s", (krakenText, name, kind, abort) => {
    const message = `kraken {"error":["${krakenText}"]}`;
    const failure = classifyExchangeError(Object.assign(new Error(message), { name }), "AddOrder");
    expect(failure.kind).toBe(kind);
    expect(CONSEQUENCES[failure.kind].abort).toBe(abort);
    expect(failure.exchangeText).toContain(krakenText);
  });

  it("retries a nonce error at most once", () => {
    expect(CONSEQUENCES.nonce.retries).toBe(1);
  });

  it("treats a lost reply as ambiguous for orders", () => {
    expect(CONSEQUENCES.timeout.ambiguous).toBe(true);
    expect(CONSEQUENCES.unavailable.ambiguous).toBe(true);
    expect(CONSEQUENCES.funds.ambiguous).toBe(false);
    expect(CONSEQUENCES.nonce.ambiguous).toBe(false);
  });
});

describe("LIVE configuration", () => {
  it("needs the key and the secret", () => {
    const error = captureConfigError({ SYSTEM_MODE: "LIVE" });
    expect(error).toMatch(/KRAKEN_API_KEY is missing/);
    expect(error).toMatch(/KRAKEN_API_SECRET is missing/);
  });

  it("treats an empty secret as missing", () => {
    const error = captureConfigError({
      SYSTEM_MODE: "LIVE",
      KRAKEN_API_KEY: KEY,
      KRAKEN_API_SECRET: "",
    });
    expect(error).toMatch(/KRAKEN_API_SECRET is missing/);
    expect(error).not.toMatch(/KRAKEN_API_KEY is missing/);
  });

  it("rejects a secret that is not base64 without showing it", () => {
    const secret = "not base64 at all!";
    const error = captureConfigError({
      SYSTEM_MODE: "LIVE",
      KRAKEN_API_KEY: KEY,
      KRAKEN_API_SECRET: secret,
    });
    expect(error).toMatch(/KRAKEN_API_SECRET \(18 characters\) is not base64/);
    expect(error).not.toContain(secret);
  });

  it("loads LIVE with a valid key", () => {
    const config = loadConfig({ SYSTEM_MODE: "LIVE", KRAKEN_API_KEY: KEY, KRAKEN_API_SECRET: SECRET });
    expect(config.mode).toBe("LIVE");
    expect(config.live.credentials?.apiKey.reveal()).toBe(KEY);
  });

  it("never prints the credentials", () => {
    const config = loadConfig({ SYSTEM_MODE: "LIVE", KRAKEN_API_KEY: KEY, KRAKEN_API_SECRET: SECRET });
    const printed = [JSON.stringify(config), inspect(config, { depth: 10 }), String(config.live.credentials?.apiKey)];
    for (const text of printed) {
      expect(text).not.toContain(KEY);
      expect(text).not.toContain(SECRET);
    }
  });

  it("keeps the key out of its lock ids", async () => {
    const ids = await apiKeyIds(KEY);
    expect(ids.keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(BigInt(ids.lockKey)).toBe(BigInt.asIntN(64, BigInt(`0x${ids.keyId}`)));
    expect(new Secret(KEY).toJSON()).toBe("[REDACTED]");
  });
});

function captureConfigError(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error("loadConfig accepted an invalid configuration");
}
