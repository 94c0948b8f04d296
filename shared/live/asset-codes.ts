/**
 * Kraken's asset codes and balances, read into the unified codes the rest
 * of the bot uses (`BTC`, `USD`, as ccxt names them).
 *
 * Kraken names one asset several ways. Older assets carry an `X` (crypto)
 * or `Z` (fiat) prefix: `XXBT` and `ZUSD`. Bitcoin is `XBT` and Dogecoin
 * `XDG`. A suffix names a balance that is held apart: `.F` for staking
 * rewards, `.S` and `.M` for staked funds, `.B` for funds earning yield,
 * `.P` for parachain funds, `.HOLD` for held fiat. A suffixed balance counts
 * toward the account's total but is never free to sell.
 *
 * @module
 */
import type { AccountBalances } from "../cycle/venue.ts";
import type { Balances } from "../journal/journal.ts";

/**
 * Kraken codes whose unified code differs, besides the suffixes, as ccxt
 * 4.5.84's `commonCurrencies` for Kraken maps them.
 */
const UNIFIED_CODES: Readonly<Record<string, string>> = {
  XXBT: "BTC",
  XBT: "BTC",
  XXDG: "DOGE",
  XDG: "DOGE",
  XETH: "ETH",
  XETC: "ETC",
  XLTC: "LTC",
  XMLN: "MLN",
  XREP: "REP",
  XXLM: "XLM",
  XXMR: "XMR",
  XXRP: "XRP",
  XZEC: "ZEC",
  ZAUD: "AUD",
  ZCAD: "CAD",
  ZEUR: "EUR",
  ZGBP: "GBP",
  ZJPY: "JPY",
  ZUSD: "USD",
};

/** A Kraken asset code split into its unified asset and the suffix of a held-apart balance. */
export interface AssetCode {
  /** Unified code, e.g. `BTC`. */
  asset: string;
  /** `.F`, `.S`, `.M`, `.B`, `.P`, `.HOLD` or another suffix; null for a spot balance. */
  suffix: string | null;
}

/**
 * Splits a Kraken balance code: `XXBT` and `XBT` are BTC, `XBT.F` is BTC in
 * staking rewards. `aliases` adds codes from the exchange's own market data
 * (a market's base id and its unified base), which take precedence.
 */
export function parseAssetCode(code: string, aliases: Readonly<Record<string, string>> = {}) {
  const dot = code.indexOf(".");
  const name = (dot < 0 ? code : code.slice(0, dot)).toUpperCase();
  const suffix = dot < 0 ? null : code.slice(dot).toUpperCase();
  const asset = aliases[name] ?? UNIFIED_CODES[name] ?? name;
  return { asset, suffix } satisfies AssetCode;
}

/**
 * Reads a Kraken `BalanceEx` result (`{"XXBT": {"balance": "0.5", "hold_trade":
 * "0.1"}}`) or a `Balance` result (`{"XXBT": "0.5"}`) by unified code.
 *
 * - `total` adds every balance of an asset, suffixed ones included, so
 *   `{"XXBT": "0", "XBT.F": "0.0123456789"}` is 0.0123456789 BTC in total.
 * - `free` adds only unsuffixed balances minus `hold_trade`, the funds that
 *   open orders hold, so that BTC has 0 free.
 *
 * An asset missing from the reply is a zero balance; `freeBalance` reads it
 * as 0. Throws a `TypeError` naming the code for an amount that is not a
 * finite decimal, so a malformed reply never becomes a balance.
 */
export function readKrakenBalances(
  result: unknown,
  aliases: Readonly<Record<string, string>> = {},
): AccountBalances {
  if (typeof result !== "object" || result === null || Array.isArray(result)) {
    throw new TypeError(`Reading Kraken balances failed: expected an object, got ${typeof result}.`);
  }
  const free: Balances = {};
  const total: Balances = {};
  for (const [code, entry] of Object.entries(result as Record<string, unknown>)) {
    const { asset, suffix } = parseAssetCode(code, aliases);
    const { balance, held } = amountsOf(code, entry);
    total[asset] = (total[asset] ?? 0) + balance;
    if (suffix === null) free[asset] = (free[asset] ?? 0) + Math.max(0, balance - held);
  }
  return { free, total };
}

/** Reads one entry: a decimal string, or `{ balance, hold_trade }`. */
function amountsOf(code: string, entry: unknown): { balance: number; held: number } {
  if (typeof entry === "string" || typeof entry === "number") {
    return { balance: decimal(code, "balance", entry), held: 0 };
  }
  if (typeof entry === "object" && entry !== null) {
    const fields = entry as Record<string, unknown>;
    const held = fields.hold_trade === undefined ? 0 : decimal(code, "hold_trade", fields.hold_trade);
    return { balance: decimal(code, "balance", fields.balance), held };
  }
  throw new TypeError(`Reading Kraken balance ${code} failed: got ${JSON.stringify(entry)}.`);
}

function decimal(code: string, field: string, value: unknown): number {
  const amount = typeof value === "string" && /^-?\d+(\.\d+)?$/.test(value.trim())
    ? Number(value)
    : value;
  if (typeof amount === "number" && Number.isFinite(amount)) return amount;
  throw new TypeError(
    `Reading Kraken balance ${code} failed: ${field} must be a decimal, got ` +
      `${JSON.stringify(value)}.`,
  );
}
