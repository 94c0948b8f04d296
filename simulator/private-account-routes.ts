/**
 * Kraken's private account endpoints `Balance`, `BalanceEx` and
 * `TradeBalance`, served from the simulated ledger.
 *
 * @module
 */

import {
  divideFixed,
  type Fixed,
  fixedFromNumber,
  formatFixed,
  multiplyFixed,
} from "./fixed-point.ts";
import {
  krakenError,
  krakenResult,
  type SimReply,
  type SimulatorState,
  UNKNOWN_ASSET,
} from "./routes.ts";

/** Asset `TradeBalance` reports in when the request names none. */
const DEFAULT_TRADE_BALANCE_ASSET = "ZUSD";

/**
 * Replies to `Balance`: `{ "ZUSD": "10000.0000", "XXBT": "0.0000000000" }`,
 * each asset with its decimals, in the order the account first held them.
 * Balances include funds that open orders hold.
 */
export function balanceReply(state: SimulatorState): SimReply {
  const { ledger, omitZeroBalances } = state.account;
  const result: Record<string, string> = {};
  for (const asset of ledger.assets()) {
    const amount = ledger.get(asset);
    if (omitZeroBalances && amount === 0n) continue;
    result[asset] = ledger.format(asset, amount);
  }
  return krakenResult(result);
}

/**
 * Replies to `BalanceEx`, which ccxt's `fetchBalance` calls:
 * `{ "ZUSD": { "balance": "10000.0000", "hold_trade": "421.0000" } }`.
 * Amounts are text, as Kraken's live replies send them, although the example
 * in Kraken's documentation shows numbers.
 */
export function balanceExReply(state: SimulatorState): SimReply {
  const { ledger, orders, omitZeroBalances } = state.account;
  const result: Record<string, { balance: string; hold_trade: string }> = {};
  for (const asset of ledger.assets()) {
    const amount = ledger.get(asset);
    const hold = orders.heldAmount(asset);
    if (omitZeroBalances && amount === 0n && hold === 0n) continue;
    result[asset] = {
      balance: ledger.format(asset, amount),
      hold_trade: ledger.format(asset, hold),
    };
  }
  return krakenResult(result);
}

/**
 * Replies to `TradeBalance` in the `asset` parameter's currency (default
 * ZUSD), with every field as text in that asset's decimals. `eb` values
 * every balance at the last price. `tb` counts the assets Kraken accepts as
 * collateral, times their `collateral_value`. With no margin positions `m`,
 * `n`, `c` and `v` are 0, and `e` and `mf` equal `tb`.
 *
 * NOTE: an asset with no simulated pair to the requested currency, or no
 * candles yet, is left out of `eb` and `tb`.
 */
export function tradeBalanceReply(state: SimulatorState, params: URLSearchParams): SimReply {
  const target = canonicalAsset(state, params.get("asset") || DEFAULT_TRADE_BALANCE_ASSET);
  if (target === undefined) return krakenError([UNKNOWN_ASSET]);

  const { ledger } = state.account;
  let equivalent = 0n;
  let trade = 0n;
  for (const code of ledger.assets()) {
    const asset = canonicalAsset(state, code);
    const value = asset === undefined ? undefined : valueIn(state, asset, ledger.get(code), target);
    if (asset === undefined || value === undefined) continue;
    equivalent += value;
    const collateral = state.assets[asset]?.collateral_value;
    if (collateral !== undefined && asset === code) {
      trade += multiplyFixed(value, fixedFromNumber(collateral, 8));
    }
  }

  const decimals = state.assets[target]?.decimals ?? 4;
  const text = (amount: Fixed) => formatFixed(amount, decimals);
  return krakenResult({
    eb: text(equivalent),
    tb: text(trade),
    m: text(0n),
    n: text(0n),
    c: text(0n),
    v: text(0n),
    e: text(trade),
    mf: text(trade),
  });
}

/**
 * Resolves an asset code or altname to the asset table's code, treating a
 * suffixed balance such as `XBT.F` (staking rewards) as its asset `XXBT`.
 */
function canonicalAsset(state: SimulatorState, name: string): string | undefined {
  const upper = name.toUpperCase().split(".")[0] ?? "";
  const found = Object.entries(state.assets).find(
    ([code, asset]) => code === upper || asset.altname === upper,
  );
  return found?.[0];
}

/** Values `amount` of `asset` in `target` at the last price of a pair between them. */
function valueIn(
  state: SimulatorState,
  asset: string,
  amount: Fixed,
  target: string,
): Fixed | undefined {
  if (asset === target) return amount;
  const nowMs = state.clock.now();
  for (const [id, pair] of Object.entries(state.pairs)) {
    const last = state.tapes.get(id)?.lastPriceAt(nowMs);
    if (last === undefined) continue;
    const price = fixedFromNumber(last, 12);
    if (pair.base === asset && pair.quote === target) return multiplyFixed(amount, price);
    if (pair.base === target && pair.quote === asset) return divideFixed(amount, price);
  }
  return undefined;
}
