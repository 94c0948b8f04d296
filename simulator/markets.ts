/**
 * The markets and assets the simulator serves, in the shape of Kraken's
 * `AssetPairs` and `Assets` results.
 *
 * Values follow Kraken's public replies. Pair and lot decimals and
 * `ordermin` are as AssetPairs returned them in September 2021. `costmin`,
 * `tick_size`, `status` and `cost_decimals` are as in the AssetPairs example
 * of Kraken's API documentation (2023). Fee tiers are Kraken's standard spot
 * schedule: taker 0.26 % and maker 0.16 % below 50,000 USD of 30-day volume.
 *
 * @module
 */

/** One `AssetPairs` entry; numbers are strings where Kraken sends strings. */
export interface KrakenAssetPair {
  altname: string;
  wsname: string;
  aclass_base: "currency";
  base: string;
  aclass_quote: "currency";
  quote: string;
  lot: "unit";
  cost_decimals: number;
  pair_decimals: number;
  lot_decimals: number;
  lot_multiplier: number;
  leverage_buy: number[];
  leverage_sell: number[];
  /** `[30-day volume in USD, fee in percent]`, lowest tier first. */
  fees: Array<[number, number]>;
  fees_maker: Array<[number, number]>;
  fee_volume_currency: string;
  margin_call: number;
  margin_stop: number;
  /** Minimum order volume in the base currency. */
  ordermin: string;
  /** Minimum order cost in the quote currency. */
  costmin: string;
  tick_size: string;
  status: "online" | "cancel_only" | "post_only" | "limit_only" | "reduce_only";
  /** Margin position limits in the base currency; only on pairs that publish them here. */
  long_position_limit?: number;
  short_position_limit?: number;
}

/** One `Assets` entry. */
export interface KrakenAsset {
  aclass: "currency";
  altname: string;
  /** Decimals Kraken records balances in. */
  decimals: number;
  /** Decimals Kraken shows to users. */
  display_decimals: number;
  /** Share of the value counted as margin collateral; omitted where unknown here. */
  collateral_value?: number;
  status: "enabled" | "deposit_only" | "withdrawal_only" | "funding_temporarily_disabled";
}

const TAKER_FEES: Array<[number, number]> = [
  [0, 0.26],
  [50000, 0.24],
  [100000, 0.22],
  [250000, 0.2],
  [500000, 0.18],
  [1000000, 0.16],
  [2500000, 0.14],
  [5000000, 0.12],
  [10000000, 0.1],
];

const MAKER_FEES: Array<[number, number]> = [
  [0, 0.16],
  [50000, 0.14],
  [100000, 0.12],
  [250000, 0.1],
  [500000, 0.08],
  [1000000, 0.06],
  [2500000, 0.04],
  [5000000, 0.02],
  [10000000, 0],
];

interface PairFacts {
  altname: string;
  wsname: string;
  base: string;
  quote: string;
  pair_decimals: number;
  ordermin: string;
  costmin: string;
  tick_size: string;
  positionLimits?: { long: number; short: number };
}

/** Builds a spot pair with the fields every pair in the table shares. */
function spotPair(facts: PairFacts): KrakenAssetPair {
  const pair: KrakenAssetPair = {
    altname: facts.altname,
    wsname: facts.wsname,
    aclass_base: "currency",
    base: facts.base,
    aclass_quote: "currency",
    quote: facts.quote,
    lot: "unit",
    cost_decimals: 5,
    pair_decimals: facts.pair_decimals,
    lot_decimals: 8,
    lot_multiplier: 1,
    leverage_buy: [2, 3, 4, 5],
    leverage_sell: [2, 3, 4, 5],
    fees: TAKER_FEES.map(([volume, fee]) => [volume, fee]),
    fees_maker: MAKER_FEES.map(([volume, fee]) => [volume, fee]),
    fee_volume_currency: "ZUSD",
    margin_call: 80,
    margin_stop: 40,
    ordermin: facts.ordermin,
    costmin: facts.costmin,
    tick_size: facts.tick_size,
    status: "online",
  };
  if (facts.positionLimits !== undefined) {
    pair.long_position_limit = facts.positionLimits.long;
    pair.short_position_limit = facts.positionLimits.short;
  }
  return pair;
}

/** Asset pairs keyed by Kraken pair id, in the order Kraken lists them. */
export const SIMULATED_PAIRS: Readonly<Record<string, KrakenAssetPair>> = {
  XETHZUSD: spotPair({
    altname: "ETHUSD",
    wsname: "ETH/USD",
    base: "XETH",
    quote: "ZUSD",
    pair_decimals: 2,
    ordermin: "0.004",
    costmin: "0.5",
    tick_size: "0.01",
  }),
  XXBTZEUR: spotPair({
    altname: "XBTEUR",
    wsname: "XBT/EUR",
    base: "XXBT",
    quote: "ZEUR",
    pair_decimals: 1,
    ordermin: "0.0001",
    costmin: "0.45",
    tick_size: "0.1",
  }),
  XXBTZUSD: spotPair({
    altname: "XBTUSD",
    wsname: "XBT/USD",
    base: "XXBT",
    quote: "ZUSD",
    pair_decimals: 1,
    ordermin: "0.0001",
    costmin: "0.5",
    tick_size: "0.1",
    positionLimits: { long: 250, short: 200 },
  }),
};

/** Assets keyed by Kraken asset code. */
export const SIMULATED_ASSETS: Readonly<Record<string, KrakenAsset>> = {
  XETH: currency("ETH", 10, 5),
  XXBT: currency("XBT", 10, 5, 1),
  ZEUR: currency("EUR", 4, 2, 1),
  ZUSD: currency("USD", 4, 2, 1),
};

function currency(
  altname: string,
  decimals: number,
  displayDecimals: number,
  collateralValue?: number,
): KrakenAsset {
  const asset: KrakenAsset = {
    aclass: "currency",
    altname,
    decimals,
    display_decimals: displayDecimals,
    status: "enabled",
  };
  if (collateralValue !== undefined) asset.collateral_value = collateralValue;
  return asset;
}

/**
 * Finds a pair by Kraken id (`XXBTZUSD`) or altname (`XBTUSD`), ignoring
 * case as Kraken does. Returns the id with the pair, or undefined.
 */
export function findPair(
  name: string,
  pairs: Readonly<Record<string, KrakenAssetPair>> = SIMULATED_PAIRS,
): { id: string; pair: KrakenAssetPair } | undefined {
  const wanted = name.trim().toUpperCase();
  for (const [id, pair] of Object.entries(pairs)) {
    if (id === wanted || pair.altname === wanted) return { id, pair };
  }
  return undefined;
}
