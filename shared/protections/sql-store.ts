/**
 * The ProtectionStore on a SqlClient. Writes go through the `titan_*`
 * functions of the protections and mode override migrations, so Postgres and
 * PGlite apply the same rules.
 *
 * @module
 */
import type { TradingMode } from "../journal/journal.ts";
import type { SqlClient } from "../journal/sql-client.ts";
import type {
  CycleOutcome,
  EquityBaseline,
  HaltAction,
  MarketExit,
  MarketHalt,
  ModeChange,
  ModeOverride,
  ProtectionStore,
} from "./store.ts";

interface HaltRow {
  market: string;
  reason: string;
  message: string;
  details: Record<string, unknown> | null;
  halted_by: string;
  halted_at: Date;
  cycle_id: string | null;
}

interface BaselineRow {
  day: string;
  day_start_equity: string;
  peak_equity: string;
  peak_at: Date;
}

interface ExitRow {
  exited_at: Date;
  proceeds: string;
  sold: string;
  entry_cost: string | null;
  entry_amount: string | null;
}

/**
 * The latest filled sell of a market, with the buys since the sell before
 * it. Fees in another currency than the quote are converted at the order's
 * price, which is exact for a fee charged in the base currency.
 */
const LAST_EXIT_SQL = `
with filled as (
  select o.id, o.side, o.created_at, o.updated_at, o.filled_amount, o.cost,
    case when o.fee_currency is null or o.fee_currency = $2 then o.fee
      else o.fee * coalesce(o.price, 0) end as fee_quote
  from public.orders o
  where o.market = $1 and o.filled_amount > 0
),
last_sell as (
  select * from filled where side = 'sell' order by created_at desc, id desc limit 1
),
previous_sell as (
  select max(f.created_at) as at from filled f, last_sell s
  where f.side = 'sell' and f.created_at < s.created_at
)
select s.updated_at as exited_at, s.cost - s.fee_quote as proceeds, s.filled_amount as sold,
  sum(b.cost + b.fee_quote) as entry_cost, sum(b.filled_amount) as entry_amount
from last_sell s
cross join previous_sell p
left join filled b on b.side = 'buy' and b.created_at <= s.created_at
  and (p.at is null or b.created_at > p.at)
group by s.updated_at, s.cost, s.fee_quote, s.filled_amount`;

export class SqlProtectionStore implements ProtectionStore {
  constructor(private readonly client: SqlClient) {}

  async readHalt(market: string): Promise<MarketHalt | null> {
    const rows = await this.client.query<HaltRow>(
      "select market, reason, message, details, halted_by, halted_at, cycle_id " +
        "from public.market_halts where market = $1 and halted",
      [market],
    );
    const row = rows[0];
    if (row === undefined) return null;
    return {
      market: row.market,
      reason: row.reason,
      message: row.message,
      details: row.details ?? {},
      haltedBy: row.halted_by,
      haltedAt: row.halted_at.getTime(),
      cycleId: row.cycle_id,
    };
  }

  async haltMarket(halt: MarketHalt): Promise<HaltAction> {
    const rows = await this.client.query<{ action: HaltAction }>(
      "select action from public.titan_halt_market(" +
        "$1, $2, $3, $4, $5::text::jsonb, $6, $7::timestamptz)",
      [
        halt.market,
        halt.haltedBy,
        halt.reason,
        halt.message,
        JSON.stringify(halt.details),
        halt.cycleId,
        iso(halt.haltedAt),
      ],
    );
    return rows[0]?.action ?? "halted";
  }

  async trackEquity(market: string, day: string, equity: number, at: number) {
    if (!Number.isFinite(equity)) {
      throw new RangeError(
        `Tracking the equity of ${market} failed: equity must be a finite number, got ${equity}.`,
      );
    }
    const rows = await this.client.query<BaselineRow>(
      "select day, day_start_equity, peak_equity, peak_at " +
        "from public.titan_track_equity($1, $2::date, $3, $4::timestamptz)",
      [market, day, equity, iso(at)],
    );
    const row = rows[0];
    if (row === undefined) {
      throw new Error(`Tracking the equity of ${market} failed: titan_track_equity returned no row.`);
    }
    return toBaseline(row);
  }

  async lastExit(market: string, quote: string): Promise<MarketExit | null> {
    const rows = await this.client.query<ExitRow>(LAST_EXIT_SQL, [market, quote]);
    const row = rows[0];
    if (row === undefined) return null;
    const exitedAt = row.exited_at.getTime();
    if (row.entry_cost === null || row.entry_amount === null || Number(row.entry_amount) <= 0) {
      return { exitedAt, pnl: null };
    }
    const share = Math.min(1, Number(row.sold) / Number(row.entry_amount));
    return { exitedAt, pnl: Number(row.proceeds) - Number(row.entry_cost) * share };
  }

  async readModeOverride(market: string): Promise<ModeOverride | null> {
    const rows = await this.client.query<
      { market: string; set_by: string; reason: string; set_at: Date }
    >(
      "select market, set_by, reason, set_at from public.market_mode_overrides where market = $1",
      [market],
    );
    const row = rows[0];
    if (row === undefined) return null;
    return {
      market: row.market,
      mode: "PAPER",
      setBy: row.set_by,
      reason: row.reason,
      setAt: row.set_at.getTime(),
    };
  }

  async forcePaper(change: ModeChange): Promise<boolean> {
    const rows = await this.client.query<{ changed: boolean }>(
      "select changed from public.titan_force_paper(" +
        "$1, $2, $3, $4::text::jsonb, $5, $6::timestamptz)",
      [
        change.market,
        change.by,
        change.reason,
        JSON.stringify(change.details),
        change.cycleId,
        iso(change.at),
      ],
    );
    return rows[0]?.changed ?? false;
  }

  async recentOutcomes(market: string, beforeSlot: number, limit: number) {
    const rows = await this.client.query<
      { cycle_id: string; mode: TradingMode; status: string; abort_reason: string | null }
    >(
      "select cycle_id, mode, status, abort_reason from public.execution_logs " +
        "where market = $1 and slot < $2::timestamptz and status <> 'running' " +
        "order by slot desc, started_at desc limit $3",
      [market, iso(beforeSlot), limit],
    );
    return rows.map((row): CycleOutcome => ({
      cycleId: row.cycle_id,
      mode: row.mode,
      status: row.status,
      abortReason: row.abort_reason,
    }));
  }
}

function toBaseline(row: BaselineRow): EquityBaseline {
  return {
    day: row.day,
    dayStartEquity: Number(row.day_start_equity),
    peakEquity: Number(row.peak_equity),
    peakAt: row.peak_at.getTime(),
  };
}

function iso(ms: number): string {
  if (!Number.isFinite(ms)) throw new RangeError(`Expected a time in ms since the epoch, got ${ms}.`);
  return new Date(ms).toISOString();
}
