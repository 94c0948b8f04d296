/**
 * A BUY or SELL decision turned into a PAPER fill with the live cycle's own
 * `sizeOrder` and `fillPaperOrder`, in the order `decideAndExecute` calls them.
 *
 * @module
 */

import { fillPaperOrder } from "../broker/paper.ts";
import type { Balances, Decision } from "../journal/journal.ts";
import type { MarketInfo, Quote } from "../market/types.ts";
import type { RiskParams } from "../risk/risk-params.ts";
import { sizeOrder } from "../risk/sizing.ts";
import type { PaperLedger } from "./paper-ledger.ts";
import type { BacktestRecorder } from "./run-record.ts";

export interface ExecutionInput {
  market: MarketInfo;
  quote: Quote;
  /** The PAPER balances; a fill moves them. */
  ledger: PaperLedger;
  risk: RiskParams;
  /** PAPER slippage in basis points (TITAN_PAPER_SLIPPAGE_BPS). */
  slippageBps: number;
}

/**
 * Sizes and fills the order of a BUY or SELL decision, moves the ledger,
 * and records the fill, the skip, or the crash the journal's balance check
 * causes in the live cycle.
 */
export function executeDecision(
  record: BacktestRecorder,
  index: number,
  decision: Exclude<Decision, "HOLD">,
  input: ExecutionInput,
): void {
  const { market, quote, ledger } = input;
  const balances: Balances = ledger.balances;
  const side = decision === "BUY" ? "buy" : "sell";
  const slot = record.slotAt(index);
  const slippage = input.slippageBps / 10_000;
  const sizing = sizeOrder({ side, market, quote, balances, risk: input.risk, slippage });
  if (sizing.kind === "skip") {
    record.skips.push({ slot, side, reason: sizing.reason });
    return;
  }

  const result = fillPaperOrder(sizing.order, quote, market, balances, {
    slippageBps: input.slippageBps,
  });
  if (result.kind === "rejected") {
    record.skips.push({ slot, side, reason: result.reason });
    return;
  }
  const after = ledger.apply(result.fill, market.base, market.quote);
  if (after === null) {
    // The live journal rejects a fill whose exact decimal total exceeds the
    // balance, and the PAPER venue records that as an INSUFFICIENT_FUNDS skip.
    record.skips.push({ slot, side, reason: "INSUFFICIENT_FUNDS" });
    return;
  }
  record.fills.push({
    slot,
    ...result.fill,
    cash: after[market.quote] ?? 0,
    position: after[market.base] ?? 0,
  });
}
