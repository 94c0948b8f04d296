import type { AbortReason } from "../cycle/reasons.ts";

export type TradingMode = "PAPER" | "LIVE";
/**
 * `incomplete`: a later cycle found the row still running past the deadline.
 * `released`: an operator released the row for a re-run.
 */
export type CycleStatus =
  | "running"
  | "completed"
  | "aborted"
  | "skipped"
  | "crashed"
  | "incomplete"
  | "released";
export type Decision = "BUY" | "SELL" | "HOLD";
export type Side = "buy" | "sell";

/** The first write of a cycle: claims its (market, slot) for one invocation. */
export interface CycleClaim {
  cycleId: string;
  market: string;
  /** Slot start, ms since the epoch. */
  slot: number;
  mode: TradingMode;
  invocationId: string;
  /** Origin of the cycle: `cron`, `cli`, `replay` or a caller address. */
  invokedBy: string;
  startedAt: number;
}

export interface ClaimResult {
  /** True when this invocation inserted the row and owns the cycle. */
  claimed: boolean;
  /** Status of the row that was already there, when `claimed` is false. */
  existingStatus?: CycleStatus;
  /** Attempt number of a re-run after a release (2 or more); absent for the first attempt. */
  attempt?: number;
}

/** The last write of a cycle. */
export interface CycleFinish {
  cycleId: string;
  status: Exclude<CycleStatus, "running" | "incomplete" | "released">;
  abortReason: AbortReason | null;
  decision: Decision | null;
  /** Mark-to-market equity in the quote currency, when it was computed. */
  equity: number | null;
  /** The validated `ai_audit_payload`. */
  payload: unknown;
  blackboxPath: string | null;
  /** Reason the blackbox upload failed; null when it succeeded. */
  blackboxError: string | null;
  finishedAt: number;
}

/**
 * Kill switch mode, from the weakest to the strictest:
 * `stop-entries` lets cycles run but skips every BUY, `halt` aborts every
 * cycle with KILL_SWITCH, and `flatten` is a halt after the PAPER positions
 * were sold.
 */
export type HaltMode = "stop-entries" | "halt" | "flatten";

/** The kill switch as stored in the database. */
export interface SystemState {
  halted: boolean;
  haltedBy: string | null;
  haltReason: string | null;
  haltedAt: number | null;
  /** The mode while halted. Null or absent while halted counts as `halt`. */
  haltMode?: HaltMode | null;
}

/** A simulated fill, written together with the balance change it causes. */
export interface PaperFill {
  cycleId: string;
  market: string;
  side: Side;
  base: string;
  quote: string;
  /** Base amount filled. */
  amount: number;
  /** Fill price in the quote currency. */
  price: number;
  /** amount × price, before the fee. */
  cost: number;
  /** Fee in the quote currency. */
  fee: number;
  clientOrderId: string;
  filledAt: number;
}

/** Balances by asset code (`USD`, `BTC`). */
export type Balances = Record<string, number>;

/**
 * The cycle's persistent records. Implementations run the same SQL against
 * Supabase Postgres and the embedded database.
 */
export interface Journal {
  /** Inserts the cycle row; of concurrent claims of one cycle id exactly one wins. */
  claimCycle(claim: CycleClaim): Promise<ClaimResult>;
  readSystemState(): Promise<SystemState>;
  /**
   * Reads the paper balances, first seeding them with `initial` when the
   * paper account has never been used.
   */
  readPaperBalances(initial: Balances): Promise<Balances>;
  /**
   * Records a paper fill and moves the balances in one transaction. Throws
   * when a balance would go negative, leaving everything unchanged.
   */
  recordPaperFill(fill: PaperFill): Promise<Balances>;
  /** Equity recorded by the latest earlier cycle of `market`, or null. */
  lastEquity(market: string, beforeSlot: number): Promise<number | null>;
  finishCycle(finish: CycleFinish): Promise<void>;
  close(): Promise<void>;
}
