/**
 * The PAPER balances as the journal keeps them, so a backtest's balances
 * equal replay's to the last digit.
 *
 * The journal stores balances as Postgres `numeric` and applies a fill in
 * exact decimal arithmetic (`titan_paper_fill`): a buy adds `amount` of the
 * base asset and takes `cost + fee` of the quote asset, a sell takes
 * `amount` and adds `cost - fee`. Each number reaches Postgres as its
 * JavaScript string (`String(x)`, the shortest form that reads back as the
 * same double), and a balance reads back as `Number(text)`. Float arithmetic
 * on the doubles, as the PAPER broker's `balancesAfter` does, differs from
 * that in the last bits after the first fill, so this ledger repeats the
 * exact arithmetic with BigInt.
 *
 * @module
 */

import type { Balances, Side } from "../journal/journal.ts";

/** An exact decimal: units × 10^-scale. */
interface Decimal {
  units: bigint;
  scale: number;
}

/** The fill values the journal records. */
export interface LedgerFill {
  side: Side;
  amount: number;
  cost: number;
  fee: number;
}

export class PaperLedger {
  readonly #exact = new Map<string, Decimal>();
  #balances: Balances;

  /** Seeds the ledger as `titan_paper_seed` does, from amounts of 0 or more. */
  constructor(initial: Balances) {
    for (const [asset, amount] of Object.entries(initial)) {
      this.#exact.set(asset, decimalOf(amount));
    }
    this.#balances = this.#read();
  }

  /** The balances as the journal returns them: every asset, as doubles. */
  get balances(): Balances {
    return this.#balances;
  }

  /**
   * Applies a fill in exact decimal arithmetic and returns the new balances.
   * Returns null, changing nothing, when a balance would fall below zero:
   * the journal rejects such a fill, and the live cycle records it as an
   * INSUFFICIENT_FUNDS skip.
   */
  apply(fill: LedgerFill, base: string, quote: string): Balances | null {
    const amount = decimalOf(fill.amount);
    const cost = decimalOf(fill.cost);
    const fee = decimalOf(fill.fee);
    const baseChange = fill.side === "buy" ? amount : negate(amount);
    const quoteChange = fill.side === "buy" ? negate(add(cost, fee)) : add(cost, negate(fee));
    const zero = { units: 0n, scale: 0 };
    const newBase = add(this.#exact.get(base) ?? zero, baseChange);
    const newQuote = add(this.#exact.get(quote) ?? zero, quoteChange);
    if (newBase.units < 0n || newQuote.units < 0n) return null;
    this.#exact.set(base, newBase);
    this.#exact.set(quote, newQuote);
    this.#balances = this.#read();
    return this.#balances;
  }

  #read(): Balances {
    const balances: Balances = {};
    for (const [asset, value] of this.#exact) balances[asset] = Number(format(value));
    return balances;
  }
}

/** Parses `String(value)`, which may use an exponent such as 1e-7 or 1.5e+21. */
function decimalOf(value: number): Decimal {
  if (!Number.isFinite(value)) {
    throw new RangeError(`Invalid ledger amount ${value}: expected a finite number.`);
  }
  const text = String(value);
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(text);
  if (!match) throw new RangeError(`Invalid ledger amount ${text}: not a decimal number.`);
  const [, sign = "", whole = "", fraction = "", exponent = "0"] = match;
  let units = BigInt(whole + fraction);
  let scale = fraction.length - Number(exponent);
  if (scale < 0) {
    units *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return { units: sign === "-" ? -units : units, scale };
}

function add(left: Decimal, right: Decimal): Decimal {
  const scale = Math.max(left.scale, right.scale);
  const units = left.units * 10n ** BigInt(scale - left.scale) +
    right.units * 10n ** BigInt(scale - right.scale);
  return { units, scale };
}

function negate(value: Decimal): Decimal {
  return { units: -value.units, scale: value.scale };
}

/** Writes the decimal in plain notation, as Postgres prints `numeric`. */
function format(value: Decimal): string {
  const negative = value.units < 0n;
  const digits = (negative ? -value.units : value.units).toString().padStart(value.scale + 1, "0");
  const point = digits.length - value.scale;
  const text = value.scale === 0 ? digits : `${digits.slice(0, point)}.${digits.slice(point)}`;
  return negative ? `-${text}` : text;
}
