/**
 * The Journal on a SqlClient. All writes go through the `titan_*` SQL
 * functions of `supabase/migrations`, so Postgres and PGlite enforce the same
 * rules in the same statements.
 *
 * @module
 */
import { CycleStateError, InsufficientPaperBalanceError } from "./errors.ts";
import type {
  Balances,
  ClaimResult,
  CycleClaim,
  CycleFinish,
  CycleStatus,
  HaltMode,
  Journal,
  PaperFill,
  SystemState,
} from "./journal.ts";
import { type SqlClient, SqlError } from "./sql-client.ts";

const CYCLE_STATUSES: readonly CycleStatus[] = [
  "running",
  "completed",
  "aborted",
  "skipped",
  "crashed",
  "incomplete",
  "released",
];

/** SQLSTATEs raised by the `titan_*` functions. */
const CHECK_VIOLATION = "23514";
const NO_DATA_FOUND = "P0002";
const NOT_IN_PREREQUISITE_STATE = "55000";

interface ClaimRow {
  claimed: boolean;
  existing_status: string | null;
  attempt: number | null;
}

interface SystemStateRow {
  halted: boolean;
  halted_by: string | null;
  halt_reason: string | null;
  halted_at: Date | null;
  halt_mode: string | null;
}

interface BalanceRow {
  asset: string;
  amount: string;
}

export class SqlJournal implements Journal {
  constructor(private readonly client: SqlClient) {}

  async claimCycle(claim: CycleClaim): Promise<ClaimResult> {
    const rows = await this.client.query<ClaimRow>(
      "select claimed, existing_status, attempt from public.titan_claim_cycle(" +
        "$1, $2, $3::timestamptz, $4, $5, $6, $7::timestamptz)",
      [
        claim.cycleId,
        claim.market,
        isoTime("slot", claim.slot),
        claim.mode,
        claim.invocationId,
        claim.invokedBy,
        isoTime("startedAt", claim.startedAt),
      ],
    );
    const row = rows[0];
    if (row === undefined) {
      throw new CycleStateError(
        `Claiming cycle ${claim.cycleId} failed: its row exists but could not be read. ` +
          "Retry the cycle.",
      );
    }
    // The attempt is reported only for a re-run, so a first claim reads as before.
    const rerun = row.attempt !== null && row.attempt > 1 ? { attempt: row.attempt } : {};
    if (row.claimed) return { claimed: true, ...rerun };
    return {
      claimed: false,
      existingStatus: cycleStatus(claim.cycleId, row.existing_status),
      ...rerun,
    };
  }

  async readSystemState(): Promise<SystemState> {
    const rows = await this.client.query<SystemStateRow>(
      "select halted, halted_by, halt_reason, halted_at, halt_mode " +
        "from public.system_state where id = 1",
    );
    const row = rows[0];
    if (row === undefined) {
      throw new CycleStateError(
        "Reading the kill switch failed: public.system_state has no row with id = 1. " +
          "Insert it with: insert into public.system_state (id, halted) values (1, false).",
      );
    }
    return {
      halted: row.halted,
      haltedBy: row.halted_by,
      haltReason: row.halt_reason,
      haltedAt: row.halted_at === null ? null : row.halted_at.getTime(),
      haltMode: haltMode(row.halt_mode),
    };
  }

  readPaperBalances(initial: Balances): Promise<Balances> {
    for (const [asset, amount] of Object.entries(initial)) {
      if (!Number.isFinite(amount) || amount < 0) {
        throw new RangeError(
          `Seeding the paper balances failed: ${asset} must be a finite amount >= 0, ` +
            `got ${amount}.`,
        );
      }
    }
    return this.client.transaction(async (tx) => {
      await tx.query("select public.titan_paper_seed($1::text::jsonb)", [JSON.stringify(initial)]);
      const rows = await tx.query<BalanceRow>(
        "select asset, amount from public.paper_balances order by asset",
      );
      return toBalances(rows);
    });
  }

  async recordPaperFill(fill: PaperFill): Promise<Balances> {
    for (const key of ["amount", "price", "cost", "fee"] as const) {
      if (!Number.isFinite(fill[key])) {
        throw new RangeError(
          `Recording paper fill ${fill.clientOrderId} failed: ${key} must be a finite number, ` +
            `got ${fill[key]}.`,
        );
      }
    }
    try {
      const rows = await this.client.query<BalanceRow>(
        "select asset, amount from public.titan_paper_fill(" +
          "$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::timestamptz)",
        [
          fill.cycleId,
          fill.market,
          fill.side,
          fill.base,
          fill.quote,
          fill.amount,
          fill.price,
          fill.cost,
          fill.fee,
          fill.clientOrderId,
          isoTime("filledAt", fill.filledAt),
        ],
      );
      return toBalances(rows);
    } catch (error) {
      throw classify(error);
    }
  }

  async lastEquity(market: string, beforeSlot: number): Promise<number | null> {
    const rows = await this.client.query<{ equity: string }>(
      "select equity from public.execution_logs " +
        "where market = $1 and slot < $2::timestamptz and equity is not null " +
        "order by slot desc limit 1",
      [market, isoTime("beforeSlot", beforeSlot)],
    );
    const row = rows[0];
    return row === undefined ? null : Number(row.equity);
  }

  async finishCycle(finish: CycleFinish): Promise<void> {
    if (finish.equity !== null && !Number.isFinite(finish.equity)) {
      throw new RangeError(
        `Finishing cycle ${finish.cycleId} failed: equity must be a finite number or null, ` +
          `got ${finish.equity}.`,
      );
    }
    try {
      await this.client.query(
        "select public.titan_finish_cycle(" +
          "$1, $2, $3, $4, $5, $6::text::jsonb, $7, $8, $9::timestamptz)",
        [
          finish.cycleId,
          finish.status,
          finish.abortReason,
          finish.decision,
          finish.equity,
          payloadJson(finish),
          finish.blackboxPath,
          finish.blackboxError,
          isoTime("finishedAt", finish.finishedAt),
        ],
      );
    } catch (error) {
      throw classify(error);
    }
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

/** Wraps the rule violations of the `titan_*` functions in the journal's error classes. */
function classify(error: unknown): unknown {
  if (!(error instanceof SqlError)) return error;
  if (error.code === CHECK_VIOLATION && error.constraint === undefined) {
    return new InsufficientPaperBalanceError(error.message, { cause: error });
  }
  if (error.code === NO_DATA_FOUND || error.code === NOT_IN_PREREQUISITE_STATE) {
    return new CycleStateError(error.message, { cause: error });
  }
  return error;
}

function payloadJson(finish: CycleFinish): string {
  const text = JSON.stringify(finish.payload);
  if (text === undefined) {
    throw new TypeError(
      `Finishing cycle ${finish.cycleId} failed: payload must be JSON-serializable, got ` +
        `${typeof finish.payload}.`,
    );
  }
  return text;
}

function toBalances(rows: readonly BalanceRow[]): Balances {
  const balances: Balances = {};
  for (const row of rows) balances[row.asset] = Number(row.amount);
  return balances;
}

function cycleStatus(cycleId: string, value: string | null): CycleStatus {
  const status = CYCLE_STATUSES.find((s) => s === value);
  if (status === undefined) {
    throw new CycleStateError(
      `Claiming cycle ${cycleId} failed: unknown existing status ${value}.`,
    );
  }
  return status;
}

/** Converts ms since the epoch to the ISO text that the SQL casts to timestamptz. */
function isoTime(field: string, ms: number): string {
  if (!Number.isFinite(ms)) {
    throw new RangeError(`${field} must be a finite time in ms since the epoch, got ${ms}.`);
  }
  return new Date(ms).toISOString();
}

/** Reads a stored halt mode. An unknown value counts as a full halt, the safe reading. */
function haltMode(value: string | null): HaltMode | null {
  if (value === null) return null;
  return value === "stop-entries" || value === "flatten" ? value : "halt";
}
