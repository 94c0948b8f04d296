-- Creates the alert rate limit: one alert_rate_limits row per (kind, market)
-- holds when the last alert was sent and how many were dropped since. The
-- state lives here rather than in memory because every Edge Function
-- isolate, and every concurrent cycle, must see the same limit.

create table public.alert_rate_limits (
  kind text not null,
  market text not null,
  last_sent_at timestamptz not null,
  suppressed integer not null default 0,
  last_suppressed_at timestamptz,
  primary key (kind, market),
  constraint alert_rate_limits_kind_check check (kind in (
    'trade', 'halt', 'crash', 'abort_streak', 'mode_change', 'orphaned_order'
  )),
  constraint alert_rate_limits_suppressed_check check (suppressed >= 0)
);

comment on table public.alert_rate_limits is
  'Alert rate limit state per kind and market: when the last alert was sent and how many were '
  'dropped since. An empty market means an alert about the whole system.';
comment on column public.alert_rate_limits.suppressed is
  'Alerts dropped since last_sent_at; the next alert sent reports this count and resets it.';

-- titan_alert_gate decides whether one alert of p_kind for p_market may be
-- sent at p_at. It may when no alert of that kind and market was sent in the
-- p_window_ms before p_at (or the last one lies in the future of p_at, as in a
-- replay of older slots); send is then true, suppressed is the count dropped
-- since the previous alert, and the row restarts at p_at with a count of 0.
-- Otherwise send is false and suppressed is the new count, this alert included.
-- A window of 0 always sends and writes nothing.
-- Guarantee: concurrent calls for one kind and market are serialized on the
-- row, so of several alerts inside one window exactly one is sent.
create function public.titan_alert_gate(
  p_kind text,
  p_market text,
  p_window_ms integer,
  p_at timestamptz
)
returns table (send boolean, suppressed integer)
language plpgsql
security invoker
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_row public.alert_rate_limits%rowtype;
begin
  if p_window_ms is null or p_window_ms < 0 or p_at is null then
    raise exception using
      errcode = 'invalid_parameter_value',
      message = format(
        'titan_alert_gate: window must be 0 or more ms and the time must be set, got %s ms',
        coalesce(p_window_ms::text, 'null')
      );
  end if;
  if p_window_ms = 0 then
    return query select true, 0;
    return;
  end if;

  insert into public.alert_rate_limits (kind, market, last_sent_at, suppressed)
  values (p_kind, coalesce(p_market, ''), p_at, 0)
  on conflict (kind, market) do nothing;
  if found then
    return query select true, 0;
    return;
  end if;

  select * into v_row from public.alert_rate_limits r
  where r.kind = p_kind and r.market = coalesce(p_market, '')
  for update;

  if v_row.last_sent_at > p_at
    or p_at - v_row.last_sent_at >= make_interval(secs => p_window_ms / 1000.0) then
    update public.alert_rate_limits r set last_sent_at = p_at, suppressed = 0
    where r.kind = p_kind and r.market = v_row.market;
    return query select true, v_row.suppressed;
    return;
  end if;

  update public.alert_rate_limits r
  set suppressed = r.suppressed + 1, last_suppressed_at = p_at
  where r.kind = p_kind and r.market = v_row.market;
  return query select false, v_row.suppressed + 1;
end;
$$;

comment on function public.titan_alert_gate(text, text, integer, timestamptz) is
  'Rate limit of alerts: returns whether an alert of a kind and market may be sent now and how '
  'many were dropped since the last one; at most one is sent per window.';

alter table public.alert_rate_limits enable row level security;

revoke all on public.alert_rate_limits from anon, authenticated, public;
revoke all on function public.titan_alert_gate(text, text, integer, timestamptz)
  from anon, authenticated, public;

grant all on public.alert_rate_limits to service_role;
grant execute on function public.titan_alert_gate(text, text, integer, timestamptz)
  to service_role;
