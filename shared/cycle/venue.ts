/**
 * The execution venue: the one seam between PAPER and LIVE. A cycle runs
 * the same steps in both modes (claim, kill switch, clock, market data,
 * sizing and `validateOrder` on the same inputs) and calls its venue only
 * for what differs: finishing what earlier cycles left half done, the
 * balances, and the execution of a validated order.
 *
 * @module
 */
import type { BlackboxRecorder } from "../blackbox/recorder.ts";
import type { CallGuard } from "../exchange/call-guard.ts";
import type { Balances, Side, TradingMode } from "../journal/journal.ts";
import type { MarketInfo, Quote } from "../market/types.ts";
import type { OrderRequest } from "../risk/order-rules.ts";
import type { CycleDeps } from "./context.ts";
import { paperVenue } from "./paper-venue.ts";
import type { CycleState } from "./state.ts";

/** The running cycle's parts a venue uses. */
export interface VenueContext {
  deps: CycleDeps;
  guard: CallGuard;
  state: CycleState;
  log: BlackboxRecorder;
}

/** Balances by asset code (`BTC`, `USD`), in two readings. */
export interface AccountBalances {
  /** Funds an order may use now, without those open orders hold or that are staked. */
  free: Balances;
  /** Everything the account holds, free or not: the position the strategy and the equity see. */
  total: Balances;
}

/** One execution's filled values; the fee is in the quote currency. */
export interface FillValues {
  side: Side;
  /** Base amount filled. */
  amount: number;
  /** Average fill price in the quote currency. */
  price: number;
  /** amount × price, before the fee. */
  cost: number;
  fee: number;
}

/** Order states an execution can end the cycle in. */
export type ExecutedStatus = "filled" | "partially_filled" | "open" | "canceled";

export type ExecutionResult =
  | {
    kind: "executed";
    status: ExecutedStatus;
    /** The fill so far; null when nothing filled. */
    fill: FillValues | null;
    clientOrderId: string;
    /** The balances after the fill, for the audit. */
    balancesAfter: AccountBalances;
  }
  | { kind: "skipped"; reason: string; message: string };

/** The destination of one mode's orders. */
export interface ExecutionVenue {
  readonly mode: TradingMode;
  /**
   * Finishes what earlier cycles of the market left half done, before any
   * market data is read. Throws a `CycleAbort` when the cycle must not trade.
   */
  recover(context: VenueContext): Promise<void>;
  /** Reads the balances that sizing and the portfolio use. */
  readBalances(context: VenueContext, market: MarketInfo): Promise<AccountBalances>;
  /** Executes an order that passed sizing and `validateOrder` on `balances.free`. */
  execute(
    context: VenueContext,
    order: OrderRequest,
    market: MarketInfo,
    quote: Quote,
    balances: AccountBalances,
  ): Promise<ExecutionResult>;
}

/**
 * Returns the venue of a cycle in `mode`: the caller's LIVE venue, or the
 * PAPER venue. Throws when a LIVE cycle has no LIVE venue, a wiring error.
 */
export function venueFor(deps: CycleDeps, mode: TradingMode): ExecutionVenue {
  if (mode === "PAPER") return paperVenue;
  if (deps.venue === undefined || deps.venue.mode !== "LIVE") {
    throw new Error(
      "A LIVE cycle needs a LIVE execution venue in deps.venue; build it with createLiveVenue " +
        "from shared/live.",
    );
  }
  return deps.venue;
}
