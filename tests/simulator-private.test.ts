import ccxt, { type Order } from "ccxt";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Candle } from "../shared/market/types.ts";
import { BalanceError } from "../simulator/account.ts";
import { type Simulator, type SimulatorOptions, startSimulator } from "../simulator/server.ts";
import { signKrakenRequest } from "../simulator/signing.ts";

const SLOT = 15 * 60 * 1000;
const T0 = Date.parse("2024-01-15T00:00:00Z");

/**
 * Slots 0-9 open at 42000 + 10 * i, and slots 10-14 fall by 100 a slot from
 * 41990. Each candle spans open - 14.2 to open + 25.5 and closes at open + 10.
 */
function candles(): Candle[] {
  const rows: Candle[] = [];
  for (let i = 0; i < 15; i++) {
    const open = i < 10 ? 42000 + i * 10 : 41990 - (i - 10) * 100;
    rows.push({
      time: T0 + i * SLOT,
      open,
      high: open + 25.5,
      low: open - 14.2,
      close: open + 10,
      volume: 2,
    });
  }
  return rows;
}

/** 5 s into slot 9: last 42090, bid 42085.7, ask 42094.3 at the default 2 bps spread. */
const NOW = T0 + 9 * SLOT + 5_000;
const ASK = 42094.3;
const BID = 42085.7;
const ORDER_ID = /^O[A-Z2-7]{5}-[A-Z2-7]{5}-[A-Z2-7]{6}$/;

type Kraken = InstanceType<typeof ccxt.kraken>;

interface KrakenOptions {
  apiKey?: string;
  secret?: string;
  timeoutMs?: number;
}

/** Builds a ccxt kraken client with the simulator's credentials and strictly rising nonces. */
function krakenFor(simulator: Simulator, options: KrakenOptions = {}): Kraken {
  const kraken = new ccxt.kraken({
    apiKey: options.apiKey ?? simulator.credentials.apiKey,
    secret: options.secret ?? simulator.credentials.apiSecret,
    enableRateLimit: false,
    timeout: options.timeoutMs ?? 10_000,
    urls: { api: { public: simulator.url, private: simulator.url } },
  });
  // ccxt's default nonce is Date.now(), so two calls in one millisecond would repeat it.
  kraken.nonce = () => nextNonce();
  return kraken;
}

let lastNonce = 0;
function nextNonce(): number {
  lastNonce = Math.max(lastNonce + 1, Date.now());
  return lastNonce;
}

interface SignedPostOptions {
  nonce?: string;
  apiKey?: string;
  apiSecret?: string;
}

/** Posts a form to a private method, signed as Kraken requires, and returns the body text. */
async function signedPost(
  simulator: Simulator,
  method: string,
  params: Record<string, string> = {},
  options: SignedPostOptions = {},
): Promise<string> {
  const nonce = options.nonce ?? String(nextNonce());
  const body = new URLSearchParams({ nonce, ...params }).toString();
  const path = `/0/private/${method}`;
  const secret = options.apiSecret ?? simulator.credentials.apiSecret;
  const response = await fetch(`${simulator.url}${path}`, {
    method: "POST",
    headers: {
      "API-Key": options.apiKey ?? simulator.credentials.apiKey,
      "API-Sign": signKrakenRequest(path, nonce, body, secret),
      "Content-Type": "application/x-www-form-urlencoded",
    },
    body,
  });
  return await response.text();
}

interface KrakenBody {
  error: string[];
  result?: Record<string, unknown>;
}

async function signedJson(
  simulator: Simulator,
  method: string,
  params: Record<string, string> = {},
  options: SignedPostOptions = {},
): Promise<KrakenBody> {
  return JSON.parse(await signedPost(simulator, method, params, options)) as KrakenBody;
}

/** Returns an order's id, which ccxt types as possibly undefined. */
function idOf(order: Order): string {
  if (order.id === undefined) throw new Error("ccxt returned an order without an id");
  return order.id;
}

/** Returns the first fee as a number, because ccxt 4.5.84 keeps `fee.cost` as Kraken's text. */
function firstFee(order: Order): number | undefined {
  return (order as Order & { fees?: Array<{ cost?: number }> }).fees?.[0]?.cost;
}

/** Runs `action` and returns what it threw. */
async function rejectionOf(action: () => Promise<unknown>): Promise<unknown> {
  try {
    await action();
  } catch (error) {
    return error;
  }
  throw new Error("the call succeeded; expected it to throw");
}

let simulator: Simulator;

async function restart(options: Partial<SimulatorOptions>): Promise<void> {
  await simulator.close();
  simulator = await startSimulator({ candles: candles(), clock: NOW, ...options });
}

beforeEach(async () => {
  simulator = await startSimulator({ candles: candles(), clock: NOW });
});

afterEach(async () => {
  await simulator.close();
});

describe("private API authentication", () => {
  it("unknown key raises AuthenticationError", async () => {
    const kraken = krakenFor(simulator, { apiKey: "not-the-key" });
    const error = await rejectionOf(() => kraken.fetchBalance());
    expect(error).toBeInstanceOf(ccxt.AuthenticationError);
    expect(String(error)).toContain('{"error":["EAPI:Invalid key"]}');
  });

  it("wrong secret gives Invalid signature", async () => {
    const secret = Buffer.alloc(64, 7).toString("base64");
    const error = await rejectionOf(() => krakenFor(simulator, { secret }).fetchBalance());
    // ccxt 4.5.84 maps no class to this text, so it raises its base ExchangeError.
    expect(error).toBeInstanceOf(ccxt.ExchangeError);
    expect(String(error)).toContain('{"error":["EAPI:Invalid signature"]}');
  });

  it("reused nonce raises InvalidNonce", async () => {
    const kraken = krakenFor(simulator);
    await kraken.loadMarkets();
    const nonce = nextNonce();
    kraken.nonce = () => nonce;
    await kraken.fetchBalance();
    const error = await rejectionOf(() => kraken.fetchBalance());
    expect(error).toBeInstanceOf(ccxt.InvalidNonce);
    expect(String(error)).toContain('{"error":["EAPI:Invalid nonce"]}');
  });

  it("nonce must rise strictly", async () => {
    const accepted = await signedJson(simulator, "Balance", {}, { nonce: "5000" });
    const repeated = await signedJson(simulator, "Balance", {}, { nonce: "5000" });
    const lower = await signedJson(simulator, "Balance", {}, { nonce: "4999" });
    const higher = await signedJson(simulator, "Balance", {}, { nonce: "5001" });
    expect(accepted.error).toEqual([]);
    expect(repeated).toEqual({ error: ["EAPI:Invalid nonce"] });
    expect(lower).toEqual({ error: ["EAPI:Invalid nonce"] });
    expect(higher.error).toEqual([]);
  });

  it("rejected signature does not use up the nonce", async () => {
    const secret = Buffer.alloc(64, 1).toString("base64");
    const forged = await signedJson(simulator, "Balance", {}, { nonce: "7000", apiSecret: secret });
    const genuine = await signedJson(simulator, "Balance", {}, { nonce: "7000" });
    expect(forged).toEqual({ error: ["EAPI:Invalid signature"] });
    expect(genuine.error).toEqual([]);
  });

  it("tampered body gives Invalid signature", async () => {
    const nonce = String(nextNonce());
    const path = "/0/private/Balance";
    const signed = `nonce=${nonce}`;
    const response = await fetch(`${simulator.url}${path}`, {
      method: "POST",
      headers: {
        "API-Key": simulator.credentials.apiKey,
        "API-Sign": signKrakenRequest(path, nonce, signed, simulator.credentials.apiSecret),
      },
      body: `${signed}&asset=ZEUR`,
    });
    expect(await response.json()).toEqual({ error: ["EAPI:Invalid signature"] });
  });

  it("missing API-Sign gives Invalid signature", async () => {
    const response = await fetch(`${simulator.url}/0/private/Balance`, {
      method: "POST",
      headers: { "API-Key": simulator.credentials.apiKey },
      body: `nonce=${nextNonce()}`,
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ error: ["EAPI:Invalid signature"] });
  });

  it("GET to a private method is an unknown method", async () => {
    const response = await fetch(`${simulator.url}/0/private/Balance`);
    expect(await response.json()).toEqual({ error: ["EGeneral:Unknown method"] });
  });

  it("startSimulator rejects a secret that is not base64", async () => {
    const secret = "not base64 at all!";
    const error = await rejectionOf(() =>
      startSimulator({ candles: candles(), apiKey: "key", apiSecret: secret })
    );
    expect(String(error)).toContain("apiSecret (18 characters) is not base64");
    expect(String(error)).not.toContain(secret);
  });

  it("startSimulator takes a key and secret together", async () => {
    const error = await rejectionOf(() => startSimulator({ candles: candles(), apiKey: "key" }));
    expect(String(error)).toContain("apiSecret is missing");
  });

  it("given credentials sign requests", async () => {
    const apiSecret = Buffer.alloc(64, 9).toString("base64");
    await restart({ apiKey: "operator-key", apiSecret });
    expect(simulator.credentials).toEqual({ apiKey: "operator-key", apiSecret });
    const balance = await krakenFor(simulator).fetchBalance();
    expect(balance.USD?.total).toBe(10000);
  });
});

describe("private API balances", () => {
  const C10 = { ZEUR: "250.0000", XXBT: "0.0000000000", "XBT.F": "0.0123456789" };

  it("Balance serves the C10 reply exactly", async () => {
    await restart({ balances: C10 });
    const body = await signedPost(simulator, "Balance");
    expect(body).toBe(
      '{"error":[],"result":{"ZEUR":"250.0000","XXBT":"0.0000000000","XBT.F":"0.0123456789"}}',
    );
  });

  it("Balance without a BTC key", async () => {
    simulator.setBalances({ ZEUR: "250.0000" });
    const body = await signedPost(simulator, "Balance");
    expect(body).toBe('{"error":[],"result":{"ZEUR":"250.0000"}}');
  });

  it("omitZeroBalances leaves out zero assets", async () => {
    await restart({ balances: C10, omitZeroBalances: true });
    const body = await signedJson(simulator, "Balance");
    expect(body.result).toEqual({ ZEUR: "250.0000", "XBT.F": "0.0123456789" });
  });

  it("fetchBalance reads BalanceEx", async () => {
    await restart({ balances: C10 });
    const balance = await krakenFor(simulator).fetchBalance();
    expect(balance.EUR?.total).toBe(250);
    expect(balance.EUR?.free).toBe(250);
    expect(balance.BTC?.total).toBe(0);
    expect(balance["BTC.F"]?.total).toBe(0.0123456789);
  });

  it("BalanceEx amounts are text", async () => {
    const body = await signedJson(simulator, "BalanceEx");
    expect(body.result).toEqual({
      ZUSD: { balance: "10000.0000", hold_trade: "0.0000" },
      XXBT: { balance: "0.0000000000", hold_trade: "0.0000000000" },
    });
  });

  it("TradeBalance values BTC at the last price", async () => {
    simulator.setBalances({ ZUSD: "10000.0000", XXBT: "0.5000000000", "XBT.F": "0.1000000000" });
    const body = await signedJson(simulator, "TradeBalance");
    // eb is 10000 + 0.6 * 42090, and tb leaves out the staked XBT.F.
    expect(body.result).toEqual({
      eb: "35254.0000",
      tb: "31045.0000",
      m: "0.0000",
      n: "0.0000",
      c: "0.0000",
      v: "0.0000",
      e: "31045.0000",
      mf: "31045.0000",
    });
  });

  it("TradeBalance in an unknown asset fails", async () => {
    const body = await signedJson(simulator, "TradeBalance", { asset: "DOGE" });
    expect(body).toEqual({ error: ["EQuery:Unknown asset"] });
  });

  it("setBalances rejects too many decimals", () => {
    expect(() => simulator.setBalances({ ZUSD: "1.00001" })).toThrow(BalanceError);
    expect(simulator.balances()).toEqual({ ZUSD: "10000.0000", XXBT: "0.0000000000" });
  });
});

describe("private API market orders", () => {
  it("market buy fills at the ask with the taker fee", async () => {
    const kraken = krakenFor(simulator);
    const created = await kraken.createOrder("BTC/USD", "market", "buy", 0.01);
    const order = await kraken.fetchOrder(idOf(created));
    expect(created.id).toMatch(ORDER_ID);
    expect(order.status).toBe("closed");
    expect(order.average).toBe(ASK);
    expect(order.filled).toBe(0.01);
    expect(order.cost).toBe(420.943);
    // 420.943 * 0.26 % = 1.0944518, rounded to ZUSD's 4 decimals.
    expect(firstFee(order)).toBe(1.0945);
    expect(order.fee?.currency).toBe("USD");
    expect(simulator.balances()).toEqual({ ZUSD: "9577.9625", XXBT: "0.0100000000" });
  });

  it("AddOrder reply has descr and txid", async () => {
    const body = await signedJson(simulator, "AddOrder", {
      pair: "XBTUSD",
      type: "buy",
      ordertype: "market",
      volume: "0.01",
    });
    const txid = (body.result?.txid as string[])[0];
    expect(body.result?.descr).toEqual({ order: "buy 0.01000000 XBTUSD @ market" });
    expect(txid).toMatch(ORDER_ID);
    expect(simulator.orders()[0]?.txid).toBe(txid);
  });

  it("market sell fills at the bid", async () => {
    simulator.setBalances({ ZUSD: "10000.0000", XXBT: "0.5000000000" });
    const kraken = krakenFor(simulator);
    const created = await kraken.createOrder("BTC/USD", "market", "sell", 0.1);
    const order = await kraken.fetchOrder(idOf(created));
    expect(order.average).toBe(BID);
    // 4208.57 - 4208.57 * 0.26 % (10.942282, rounded to 10.9423).
    expect(simulator.balances()).toEqual({ ZUSD: "14197.6277", XXBT: "0.4000000000" });
  });

  it("fcib charges the fee in BTC", async () => {
    const kraken = krakenFor(simulator);
    const created = await kraken.createOrder("BTC/USD", "market", "buy", 0.01, undefined, {
      oflags: "fcib",
    });
    const order = await kraken.fetchOrder(idOf(created));
    expect(order.fee?.currency).toBe("BTC");
    expect(firstFee(order)).toBe(0.000026);
    expect(simulator.balances()).toEqual({ ZUSD: "9579.0570", XXBT: "0.0099740000" });
  });

  it("same userref twice makes two orders", async () => {
    const kraken = krakenFor(simulator);
    await kraken.createOrder("BTC/USD", "market", "buy", 0.01, undefined, { userref: 1894801 });
    await kraken.createOrder("BTC/USD", "market", "buy", 0.01, undefined, { userref: 1894801 });
    const orders = simulator.orders();
    expect(orders).toHaveLength(2);
    expect(orders.map((order) => order.userref)).toEqual([1894801, 1894801]);
    expect(orders[0]?.txid).not.toBe(orders[1]?.txid);
  });

  it("validate returns descr without txid", async () => {
    const body = await signedJson(simulator, "AddOrder", {
      pair: "XXBTZUSD",
      type: "buy",
      ordertype: "limit",
      price: "42000",
      volume: "0.01",
      validate: "true",
    });
    expect(body).toEqual({
      error: [],
      result: { descr: { order: "buy 0.01000000 XBTUSD @ limit 42000.0" } },
    });
    expect(simulator.orders()).toEqual([]);
  });
});

describe("private API order validation", () => {
  const base = { pair: "XBTUSD", type: "buy", ordertype: "limit", price: "42000", volume: "0.01" };
  const cases: Array<[string, Record<string, string>, string]> = [
    ["volume below ordermin", { volume: "0.00005" }, "EOrder:Order minimum not met"],
    ["cost below costmin", { volume: "0.0001", price: "4000" }, "EOrder:Cost minimum not met"],
    ["volume with 9 decimals", { volume: "0.010000001" }, "EGeneral:Invalid arguments:volume"],
    ["price with 2 decimals", { price: "42000.05" }, "EGeneral:Invalid arguments:price"],
    ["limit without price", { price: "" }, "EGeneral:Invalid arguments:price"],
    ["unknown pair", { pair: "DOGEUSD" }, "EQuery:Unknown asset pair"],
    ["buy beyond the balance", { volume: "0.3" }, "EOrder:Insufficient funds"],
    ["userref beyond int32", { userref: "2147483648" }, "EGeneral:Invalid arguments:userref"],
    [
      "long free-text cl_ord_id",
      { cl_ord_id: "XBTUSD-20240115T1215Z" },
      "EGeneral:Invalid arguments:cl_ord_id",
    ],
    ["stop-loss order", { ordertype: "stop-loss" }, "EGeneral:Invalid arguments:ordertype"],
    ["viqc flag", { oflags: "viqc" }, "EGeneral:Invalid arguments:viqc"],
    ["side hold", { type: "hold" }, "EGeneral:Invalid arguments:type"],
  ];

  for (const [name, change, expected] of cases) {
    it(`AddOrder rejects ${name}`, async () => {
      const body = await signedJson(simulator, "AddOrder", { ...base, ...change });
      expect(body).toEqual({ error: [expected] });
      expect(simulator.orders()).toEqual([]);
    });
  }

  it("insufficient funds raises InsufficientFunds", async () => {
    const kraken = krakenFor(simulator);
    const error = await rejectionOf(() => kraken.createOrder("BTC/USD", "market", "buy", 1));
    expect(error).toBeInstanceOf(ccxt.InsufficientFunds);
  });

  it("order minimum raises InvalidOrder", async () => {
    const kraken = krakenFor(simulator);
    const error = await rejectionOf(() => kraken.createOrder("BTC/USD", "market", "buy", 0.00005));
    expect(error).toBeInstanceOf(ccxt.InvalidOrder);
  });

  it("fee counts against free funds", async () => {
    // 0.2375 BTC at the ask costs 9997.40, and 10023.39 with the 0.26 % fee.
    const body = await signedJson(simulator, "AddOrder", {
      pair: "XBTUSD",
      type: "buy",
      ordertype: "market",
      volume: "0.2375",
    });
    expect(body).toEqual({ error: ["EOrder:Insufficient funds"] });
  });

  it("funds held by an open order are not free", async () => {
    simulator.setBalances({ ZUSD: "1000.0000" });
    const kraken = krakenFor(simulator);
    await kraken.createOrder("BTC/USD", "limit", "buy", 0.02, 42000);
    const balance = await kraken.fetchBalance();
    // 0.02 * 42000 = 840 plus the 0.16 % maker fee 1.344.
    expect(balance.USD?.used).toBe(841.344);
    expect(balance.USD?.free).toBe(158.656);
    const error = await rejectionOf(() =>
      kraken.createOrder("BTC/USD", "limit", "buy", 0.01, 42000)
    );
    expect(error).toBeInstanceOf(ccxt.InsufficientFunds);
  });
});

describe("private API limit orders", () => {
  it("limit buy rests until the price falls to it", async () => {
    const kraken = krakenFor(simulator);
    const created = await kraken.createOrder("BTC/USD", "limit", "buy", 0.01, 42000);
    const resting = await kraken.fetchOrder(idOf(created));
    expect(resting.status).toBe("open");
    expect(resting.price).toBe(42000);
    expect(resting.filled).toBe(0);

    // Slot 10 opens at 41990: the ask 41994.2 is below the limit.
    simulator.setClock(T0 + 10 * SLOT + 5_000);
    const filled = await kraken.fetchOrder(idOf(created));
    expect(filled.status).toBe("closed");
    expect(filled.average).toBe(42000);
    // Maker fee: 420 * 0.16 % = 0.672.
    expect(firstFee(filled)).toBe(0.672);
    expect(filled.lastUpdateTimestamp).toBe(T0 + 10 * SLOT + 5_000);
    expect(simulator.balances()).toEqual({ ZUSD: "9579.3280", XXBT: "0.0100000000" });
  });

  it("limit sell fills on a candle high", async () => {
    simulator.setBalances({ ZUSD: "0.0000", XXBT: "0.0100000000" });
    const kraken = krakenFor(simulator);
    const created = await kraken.createOrder("BTC/USD", "limit", "sell", 0.01, 42100);
    expect((await kraken.fetchOrder(idOf(created))).status).toBe("open");

    // Slot 9 closes with a high of 42115.5, while the quote at slot 10 is far below.
    simulator.setClock(T0 + 10 * SLOT + 5_000);
    const order = await kraken.fetchOrder(idOf(created));
    expect(order.status).toBe("closed");
    expect(order.average).toBe(42100);
    expect(simulator.balances()).toEqual({ ZUSD: "420.3264", XXBT: "0.0000000000" });
  });

  it("limit buy above the ask fills at the ask", async () => {
    const kraken = krakenFor(simulator);
    const created = await kraken.createOrder("BTC/USD", "limit", "buy", 0.01, 42500);
    const order = await kraken.fetchOrder(idOf(created));
    expect(order.status).toBe("closed");
    expect(order.average).toBe(ASK);
    expect(firstFee(order)).toBe(1.0945);
  });

  it("limit order fills when the control API moves the clock", async () => {
    const kraken = krakenFor(simulator);
    await kraken.createOrder("BTC/USD", "limit", "buy", 0.01, 42000);
    await fetch(`${simulator.url}/__sim/clock`, {
      method: "POST",
      body: JSON.stringify({ ms: T0 + 10 * SLOT + 5_000 }),
    });
    const orders = (await (await fetch(`${simulator.url}/__sim/orders`)).json()) as Array<{
      status: string;
      volumeExecuted: number;
    }>;
    expect(orders[0]?.status).toBe("closed");
    expect(orders[0]?.volumeExecuted).toBe(0.01);
  });
});

describe("private API partial fills", () => {
  it("partial fill gives vol_exec below vol", async () => {
    simulator.injectFault({ kind: "partial_fill", fraction: 0.4, count: 1 });
    const kraken = krakenFor(simulator);
    const created = await kraken.createOrder("BTC/USD", "market", "buy", 0.01);
    const order = await kraken.fetchOrder(idOf(created));
    expect(order.status).toBe("canceled");
    expect(order.amount).toBe(0.01);
    expect(order.filled).toBe(0.004);
    expect(order.remaining).toBe(0.006);
    expect(order.average).toBe(ASK);
    expect(simulator.balances().XXBT).toBe("0.0040000000");
  });

  it("partial fill reply matches case C11", async () => {
    const flat = candles().map((row) => ({ ...row, open: 40000, high: 40100, low: 39900 }));
    await restart({ candles: flat, spreadBps: 0 });
    simulator.injectFault({ kind: "partial_fill", fraction: 0.4, endpoint: "AddOrder", count: 1 });
    const placed = await signedJson(simulator, "AddOrder", {
      pair: "XBTUSD",
      type: "buy",
      ordertype: "market",
      volume: "0.01",
    });
    const txid = (placed.result?.txid as string[])[0] ?? "";
    const body = await signedJson(simulator, "QueryOrders", { txid });
    expect(body.result?.[txid]).toMatchObject({
      status: "canceled",
      vol: "0.01000000",
      vol_exec: "0.00400000",
      cost: "160.00000",
      fee: "0.41600",
      price: "40000.0",
    });
  });

  it("resting remainder stays open", async () => {
    simulator.injectFault({ kind: "partial_fill", fraction: 0.5, remainder: "rest", count: 1 });
    const kraken = krakenFor(simulator);
    const created = await kraken.createOrder("BTC/USD", "market", "buy", 0.01, undefined, {
      userref: 42,
    });
    const open = await kraken.fetchOpenOrders(undefined, undefined, undefined, { userref: 42 });
    expect(open.map((order) => order.id)).toEqual([created.id]);
    expect(open[0]?.filled).toBe(0.005);
    expect(open[0]?.status).toBe("open");
  });

  it("partial_fill is not used up by other endpoints", async () => {
    simulator.injectFault({ kind: "partial_fill", fraction: 0.5, count: 1 });
    const kraken = krakenFor(simulator);
    await kraken.fetchBalance();
    await kraken.createOrder("BTC/USD", "market", "buy", 0.01);
    expect(simulator.orders()[0]?.volumeExecuted).toBe(0.005);
  });
});

describe("private API order lookups", () => {
  it("userref finds orders in open and closed lists", async () => {
    const kraken = krakenFor(simulator);
    const resting = await kraken.createOrder("BTC/USD", "limit", "buy", 0.01, 41000, {
      userref: 1894801,
    });
    const filled = await kraken.createOrder("BTC/USD", "market", "buy", 0.01, undefined, {
      userref: 1894801,
    });
    await kraken.createOrder("BTC/USD", "market", "buy", 0.01, undefined, { userref: 7 });
    const open = await kraken.fetchOpenOrders(undefined, undefined, undefined, {
      userref: 1894801,
    });
    const closed = await kraken.fetchClosedOrders(undefined, undefined, undefined, {
      userref: 1894801,
    });
    expect(open.map((order) => order.id)).toEqual([resting.id]);
    expect(closed.map((order) => order.id)).toEqual([filled.id]);
    expect(closed[0]?.clientOrderId).toBe("1894801");
  });

  it("cl_ord_id finds orders in open and closed lists", async () => {
    const kraken = krakenFor(simulator);
    const created = await kraken.createOrder("BTC/USD", "limit", "buy", 0.01, 41000, {
      clientOrderId: "c-20240115T1215",
    });
    const byClientId = { clientOrderId: "c-20240115T1215" };
    const open = await kraken.fetchOpenOrders(undefined, undefined, undefined, byClientId);
    expect(open.map((order) => order.id)).toEqual([created.id]);
    expect(open[0]?.clientOrderId).toBe("c-20240115T1215");

    await kraken.cancelOrder(idOf(created));
    const closed = await kraken.fetchClosedOrders(undefined, undefined, undefined, byClientId);
    expect(closed.map((order) => order.id)).toEqual([created.id]);
    expect(closed[0]?.status).toBe("canceled");
  });

  it("open cl_ord_id cannot be reused", async () => {
    const params = {
      pair: "XBTUSD",
      type: "buy",
      ordertype: "limit",
      price: "41000",
      volume: "0.01",
    };
    const first = await signedJson(simulator, "AddOrder", { ...params, cl_ord_id: "dup-1" });
    const second = await signedJson(simulator, "AddOrder", { ...params, cl_ord_id: "dup-1" });
    expect(first.error).toEqual([]);
    expect(second).toEqual({ error: ["EOrder:Duplicate cl_ord_id"] });
  });

  it("closed cl_ord_id can be reused", async () => {
    const params = { pair: "XBTUSD", type: "buy", ordertype: "market", volume: "0.01" };
    await signedJson(simulator, "AddOrder", { ...params, cl_ord_id: "again-1" });
    const second = await signedJson(simulator, "AddOrder", { ...params, cl_ord_id: "again-1" });
    expect(second.error).toEqual([]);
    expect(simulator.orders().map((order) => order.clOrdId)).toEqual(["again-1", "again-1"]);
  });

  it("fetchOrdersByIds returns each order", async () => {
    const kraken = krakenFor(simulator);
    const a = await kraken.createOrder("BTC/USD", "market", "buy", 0.01);
    const b = await kraken.createOrder("BTC/USD", "limit", "buy", 0.01, 41000);
    const orders = await kraken.fetchOrdersByIds([idOf(a), idOf(b)]);
    expect(orders.map((order) => [order.id, order.status])).toEqual([
      [a.id, "closed"],
      [b.id, "open"],
    ]);
  });

  it("QueryOrders with an unknown txid fails", async () => {
    const body = await signedJson(simulator, "QueryOrders", { txid: "OAAAAA-BBBBB-CCCCCC" });
    expect(body).toEqual({ error: ["EOrder:Invalid order"] });
  });

  it("QueryOrders lists trades on request", async () => {
    const placed = await signedJson(simulator, "AddOrder", {
      pair: "XBTUSD",
      type: "buy",
      ordertype: "market",
      volume: "0.01",
    });
    const txid = (placed.result?.txid as string[])[0] ?? "";
    const plain = await signedJson(simulator, "QueryOrders", { txid });
    const withTrades = await signedJson(simulator, "QueryOrders", { txid, trades: "true" });
    const tradeId = simulator.orders()[0]?.fills[0]?.tradeId;
    expect(plain.result?.[txid]).not.toHaveProperty("trades");
    expect(withTrades.result?.[txid]).toHaveProperty("trades", [tradeId]);
  });

  it("ClosedOrders pages by ofs and counts all", async () => {
    for (let i = 0; i < 3; i++) {
      simulator.setClock(NOW + i * 1_000);
      await signedJson(simulator, "AddOrder", {
        pair: "XBTUSD",
        type: "buy",
        ordertype: "market",
        volume: "0.01",
        userref: String(i),
      });
    }
    const page = await signedJson(simulator, "ClosedOrders", { ofs: "1" });
    const later = await signedJson(simulator, "ClosedOrders", {
      start: String((NOW + 500) / 1000),
    });
    const closed = page.result?.closed as Record<string, { userref: number }>;
    const laterClosed = later.result?.closed as Record<string, { userref: number }>;
    expect(page.result?.count).toBe(3);
    expect(Object.values(closed).map((order) => order.userref)).toEqual([1, 0]);
    expect(Object.values(laterClosed).map((order) => order.userref)).toEqual([2, 1]);
  });

  it("OpenOrders entry has Kraken's fields", async () => {
    await signedJson(simulator, "AddOrder", {
      pair: "XBTUSD",
      type: "buy",
      ordertype: "limit",
      price: "41000",
      volume: "0.01",
    });
    const body = await signedJson(simulator, "OpenOrders");
    const open = body.result?.open as Record<string, unknown>;
    const [txid] = Object.keys(open);
    expect(open[txid ?? ""]).toEqual({
      refid: null,
      userref: 0,
      status: "open",
      opentm: NOW / 1000,
      starttm: 0,
      expiretm: 0,
      descr: {
        pair: "XBTUSD",
        type: "buy",
        ordertype: "limit",
        price: "41000.0",
        price2: "0",
        leverage: "none",
        order: "buy 0.01000000 XBTUSD @ limit 41000.0",
        close: "",
      },
      vol: "0.01000000",
      vol_exec: "0.00000000",
      cost: "0.00000",
      fee: "0.00000",
      price: "0.00000",
      stopprice: "0.00000",
      limitprice: "0.00000",
      misc: "",
      oflags: "fciq",
    });
  });
});

describe("private API cancels", () => {
  it("cancelOrder cancels and frees the funds", async () => {
    const kraken = krakenFor(simulator);
    const created = await kraken.createOrder("BTC/USD", "limit", "buy", 0.01, 41000);
    await kraken.cancelOrder(idOf(created));
    const order = await kraken.fetchOrder(idOf(created));
    const balance = await kraken.fetchBalance();
    expect(order.status).toBe("canceled");
    expect(order.info.reason).toBe("User requested");
    expect(balance.USD?.used).toBe(0);
  });

  it("cancelOrder by clientOrderId", async () => {
    const kraken = krakenFor(simulator);
    await kraken.createOrder("BTC/USD", "limit", "buy", 0.01, 41000, { clientOrderId: "cx-1" });
    await kraken.cancelOrder("", undefined, { clientOrderId: "cx-1" });
    expect(simulator.orders()[0]?.status).toBe("canceled");
  });

  it("cancelOrder of a filled order raises OrderNotFound", async () => {
    const kraken = krakenFor(simulator);
    const created = await kraken.createOrder("BTC/USD", "market", "buy", 0.01);
    const error = await rejectionOf(() => kraken.cancelOrder(idOf(created)));
    expect(error).toBeInstanceOf(ccxt.OrderNotFound);
  });

  it("CancelAll reports the count", async () => {
    const kraken = krakenFor(simulator);
    await kraken.createOrder("BTC/USD", "limit", "buy", 0.01, 41000);
    await kraken.createOrder("BTC/USD", "limit", "buy", 0.01, 40000);
    const body = await signedJson(simulator, "CancelAll");
    expect(body).toEqual({ error: [], result: { count: 2 } });
    expect(simulator.orders().map((order) => order.status)).toEqual(["canceled", "canceled"]);
  });

  it("cancelAllOrders cancels open orders", async () => {
    const kraken = krakenFor(simulator);
    await kraken.createOrder("BTC/USD", "limit", "buy", 0.01, 41000);
    await kraken.cancelAllOrders();
    expect(await kraken.fetchOpenOrders()).toEqual([]);
  });

  it("CancelAllOrdersAfter fires when the clock passes", async () => {
    const kraken = krakenFor(simulator);
    await kraken.createOrder("BTC/USD", "limit", "buy", 0.01, 41000);
    const reply = (await kraken.cancelAllOrdersAfter(60_000)) as KrakenBody;
    expect(reply.result).toEqual({
      currentTime: "2024-01-15T02:15:05Z",
      triggerTime: "2024-01-15T02:16:05Z",
    });

    simulator.setClock(NOW + 59_999);
    expect(simulator.orders()[0]?.status).toBe("open");
    simulator.setClock(NOW + 60_000);
    const order = simulator.orders()[0];
    expect(order?.status).toBe("canceled");
    expect(order?.closeTime).toBe(NOW + 60_000);
  });

  it("CancelAllOrdersAfter 0 disarms the switch", async () => {
    const kraken = krakenFor(simulator);
    await kraken.createOrder("BTC/USD", "limit", "buy", 0.01, 41000);
    await kraken.cancelAllOrdersAfter(60_000);
    const reply = (await kraken.cancelAllOrdersAfter(0)) as KrakenBody;
    simulator.setClock(NOW + 120_000);
    expect(reply.result?.triggerTime).toBe("0");
    expect(simulator.orders()[0]?.status).toBe("open");
  });

  it("dead man's switch fires before a later fill", async () => {
    const kraken = krakenFor(simulator);
    await kraken.createOrder("BTC/USD", "limit", "buy", 0.01, 42000);
    await kraken.cancelAllOrdersAfter(60_000);
    // At slot 10 the price reaches 42000, but the switch fired 14 minutes earlier.
    simulator.setClock(T0 + 10 * SLOT + 5_000);
    const order = simulator.orders()[0];
    expect(order?.status).toBe("canceled");
    expect(order?.volumeExecuted).toBe(0);
  });
});

describe("private API faults", () => {
  it("drop_reply leaves the order while ccxt times out", async () => {
    simulator.injectFault({ kind: "drop_reply", endpoint: "AddOrder", count: 1 });
    const kraken = krakenFor(simulator, { timeoutMs: 300 });
    await kraken.loadMarkets();
    const error = await rejectionOf(() =>
      kraken.createOrder("BTC/USD", "market", "buy", 0.01, undefined, { userref: 1894801 })
    );
    expect(error).toBeInstanceOf(ccxt.RequestTimeout);
    const orders = simulator.orders();
    expect(orders).toHaveLength(1);
    expect(orders[0]?.status).toBe("closed");
    expect(orders[0]?.userref).toBe(1894801);

    const closed = await kraken.fetchClosedOrders(undefined, undefined, undefined, {
      userref: 1894801,
    });
    expect(closed.map((order) => order.id)).toEqual([orders[0]?.txid]);
  });

  const cases: Array<[string, Parameters<Simulator["injectFault"]>[0], unknown]> = [
    ["EAPI:Invalid nonce", { kind: "error", errors: ["EAPI:Invalid nonce"] }, ccxt.InvalidNonce],
    [
      "EGeneral:Too many requests",
      { kind: "error", errors: ["EGeneral:Too many requests"] },
      ccxt.DDoSProtection,
    ],
    [
      "EOrder:Insufficient funds",
      { kind: "error", errors: ["EOrder:Insufficient funds"] },
      ccxt.InsufficientFunds,
    ],
    ["html 520", { kind: "html", status: 520 }, ccxt.ExchangeNotAvailable],
    ["hang", { kind: "hang" }, ccxt.RequestTimeout],
    ["drop_reply", { kind: "drop_reply" }, ccxt.RequestTimeout],
  ];

  for (const [name, fault, errorClass] of cases) {
    it(`${name} on AddOrder raises ${(errorClass as { name: string }).name}`, async () => {
      const kraken = krakenFor(simulator, { timeoutMs: 300 });
      await kraken.loadMarkets();
      simulator.injectFault({ ...fault, endpoint: "AddOrder", count: 1 });
      const error = await rejectionOf(() => kraken.createOrder("BTC/USD", "market", "buy", 0.01));
      expect(error).toBeInstanceOf(errorClass as typeof Error);
    });
  }

  it("fault on every endpoint reaches private calls", async () => {
    const kraken = krakenFor(simulator);
    await kraken.loadMarkets();
    simulator.injectFault({ kind: "error", errors: ["EGeneral:Too many requests"], count: 1 });
    const error = await rejectionOf(() => kraken.fetchBalance());
    expect(error).toBeInstanceOf(ccxt.DDoSProtection);
    expect((await kraken.fetchBalance()).USD?.total).toBe(10000);
  });

  it("POST /__sim/fault takes partial_fill", async () => {
    const response = await fetch(`${simulator.url}/__sim/fault`, {
      method: "POST",
      body: JSON.stringify({ kind: "partial_fill", fraction: 0.25, count: 1 }),
    });
    expect(response.status).toBe(200);
    await krakenFor(simulator).createOrder("BTC/USD", "market", "buy", 0.01);
    expect(simulator.orders()[0]?.volumeExecuted).toBe(0.0025);
  });

  it("POST /__sim/fault rejects a fraction of 1", async () => {
    const response = await fetch(`${simulator.url}/__sim/fault`, {
      method: "POST",
      body: JSON.stringify({ kind: "partial_fill", fraction: 1 }),
    });
    expect(response.status).toBe(400);
  });
});

describe("private API request log", () => {
  it("records userref and cl_ord_id", async () => {
    const kraken = krakenFor(simulator);
    await kraken.createOrder("BTC/USD", "market", "buy", 0.01, undefined, { userref: 1894801 });
    await kraken.createOrder("BTC/USD", "market", "buy", 0.01, undefined, {
      clientOrderId: "log-1",
    });
    const adds = simulator.requests.filter((request) => request.endpoint === "AddOrder");
    expect(adds.map((request) => request.userref)).toEqual(["1894801", undefined]);
    expect(adds.map((request) => request.clOrdId)).toEqual([undefined, "log-1"]);
  });

  it("never records the signature or secret", async () => {
    const kraken = krakenFor(simulator);
    await kraken.fetchBalance();
    const signature = (kraken.last_request_headers as Record<string, string>)["API-Sign"] ?? "";
    const log = JSON.stringify(simulator.requests);
    const served = await (await fetch(`${simulator.url}/__sim/requests`)).text();
    expect(signature).not.toBe("");
    expect(log).not.toContain(signature);
    expect(log).not.toContain(simulator.credentials.apiSecret);
    expect(served).not.toContain(signature);
  });

  it("POST /__sim/balances replaces balances", async () => {
    const response = await fetch(`${simulator.url}/__sim/balances`, {
      method: "POST",
      body: JSON.stringify({ ZEUR: "250.0000" }),
    });
    expect(response.status).toBe(200);
    expect(await signedPost(simulator, "Balance")).toBe(
      '{"error":[],"result":{"ZEUR":"250.0000"}}',
    );
  });
});
