/**
 * `PrivateExchange` on ccxt's raw Kraken endpoints (`privatePostAddOrder`
 * and the like), signed by ccxt with `API-Key` and `API-Sign`. The raw
 * replies keep what ccxt's unified methods lose: Kraken's asset codes
 * (`XBT.F` stays apart from `XXBT`), `vol_exec`, and the fee as a number.
 * Every call runs inside the API key's lock, and every reply passes
 * `GuardedKraken`, which never lets a CDN's HTML page through as data.
 *
 * @module
 */
import type { AccountBalances } from "../cycle/venue.ts";
import type { GuardedKrakenInstance } from "../exchange/ccxt-kraken.ts";
import { classifyExchangeError, ExchangeFailure } from "../exchange/errors.ts";
import { readKrakenBalances } from "./asset-codes.ts";
import type { KeyLock } from "./key-lock.ts";
import { orderPair, parseKrakenOrder } from "./kraken-order.ts";
import type {
  ExchangeOrder,
  OrderReference,
  PlaceOrder,
  PrivateExchange,
} from "./private-exchange.ts";

/** Orders per `ClosedOrders` page, as Kraken documents. */
const CLOSED_PAGE_SIZE = 50;
/** Most `ClosedOrders` pages read for one lookup; one userref is one slot's orders. */
const MAX_CLOSED_PAGES = 4;

/** The ids and codes of one market, from ccxt's loaded markets. */
interface MarketIds {
  id: string;
  /** Names Kraken uses for the pair in `descr.pair`. */
  pairNames: Set<string>;
  aliases: Record<string, string>;
}

/** How far before an order's send time ClosedOrders is searched. */
const CLOSED_LOOKUP_MARGIN_MS = 60 * 60 * 1000;

export class KrakenPrivate implements PrivateExchange {
  constructor(
    private readonly kraken: GuardedKrakenInstance,
    private readonly lock: KeyLock,
  ) {}

  async fetchBalances(market: string, signal: AbortSignal): Promise<AccountBalances> {
    const ids = await this.#market(market);
    const reply = await this.lock.run(() => this.kraken.privatePostBalanceEx({}), signal);
    try {
      return readKrakenBalances(resultOf("BalanceEx", reply), ids.aliases);
    } catch (error) {
      if (error instanceof ExchangeFailure) throw error;
      const text = error instanceof Error ? error.message : String(error);
      throw new ExchangeFailure("invalid_response", "BalanceEx", text);
    }
  }

  async placeOrder(order: PlaceOrder, signal: AbortSignal): Promise<string> {
    const ids = await this.#market(order.reference.market);
    const params = {
      pair: ids.id,
      type: order.side,
      ordertype: "market",
      volume: order.amount.toFixed(order.amountDecimals),
      userref: String(order.reference.userref),
      cl_ord_id: order.reference.clientOrderId,
    };
    const reply = await this.lock.run(() => this.kraken.privatePostAddOrder(params), signal);
    const txids = (resultOf("AddOrder", reply) as { txid?: unknown }).txid;
    const txid = Array.isArray(txids) ? txids[0] : undefined;
    if (typeof txid !== "string" || txid === "") {
      throw new ExchangeFailure(
        "invalid_response",
        "AddOrder",
        `expected result.txid to list the order id, got ${JSON.stringify(txids) ?? "nothing"}`,
      );
    }
    return txid;
  }

  async queryOrder(txid: string, signal: AbortSignal): Promise<ExchangeOrder | null> {
    let reply: unknown;
    try {
      reply = await this.lock.run(() => this.kraken.privatePostQueryOrders({ txid }), signal);
    } catch (error) {
      // Kraken replies EOrder:Invalid order to a txid it has no order for.
      if (classifyExchangeError(error, "QueryOrders").kind === "order_not_found") return null;
      throw error;
    }
    const entry = (resultOf("QueryOrders", reply) as Record<string, unknown>)[txid];
    return entry === undefined ? null : parseKrakenOrder("QueryOrders", txid, entry);
  }

  async openOrders(reference: OrderReference, signal: AbortSignal): Promise<ExchangeOrder[]> {
    const ids = await this.#market(reference.market);
    const params = { userref: String(reference.userref) };
    const reply = await this.lock.run(() => this.kraken.privatePostOpenOrders(params), signal);
    const open = (resultOf("OpenOrders", reply) as { open?: unknown }).open;
    return ordersOf("OpenOrders", open, ids);
  }

  async closedOrders(
    reference: OrderReference,
    sinceMs: number,
    signal: AbortSignal,
  ): Promise<ExchangeOrder[]> {
    const ids = await this.#market(reference.market);
    const found: ExchangeOrder[] = [];
    for (let page = 0; page < MAX_CLOSED_PAGES; page++) {
      const params = {
        userref: String(reference.userref),
        // `start` is exclusive, in whole seconds, and compared with the exchange's
        // clock, which may run behind ours by up to the allowed skew. The userref
        // filter already limits the reply to this slot's orders, so a wide margin
        // costs nothing.
        start: String(Math.max(0, Math.floor((sinceMs - CLOSED_LOOKUP_MARGIN_MS) / 1000))),
        ofs: String(page * CLOSED_PAGE_SIZE),
      };
      const reply = await this.lock.run(() => this.kraken.privatePostClosedOrders(params), signal);
      const result = resultOf("ClosedOrders", reply) as { closed?: unknown; count?: unknown };
      found.push(...ordersOf("ClosedOrders", result.closed, ids));
      const count = typeof result.count === "number" ? result.count : 0;
      if ((page + 1) * CLOSED_PAGE_SIZE >= count) break;
    }
    return found;
  }

  async cancelAll(signal: AbortSignal): Promise<number> {
    const reply = await this.lock.run(() => this.kraken.privatePostCancelAll({}), signal);
    const count = (resultOf("CancelAll", reply) as { count?: unknown }).count;
    return typeof count === "number" ? count : 0;
  }

  /** Reads the market's ids from ccxt's markets, loading them when this instance has none. */
  async #market(symbol: string): Promise<MarketIds> {
    const markets = this.kraken.markets ?? await this.kraken.loadMarkets();
    const market = markets[symbol];
    if (market === undefined) {
      throw new ExchangeFailure(
        "operator",
        "loadMarkets",
        `market ${symbol} is not listed by the exchange; check TITAN_MARKETS`,
      );
    }
    const info = (market.info ?? {}) as Record<string, unknown>;
    const names = [market.id, info.altname, info.wsname].filter((n) => typeof n === "string");
    const aliases: Record<string, string> = {};
    if (market.baseId) aliases[String(market.baseId)] = String(market.base);
    if (market.quoteId) aliases[String(market.quoteId)] = String(market.quote);
    return { id: String(market.id), pairNames: new Set(names as string[]), aliases };
  }
}

/** Returns `result` of a Kraken reply, or fails as an invalid response naming the call. */
function resultOf(call: string, reply: unknown): unknown {
  const result = (reply as { result?: unknown } | null)?.result;
  if (typeof result === "object" && result !== null) return result;
  throw new ExchangeFailure("invalid_response", call, "the reply has no result object");
}

/** Reads a txid-keyed object of orders, keeping those of the market's pair. */
function ordersOf(call: string, listing: unknown, ids: MarketIds): ExchangeOrder[] {
  if (listing === undefined || listing === null) return [];
  if (typeof listing !== "object" || Array.isArray(listing)) {
    throw new ExchangeFailure("invalid_response", call, "expected an object of orders by txid");
  }
  const orders: ExchangeOrder[] = [];
  for (const [txid, raw] of Object.entries(listing as Record<string, unknown>)) {
    const pair = orderPair(raw);
    if (pair !== null && !ids.pairNames.has(pair)) continue;
    orders.push(parseKrakenOrder(call, txid, raw));
  }
  return orders;
}
