/**
 * The simulated account's balances, by Kraken asset code, in the decimals
 * Kraken records each asset in (ZUSD 4, XXBT 10).
 *
 * @module
 */

import { decimalPlaces, type Fixed, formatFixed, parseFixed, roundFixed } from "./fixed-point.ts";
import type { KrakenAsset } from "./markets.ts";
import type { OrderBook } from "./private-orders.ts";

/** Balances by Kraken asset code, as decimal text: `{ ZUSD: "10000.0000" }`. */
export type BalanceInput = Readonly<Record<string, string>>;

/** Balances of an account started without the `balances` option. */
export const DEFAULT_BALANCES: BalanceInput = { ZUSD: "10000.0000", XXBT: "0.0000000000" };

/** Decimals of an asset code the asset table lacks and whose text has no point. */
const FALLBACK_DECIMALS = 10;

/** Raised for balances the simulator cannot hold. */
export class BalanceError extends Error {
  override name = "BalanceError";
}

interface Holding {
  amount: Fixed;
  decimals: number;
}

/**
 * Balances by asset code, in the order they were first set. Assets outside
 * the asset table (such as `XBT.F` for staking rewards) keep the decimals of
 * the text they were set with.
 */
export class Ledger {
  readonly #assets: Readonly<Record<string, KrakenAsset>>;
  #holdings = new Map<string, Holding>();

  /** @throws {BalanceError} for an invalid amount. */
  constructor(initial: BalanceInput, assets: Readonly<Record<string, KrakenAsset>>) {
    this.#assets = assets;
    this.set(initial);
  }

  /**
   * Replaces every balance.
   *
   * @throws {BalanceError} for text that is not a non-negative decimal, or
   *   with more decimals than Kraken records for the asset. Nothing changes then.
   */
  set(input: BalanceInput): void {
    const holdings = new Map<string, Holding>();
    for (const [asset, text] of Object.entries(input)) {
      const known = this.#assets[asset]?.decimals;
      const decimals = known ?? (text.includes(".") ? decimalPlaces(text) : FALLBACK_DECIMALS);
      const amount = parseFixed(text);
      if (amount === undefined || amount < 0n || decimalPlaces(text) > decimals) {
        throw new BalanceError(
          `set balance of ${asset}: "${text}" is invalid; expected a decimal >= 0 ` +
            `with at most ${decimals} decimals, such as "${formatFixed(0n, decimals)}"`,
        );
      }
      holdings.set(asset, { amount, decimals });
    }
    this.#holdings = holdings;
  }

  /** Returns the balance of `asset`, or 0 for an asset the account has never held. */
  get(asset: string): Fixed {
    return this.#holdings.get(asset)?.amount ?? 0n;
  }

  /** Decimals Kraken records `asset` in. */
  decimals(asset: string): number {
    return this.#holdings.get(asset)?.decimals ?? this.#assets[asset]?.decimals ??
      FALLBACK_DECIMALS;
  }

  /**
   * Adds `delta` (negative to take away), rounded half up to the asset's
   * decimals. An asset not held yet is added after the others.
   */
  add(asset: string, delta: Fixed): void {
    const decimals = this.decimals(asset);
    const amount = roundFixed(this.get(asset) + delta, decimals);
    this.#holdings.set(asset, { amount, decimals });
  }

  /** Asset codes in the order they were first held. */
  assets(): string[] {
    return [...this.#holdings.keys()];
  }

  /** Formats an amount of `asset` with its decimals, as `Balance` sends it. */
  format(asset: string, amount: Fixed): string {
    return formatFixed(amount, this.decimals(asset));
  }

  /** Returns every balance as Kraken's `Balance` sends it, zero balances included. */
  snapshot(): Record<string, string> {
    const result: Record<string, string> = {};
    for (const [asset, holding] of this.#holdings) {
      result[asset] = formatFixed(holding.amount, holding.decimals);
    }
    return result;
  }
}

/** The account behind the private endpoints. */
export interface SimulatedAccount {
  ledger: Ledger;
  orders: OrderBook;
  /** Leave zero balances out of `Balance` and `BalanceEx`, as Kraken sometimes does. */
  omitZeroBalances: boolean;
}
