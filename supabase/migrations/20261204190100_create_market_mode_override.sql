-- Creates the per-market mode override: a market listed in
-- market_mode_overrides runs PAPER even when SYSTEM_MODE is LIVE. The cycle
-- adds a market here by itself after a LIVE abort streak longer than its
-- maxAbortStreak (titan_force_paper); only an operator takes it out again
-- (titan_enable_live). market_mode_changes keeps every change with who and why.

create table public.market_mode_overrides (
  market text primary key,
  mode text not null default 'PAPER',
  set_by text not null,
  reason text not null,
  details jsonb not null default '{}'::jsonb,
  cycle_id text,
  set_at timestamptz not null,
  constraint market_mode_overrides_market_check
    check (market ~ '^[A-Z0-9]{2,10}/[A-Z0-9]{2,10}$'),
  constraint market_mode_overrides_mode_check check (mode = 'PAPER'),
  constraint market_mode_overrides_set_by_check check (btrim(set_by) <> ''),
  constraint market_mode_overrides_reason_check check (btrim(reason) <> '')
);

comment on table public.market_mode_overrides is
  'Markets forced to PAPER while SYSTEM_MODE is LIVE. The cycle of a listed market runs PAPER '
  'until titan_enable_live removes the row.';
comment on column public.market_mode_overrides.details is
  'The values behind the switch, e.g. the abort streak''s length, limit and reasons.';

create table public.market_mode_changes (
  id bigserial primary key,
  occurred_at timestamptz not null default now(),
  market text not null,
  action text not null,
  from_mode text,
  to_mode text,
  actor text not null,
  reason text not null,
  details jsonb,
  cycle_id text,
  constraint market_mode_changes_action_check
    check (action in ('forced_paper', 'already_paper', 'enabled_live', 'not_overridden')),
  constraint market_mode_changes_actor_check check (btrim(actor) <> ''),
  constraint market_mode_changes_reason_check check (btrim(reason) <> '')
);

comment on table public.market_mode_changes is
  'Every call of titan_force_paper and titan_enable_live: the market, what changed, who and why.';
comment on column public.market_mode_changes.action is
  'forced_paper, already_paper (nothing changed), enabled_live, or not_overridden (an enable '
  'call that found no override).';

create index market_mode_changes_market_idx on public.market_mode_changes (market, occurred_at);

-- titan_force_paper makes one market run PAPER and returns changed = true,
-- or false when an override was already in force (which is then kept).
-- Guarantee: concurrent calls for one market give one override row, and every
-- call leaves one market_mode_changes row. Blank p_by or p_reason raises
-- invalid_parameter_value (22023).
create function public.titan_force_paper(
  p_market text,
  p_by text,
  p_reason text,
  p_details jsonb,
  p_cycle_id text,
  p_at timestamptz
)
returns table (changed boolean)
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_changed boolean;
begin
  if p_by is null or btrim(p_by) = '' or p_reason is null or btrim(p_reason) = '' then
    raise exception using
      errcode = 'invalid_parameter_value',
      message = 'titan_force_paper: who (p_by) and why (p_reason) are required and must not be blank';
  end if;

  insert into public.market_mode_overrides (market, set_by, reason, details, cycle_id, set_at)
  values (p_market, p_by, p_reason, coalesce(p_details, '{}'::jsonb), p_cycle_id,
    coalesce(p_at, now()))
  on conflict (market) do nothing;
  v_changed := found;

  insert into public.market_mode_changes
    (market, action, from_mode, to_mode, actor, reason, details, cycle_id)
  values (
    p_market, case when v_changed then 'forced_paper' else 'already_paper' end,
    case when v_changed then 'LIVE' end, 'PAPER', p_by, p_reason, p_details, p_cycle_id
  );

  return query select v_changed;
end;
$$;

comment on function public.titan_force_paper(text, text, text, jsonb, text, timestamptz) is
  'Forces one market to PAPER (the cycle calls it after a LIVE abort streak) and records the '
  'change in market_mode_changes.';

-- titan_enable_live removes the PAPER override of one market, so its next
-- cycle runs in SYSTEM_MODE again, and returns whether there was one. An
-- operator runs it from Studio, for example
--   select * from titan_enable_live('BTC/USD', 'alice', 'exchange outage over');
-- Guarantee: p_by and p_reason are required (blank raises
-- invalid_parameter_value), and the call leaves one market_mode_changes row.
create function public.titan_enable_live(p_market text, p_by text, p_reason text)
returns table (was_overridden boolean)
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_deleted boolean;
begin
  if p_by is null or btrim(p_by) = '' or p_reason is null or btrim(p_reason) = '' then
    raise exception using
      errcode = 'invalid_parameter_value',
      message = 'titan_enable_live: who (p_by) and why (p_reason) are required and must not be blank';
  end if;

  delete from public.market_mode_overrides o where o.market = p_market;
  v_deleted := found;

  insert into public.market_mode_changes (market, action, from_mode, to_mode, actor, reason)
  values (
    p_market, case when v_deleted then 'enabled_live' else 'not_overridden' end,
    case when v_deleted then 'PAPER' end, case when v_deleted then 'LIVE' end, p_by, p_reason
  );

  return query select v_deleted;
end;
$$;

comment on function public.titan_enable_live(text, text, text) is
  'Removes the PAPER override of one market (who and why are required) and records it in '
  'market_mode_changes.';

alter table public.market_mode_overrides enable row level security;
alter table public.market_mode_changes enable row level security;

revoke all on public.market_mode_overrides, public.market_mode_changes
  from anon, authenticated, public;
revoke all on sequence public.market_mode_changes_id_seq from anon, authenticated, public;
revoke all on function
  public.titan_force_paper(text, text, text, jsonb, text, timestamptz),
  public.titan_enable_live(text, text, text)
  from anon, authenticated, public;

grant all on public.market_mode_overrides, public.market_mode_changes to service_role;
grant all on sequence public.market_mode_changes_id_seq to service_role;
grant execute on function
  public.titan_force_paper(text, text, text, jsonb, text, timestamptz),
  public.titan_enable_live(text, text, text)
  to service_role;
