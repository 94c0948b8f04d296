/**
 * The simulated account's orders: placement, fills against the candle tape,
 * cancellation, Kraken's dead man's switch (`CancelAllOrdersAfter`), and the
 * funds that open orders hold.
 *
 * Fill model: a market order fills at once at the quoted ask (buy) or bid
 * (sell) of `CandleTape.quoteAt` and pays the taker fee. A limit order that
 * the quote already crosses fills the same way. Any other limit order rests
 * and fills at its limit price with the maker fee once the simulated price
 * reaches it. The price reaches it when the quote at a check crosses it, or
 * when a candle that closed since the previous check has its low (buy) or
 * high (sell) at or beyond it. Fees use the lowest tier of
 * the pair's `fees` and `fees_maker`, because 30-day volume is not tracked.
 *
 * @module
 */

import { createHash } from "node:crypto";
import type { Quote } from "../shared/market/types.ts";
import type { Ledger } from "./account.ts";
import {
  type Fixed,
  fixedFromNumber,
  minFixed,
  multiplyFixed,
  percentToFraction,
  roundFixed,
} from "./fixed-point.ts";
import type { KrakenAssetPair } from "./markets.ts";
import type { CandleTape } from "./tape.ts";

export type OrderSide = "buy" | "sell";
export type OrderType = "market" | "limit";
export type OrderStatus = "pending" | "open" | "closed" | "canceled" | "expired";

/** Reason Kraken gives for an order the account holder cancelled. */
export const USER_REQUESTED = "User requested";
/**
 * Reason given for orders the dead man's switch cancelled.
 * NOTE: the wording is the simulator's, because Kraken's text was not found.
 */
export const CANCEL_AFTER_REASON = "Cancel all orders after timeout";
/**
 * Reason given for a post-only order the quote would fill at once.
 * NOTE: the wording is the simulator's guess at Kraken's.
 */
export const POST_ONLY_REASON = "Post only order";

/** An AddOrder request that passed validation. */
export interface OrderRequest {
  /** Kraken pair id, such as `XXBTZUSD`. */
  pairId: string;
  pair: KrakenAssetPair;
  side: OrderSide;
  type: OrderType;
  /** Volume in the base currency. */
  volume: Fixed;
  /** Limit price in the quote currency, for limit orders only. */
  limitPrice?: Fixed;
  userref?: number;
  clOrdId?: string;
  /** Order flags as sent, such as `fciq` or `post`, plus `fciq` when no fee flag was sent. */
  oflags: string[];
}

/** How much of an order fills (see the `partial_fill` fault). */
export interface PartialFill {
  /** Share of the volume that fills, above 0 and below 1. */
  fraction: number;
  /** `cancel`: the rest is cancelled. `rest`: the order stays open and takes no more fills. */
  remainder: "cancel" | "rest";
  /** Reason the order reports when the rest is cancelled. */
  reason: string;
}

/** One trade of an order. */
export interface OrderFill {
  tradeId: string;
  /** Simulated time of the trade, in ms since the epoch. */
  timeMs: number;
  price: Fixed;
  volume: Fixed;
  /** Volume times price, in the quote currency, rounded to its decimals. */
  cost: Fixed;
  /** Fee in the quote currency, or in the base currency with `fcib`. */
  fee: Fixed;
  maker: boolean;
}

/** An order the simulator accepted. */
export interface SimOrder extends OrderRequest {
  txid: string;
  status: OrderStatus;
  openMs: number;
  /** When the order closed or was cancelled, in ms, undefined while open. */
  closeMs?: number;
  reason: string | null;
  fills: OrderFill[];
  partialFill?: PartialFill;
  /** Set after a partial fill whose remainder rests: the order takes no more fills. */
  frozen: boolean;
  /** Simulated time up to which resting fills were checked, in ms. */
  checkedMs: number;
}

/** Market data the order book reads. */
export interface OrderMarket {
  tapes: ReadonlyMap<string, CandleTape>;
  spreadBps: number;
}

/** The funds an order needs: an amount of one asset. */
export interface RequiredFunds {
  asset: string;
  amount: Fixed;
}

/** Every order of the simulated account, oldest first. */
export class OrderBook {
  readonly #market: OrderMarket;
  readonly #ledger: Ledger;
  readonly #orders: SimOrder[] = [];
  #tradeCount = 0;
  /** When the dead man's switch cancels every open order, in ms, undefined when off. */
  #cancelAllAtMs: number | undefined;

  constructor(market: OrderMarket, ledger: Ledger) {
    this.#market = market;
    this.#ledger = ledger;
  }

  /** Returns every order ever accepted, oldest first. */
  all(): readonly SimOrder[] {
    return this.#orders;
  }

  find(txid: string): SimOrder | undefined {
    return this.#orders.find((order) => order.txid === txid);
  }

  /** Returns the open orders, newest first, as `OpenOrders` lists them. */
  open(): SimOrder[] {
    return this.#orders.filter((order) => order.status === "open").reverse();
  }

  /** Returns the quote for a pair, or undefined without candles at `nowMs`. */
  quote(pairId: string, pair: KrakenAssetPair, nowMs: number): Quote | undefined {
    const tape = this.#market.tapes.get(pairId);
    if (tape === undefined || tape.lastPriceAt(nowMs) === undefined) return undefined;
    return tape.quoteAt(nowMs, this.#market.spreadBps, pair.pair_decimals);
  }

  /**
   * Accepts an order at `nowMs` and fills it as the module notes describe.
   * The caller checks funds and market data first.
   */
  place(request: OrderRequest, nowMs: number, partialFill?: PartialFill): SimOrder {
    const txid = krakenId("O", this.#orders.length + 1);
    const order: SimOrder = {
      ...request,
      txid,
      status: "open",
      openMs: nowMs,
      reason: null,
      fills: [],
      frozen: false,
      checkedMs: nowMs,
    };
    if (partialFill !== undefined) order.partialFill = partialFill;
    this.#orders.push(order);

    const quote = this.quote(order.pairId, order.pair, nowMs);
    if (quote === undefined) return order;
    const quotePrice = fixedFromNumber(order.side === "buy" ? quote.ask : quote.bid, 12);
    if (order.type === "market") {
      this.#execute(order, quotePrice, nowMs, false);
    } else if (crosses(order, quotePrice)) {
      if (order.oflags.includes("post")) this.#close(order, "canceled", nowMs, POST_ONLY_REASON);
      else this.#execute(order, quotePrice, nowMs, false);
    }
    return order;
  }

  /**
   * Brings the orders up to `nowMs`: fills resting limit orders the price
   * reached, and fires the dead man's switch when its time has come.
   */
  advance(nowMs: number): void {
    const cancelAt = this.#cancelAllAtMs;
    if (cancelAt !== undefined && cancelAt <= nowMs) {
      this.#fillResting(cancelAt);
      this.cancelWhere(() => true, cancelAt, CANCEL_AFTER_REASON);
      this.#cancelAllAtMs = undefined;
    }
    this.#fillResting(nowMs);
  }

  /** Cancels the open orders that `select` picks and returns how many. */
  cancelWhere(select: (order: SimOrder) => boolean, nowMs: number, reason: string): number {
    const chosen = this.#orders.filter((order) => order.status === "open" && select(order));
    for (const order of chosen) this.#close(order, "canceled", nowMs, reason);
    return chosen.length;
  }

  /**
   * Arms the dead man's switch to cancel every open order `timeoutS` seconds
   * after `nowMs`, or disarms it for 0. Returns the trigger time in ms.
   */
  cancelAllAfter(timeoutS: number, nowMs: number): number | undefined {
    this.#cancelAllAtMs = timeoutS === 0 ? undefined : nowMs + timeoutS * 1000;
    return this.#cancelAllAtMs;
  }

  /** Returns the amount of `asset` that open orders hold. */
  heldAmount(asset: string): Fixed {
    let total = 0n;
    for (const order of this.#orders) {
      if (order.status !== "open") continue;
      const remaining = order.volume - executedVolume(order);
      if (remaining <= 0n) continue;
      const price = order.limitPrice ?? order.fills.at(-1)?.price ?? 0n;
      const funds = this.requiredFunds(order, remaining, price, order.type === "limit");
      if (funds.asset === asset) total += funds.amount;
    }
    return total;
  }

  /** Returns the balance of `asset` that open orders do not hold. */
  free(asset: string): Fixed {
    return this.#ledger.get(asset) - this.heldAmount(asset);
  }

  /**
   * Returns what an order of `volume` at `price` takes from the account: the
   * quote currency with the fee for a buy, the base currency for a sell. A
   * fee in the base currency (`fcib`) comes from the bought volume on a buy
   * and adds to the sold volume on a sell.
   */
  requiredFunds(request: OrderRequest, volume: Fixed, price: Fixed, maker: boolean): RequiredFunds {
    const { pair } = request;
    const rate = feeRate(pair, maker);
    const inBase = feeInBase(request);
    if (request.side === "sell") {
      const fee = inBase ? multiplyFixed(volume, rate) : 0n;
      return { asset: pair.base, amount: volume + fee };
    }
    const cost = multiplyFixed(volume, price);
    const fee = inBase ? 0n : multiplyFixed(cost, rate);
    return { asset: pair.quote, amount: cost + fee };
  }

  #fillResting(nowMs: number): void {
    for (const order of this.#orders) {
      if (order.status !== "open" || order.type !== "limit" || order.frozen) continue;
      if (nowMs <= order.checkedMs || order.limitPrice === undefined) continue;
      const reached = this.#priceReached(order, order.limitPrice, order.checkedMs, nowMs);
      order.checkedMs = nowMs;
      if (reached) this.#execute(order, order.limitPrice, nowMs, true);
    }
  }

  /**
   * True when the price reached `limit` in (fromMs, toMs]: a candle that
   * closed in that window, or the quote at `toMs`.
   *
   * NOTE: a candle counts when it closes after `fromMs`, even if its low or
   * high came before the order was placed, because candles carry no intra-candle path.
   */
  #priceReached(order: SimOrder, limit: Fixed, fromMs: number, toMs: number): boolean {
    const tape = this.#market.tapes.get(order.pairId);
    if (tape === undefined) return false;
    for (const row of tape.ohlcSince(fromMs - tape.intervalMs + 1, toMs)) {
      const extreme = fixedFromNumber(order.side === "buy" ? row.low : row.high, 12);
      if (crosses(order, extreme)) return true;
    }
    const quote = this.quote(order.pairId, order.pair, toMs);
    if (quote === undefined) return false;
    return crosses(order, fixedFromNumber(order.side === "buy" ? quote.ask : quote.bid, 12));
  }

  /** Fills the order, or the share a partial fill allows, and closes or freezes it. */
  #execute(order: SimOrder, price: Fixed, timeMs: number, maker: boolean): void {
    const partial = order.partialFill;
    const remaining = order.volume - executedVolume(order);
    const allowed = partial === undefined ? remaining : partialVolume(order, partial.fraction);
    const volume = minFixed(allowed, remaining);
    if (volume > 0n) this.#fill(order, volume, price, timeMs, maker);

    if (partial === undefined) this.#close(order, "closed", timeMs, null);
    else if (partial.remainder === "cancel") this.#close(order, "canceled", timeMs, partial.reason);
    else order.frozen = true;
  }

  /** Books one trade: moves the ledger and records the fill on the order. */
  #fill(order: SimOrder, volume: Fixed, price: Fixed, timeMs: number, maker: boolean): void {
    const { base, quote } = order.pair;
    const rate = feeRate(order.pair, maker);
    const cost = roundFixed(multiplyFixed(volume, price), this.#ledger.decimals(quote));
    const inBase = feeInBase(order);
    const fee = inBase
      ? roundFixed(multiplyFixed(volume, rate), this.#ledger.decimals(base))
      : roundFixed(multiplyFixed(cost, rate), this.#ledger.decimals(quote));
    const sign = order.side === "buy" ? 1n : -1n;
    this.#ledger.add(base, sign * volume - (inBase ? fee : 0n));
    this.#ledger.add(quote, -sign * cost - (inBase ? 0n : fee));

    this.#tradeCount++;
    const tradeId = krakenId("T", this.#tradeCount);
    order.fills.push({ tradeId, timeMs, price, volume, cost, fee, maker });
  }

  #close(order: SimOrder, status: OrderStatus, timeMs: number, reason: string | null): void {
    order.status = status;
    order.closeMs = timeMs;
    order.reason = reason;
  }
}

/** Volume filled so far. */
export function executedVolume(order: SimOrder): Fixed {
  return order.fills.reduce((sum, fill) => sum + fill.volume, 0n);
}

/** True when the fee is charged in the base currency (`fcib` without `fciq`). */
export function feeInBase(request: OrderRequest): boolean {
  return request.oflags.includes("fcib") && !request.oflags.includes("fciq");
}

function feeRate(pair: KrakenAssetPair, maker: boolean): Fixed {
  const tiers = maker ? pair.fees_maker : pair.fees;
  return percentToFraction(tiers[0]?.[1] ?? 0);
}

/** True when `price` lets the order trade: at or below a buy limit, at or above a sell limit. */
function crosses(order: SimOrder, price: Fixed): boolean {
  if (order.type === "market" || order.limitPrice === undefined) return true;
  return order.side === "buy" ? price <= order.limitPrice : price >= order.limitPrice;
}

/** Returns the share `fraction` of the volume, rounded down to the pair's lot decimals. */
function partialVolume(order: SimOrder, fraction: number): Fixed {
  const share = multiplyFixed(order.volume, fixedFromNumber(fraction, 12));
  return roundFixed(share, order.pair.lot_decimals, "down");
}

const ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/**
 * Builds an id in Kraken's form, such as `OUF4EM-FRGI2-MQMWZD` for orders
 * (`O`) and trades (`T`). Ids derive from a count, so every run repeats them.
 */
export function krakenId(prefix: "O" | "T", count: number): string {
  const digest = createHash("sha256").update(`${prefix}${count}`).digest();
  const letters = [...digest.subarray(0, 16)].map((byte) => ID_ALPHABET[byte % 32]).join("");
  return `${prefix}${letters.slice(0, 5)}-${letters.slice(5, 10)}-${letters.slice(10, 16)}`;
}
