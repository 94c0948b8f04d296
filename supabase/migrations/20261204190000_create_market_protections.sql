-- Creates the per-market protections: market_halts (one row per market that
-- was ever halted), market_halt_events (every halt and re-arm with who and
-- why), protection_baselines (the equity behind the daily loss and drawdown
-- limits), the functions that halt and re-arm a market, and the abort
-- reason MARKET_HALTED. While a market is halted every cycle of it aborts
-- MARKET_HALTED before it calls the exchange; only titan_rearm_market, run by
-- an operator, lets it trade again.

-- The abort_reason CHECK gains MARKET_HALTED and keeps every reason it already
-- lists, whichever migrations added them, so that migrations extending the
-- list in parallel do not undo each other.
do $$
declare
  v_reasons text[];
begin
  select array_agg(distinct m[1] order by m[1]) into v_reasons
  from pg_catalog.pg_constraint c,
    regexp_matches(pg_catalog.pg_get_constraintdef(c.oid), '''([A-Z_]+)''', 'g') m
  where c.conrelid = 'public.execution_logs'::regclass
    and c.conname = 'execution_logs_abort_reason_check';
  if 'MARKET_HALTED' = any(v_reasons) then
    return;
  end if;
  alter table public.execution_logs drop constraint execution_logs_abort_reason_check;
  execute format(
    'alter table public.execution_logs add constraint execution_logs_abort_reason_check '
    'check (abort_reason = any (%L::text[]))',
    array_append(v_reasons, 'MARKET_HALTED')
  );
end
$$;

create table public.market_halts (
  market text primary key,
  halted boolean not null default false,
  reason text,
  message text,
  details jsonb not null default '{}'::jsonb,
  halted_by text,
  halted_at timestamptz,
  cycle_id text,
  rearmed_by text,
  rearm_reason text,
  rearmed_at timestamptz,
  constraint market_halts_market_check check (market ~ '^[A-Z0-9]{2,10}/[A-Z0-9]{2,10}$'),
  constraint market_halts_reason_check check (reason ~ '^[A-Z][A-Z0-9_]*$'),
  constraint market_halts_halt_recorded check (
    not halted
    or (reason is not null and message is not null and halted_by is not null
      and halted_at is not null)
  )
);

comment on table public.market_halts is
  'Per-market halts. While halted is true every cycle of the market aborts MARKET_HALTED. '
  'A protection or the LIVE execution sets it; titan_rearm_market clears it.';
comment on column public.market_halts.reason is
  'Code of the rule that halted the market, e.g. MAX_DRAWDOWN, MAX_DAILY_LOSS, MAX_POSITION.';
comment on column public.market_halts.details is
  'The values behind the halt: the limit, the measured value and its baseline.';
comment on column public.market_halts.cycle_id is
  'The cycle that halted the market; null for a halt written from SQL.';

create table public.market_halt_events (
  id bigserial primary key,
  occurred_at timestamptz not null default now(),
  market text not null,
  action text not null,
  actor text not null,
  reason text not null,
  message text,
  details jsonb,
  cycle_id text,
  constraint market_halt_events_action_check
    check (action in ('halted', 'already_halted', 'rearmed', 'not_halted')),
  constraint market_halt_events_actor_check check (btrim(actor) <> ''),
  constraint market_halt_events_reason_check check (btrim(reason) <> '')
);

comment on table public.market_halt_events is
  'Every call of titan_halt_market and titan_rearm_market: the market, what happened, who '
  'and why.';
comment on column public.market_halt_events.reason is
  'The halt code for a halt, the operator''s words for a re-arm.';

create index market_halt_events_market_idx on public.market_halt_events (market, occurred_at);

create table public.protection_baselines (
  market text primary key,
  day date not null,
  day_start_equity numeric not null,
  peak_equity numeric not null,
  peak_at timestamptz not null,
  updated_at timestamptz not null
);

comment on table public.protection_baselines is
  'Equity baselines of the daily loss and drawdown limits, one row per market. '
  'titan_rearm_market deletes the row, so a re-armed market starts from its current equity.';
comment on column public.protection_baselines.day_start_equity is
  'Equity at the first cycle of the UTC day (or the first after a re-arm), in the quote currency.';
comment on column public.protection_baselines.peak_equity is
  'Highest equity since the row was created, in the quote currency.';

-- titan_halt_market halts one market and returns what it did: 'halted', or
-- 'already_halted' when a halt was in force, which is then kept unchanged so
-- the first cause stays on record.
-- Guarantee: concurrent calls for one market are serialized on its row, and
-- every call leaves one market_halt_events row. Blank p_by, p_reason or
-- p_message, or a reason that is not an upper-case code, raises
-- invalid_parameter_value (22023).
create function public.titan_halt_market(
  p_market text,
  p_by text,
  p_reason text,
  p_message text,
  p_details jsonb,
  p_cycle_id text,
  p_at timestamptz
)
returns table (action text, reason text, halted_at timestamptz)
language plpgsql
security invoker
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_action text;
begin
  if p_by is null or btrim(p_by) = '' or p_message is null or btrim(p_message) = '' then
    raise exception using
      errcode = 'invalid_parameter_value',
      message = 'titan_halt_market: who halts (p_by) and the message (p_message) are required';
  end if;
  if p_reason is null or p_reason !~ '^[A-Z][A-Z0-9_]*$' then
    raise exception using
      errcode = 'invalid_parameter_value',
      message = format(
        'titan_halt_market: reason must be an upper-case code like MAX_DRAWDOWN, got %s',
        coalesce(p_reason, 'null')
      );
  end if;

  insert into public.market_halts (market) values (p_market) on conflict (market) do nothing;
  perform from public.market_halts h where h.market = p_market for update;

  update public.market_halts h
  set halted = true, reason = p_reason, message = p_message,
    details = coalesce(p_details, '{}'::jsonb), halted_by = p_by,
    halted_at = coalesce(p_at, now()), cycle_id = p_cycle_id
  where h.market = p_market and not h.halted;
  v_action := case when found then 'halted' else 'already_halted' end;

  insert into public.market_halt_events (market, action, actor, reason, message, details, cycle_id)
  values (p_market, v_action, p_by, p_reason, p_message, p_details, p_cycle_id);

  return query
    select v_action, h.reason, h.halted_at from public.market_halts h where h.market = p_market;
end;
$$;

comment on function public.titan_halt_market(text, text, text, text, jsonb, text, timestamptz) is
  'Halts one market with a reason code, a message and the values behind it. An existing halt '
  'is kept; every call is recorded in market_halt_events.';

-- titan_rearm_market lets a halted market trade again and returns whether it
-- was halted, with the re-arm time (null when it was not). An operator runs
-- it from Studio, for example
--   select * from titan_rearm_market('BTC/USD', 'alice', 'loss reviewed, limits raised');
-- Guarantee: p_by and p_reason are required (blank raises
-- invalid_parameter_value), the call leaves one market_halt_events row, the
-- last halt's reason and values stay on the market_halts row, and the
-- market's protection_baselines row is deleted so the daily loss and
-- drawdown limits start again from the next cycle's equity.
create function public.titan_rearm_market(p_market text, p_by text, p_reason text)
returns table (was_halted boolean, rearmed_at timestamptz)
language plpgsql
security invoker
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_halted boolean;
begin
  if p_by is null or btrim(p_by) = '' or p_reason is null or btrim(p_reason) = '' then
    raise exception using
      errcode = 'invalid_parameter_value',
      message = 'titan_rearm_market: who re-arms (p_by) and why (p_reason) are required and '
        'must not be blank';
  end if;

  select h.halted into v_halted from public.market_halts h where h.market = p_market for update;
  v_halted := coalesce(v_halted, false);

  if v_halted then
    update public.market_halts h
    set halted = false, rearmed_by = p_by, rearm_reason = p_reason, rearmed_at = now()
    where h.market = p_market;
    delete from public.protection_baselines b where b.market = p_market;
  end if;

  insert into public.market_halt_events (market, action, actor, reason)
  values (p_market, case when v_halted then 'rearmed' else 'not_halted' end, p_by, p_reason);

  return query select v_halted, case when v_halted then now() end;
end;
$$;

comment on function public.titan_rearm_market(text, text, text) is
  'Re-arms one halted market (who and why are required), records it in market_halt_events and '
  'resets its equity baselines.';

-- titan_track_equity folds one cycle's mark-to-market equity into the
-- market's baselines and returns them. A later UTC day starts a new daily
-- baseline at p_equity; an earlier day (a replay of old slots) changes
-- neither the day nor its start. The peak only rises.
-- Guarantee: concurrent calls for one market are serialized on its row.
create function public.titan_track_equity(
  p_market text,
  p_day date,
  p_equity numeric,
  p_at timestamptz
)
returns table (day text, day_start_equity numeric, peak_equity numeric, peak_at timestamptz)
language plpgsql
security invoker
set search_path = ''
as $$
#variable_conflict use_column
begin
  if p_equity is null or p_day is null or p_at is null then
    raise exception using
      errcode = 'invalid_parameter_value',
      message = 'titan_track_equity: day, equity and time are required';
  end if;

  insert into public.protection_baselines as b
    (market, day, day_start_equity, peak_equity, peak_at, updated_at)
  values (p_market, p_day, p_equity, p_equity, p_at, p_at)
  on conflict (market) do update set
    day = greatest(b.day, excluded.day),
    day_start_equity = case
      when excluded.day > b.day then excluded.day_start_equity else b.day_start_equity end,
    peak_equity = greatest(b.peak_equity, excluded.peak_equity),
    peak_at = case when excluded.peak_equity > b.peak_equity then excluded.peak_at else b.peak_at end,
    updated_at = excluded.updated_at;

  return query
    select b.day::text, b.day_start_equity, b.peak_equity, b.peak_at
    from public.protection_baselines b where b.market = p_market;
end;
$$;

comment on function public.titan_track_equity(text, date, numeric, timestamptz) is
  'Folds a cycle''s equity into protection_baselines (day start, peak) and returns them.';

alter table public.market_halts enable row level security;
alter table public.market_halt_events enable row level security;
alter table public.protection_baselines enable row level security;

revoke all on public.market_halts, public.market_halt_events, public.protection_baselines
  from anon, authenticated, public;
revoke all on sequence public.market_halt_events_id_seq from anon, authenticated, public;
revoke all on function
  public.titan_halt_market(text, text, text, text, jsonb, text, timestamptz),
  public.titan_rearm_market(text, text, text),
  public.titan_track_equity(text, date, numeric, timestamptz)
  from anon, authenticated, public;

grant all on public.market_halts, public.market_halt_events, public.protection_baselines
  to service_role;
grant all on sequence public.market_halt_events_id_seq to service_role;
grant execute on function
  public.titan_halt_market(text, text, text, text, jsonb, text, timestamptz),
  public.titan_rearm_market(text, text, text),
  public.titan_track_equity(text, date, numeric, timestamptz)
  to service_role;
