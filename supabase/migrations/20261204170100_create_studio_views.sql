-- Creates the views an operator opens first in Supabase Studio: recent
-- cycles, abort streaks, stuck cycles, equity over time and recent dispatches.
-- Every view runs with the caller's rights (security_invoker), so the row
-- level security of the tables below applies to whoever queries it. Like the
-- tables, the views are revoked from anon and authenticated.

-- titan_http_responses returns pg_net's stored response for each request in
-- cycle_dispatches, and no rows where pg_net is not installed.
-- net._http_response is read through dynamic SQL, so recent_dispatches can be
-- created before pg_net is enabled and shows responses as soon as it is.
create function public.titan_http_responses()
returns table (
  id bigint,
  status_code integer,
  timed_out boolean,
  error_msg text,
  content text,
  created timestamptz
)
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  if to_regclass('net._http_response') is null then
    return;
  end if;
  return query execute
    'select r.id::bigint, r.status_code::integer, r.timed_out::boolean, r.error_msg::text, '
    '  r.content::text, r.created::timestamptz '
    'from net._http_response r '
    'where r.id in (select d.request_id from public.cycle_dispatches d)';
end;
$$;

comment on function public.titan_http_responses() is
  'Returns the pg_net response (net._http_response) of each request in cycle_dispatches, or no '
  'rows when pg_net is not installed. pg_net itself deletes responses after its TTL (pg_net.ttl).';

create view public.recent_cycles with (security_invoker = true) as
select
  e.cycle_id,
  e.market,
  e.slot,
  e.mode,
  e.status,
  e.abort_reason,
  case e.status
    when 'aborted' then e.ai_audit_payload #>> '{abort,message}'
    when 'crashed' then e.ai_audit_payload #>> '{crash,message}'
    else e.ai_audit_payload #>> '{verdict,reason}'
  end as reason,
  e.decision,
  e.equity,
  e.started_at,
  e.finished_at,
  e.finished_at - e.started_at as duration,
  e.invoked_by,
  e.blackbox_path,
  e.blackbox_error
from public.execution_logs e
order by e.slot desc, e.market;

comment on view public.recent_cycles is
  'Every cycle, newest slot first, with its status and the reason behind it.';
comment on column public.recent_cycles.reason is
  'The abort message for an aborted cycle, the crash message for a crashed one, else the '
  'strategy''s reason for its decision (from ai_audit_payload).';

create view public.abort_streaks with (security_invoker = true) as
with finished as (
  select
    e.market,
    e.slot,
    e.started_at,
    e.status,
    e.abort_reason,
    e.ai_audit_payload #>> '{abort,message}' as abort_message,
    count(*) filter (where e.status <> 'aborted') over (
      partition by e.market
      order by e.slot desc, e.started_at desc
      rows between unbounded preceding and current row
    ) as newer_other_count
  from public.execution_logs e
  where e.status <> 'running'
),
streak as (
  select
    f.market,
    count(*) as aborts,
    min(f.slot) as first_slot,
    max(f.slot) as latest_slot,
    (array_agg(f.abort_reason order by f.slot desc, f.started_at desc))[1] as latest_reason,
    (array_agg(f.abort_message order by f.slot desc, f.started_at desc))[1] as latest_message,
    array_agg(distinct f.abort_reason order by f.abort_reason) as reasons
  from finished f
  where f.newer_other_count = 0
  group by f.market
)
select
  s.market,
  s.aborts,
  s.first_slot,
  s.latest_slot,
  s.latest_reason,
  s.latest_message,
  s.reasons,
  previous.slot as previous_slot,
  previous.status as previous_status
from streak s
left join lateral (
  select p.slot, p.status
  from public.execution_logs p
  where p.market = s.market and p.status not in ('aborted', 'running')
  order by p.slot desc, p.started_at desc
  limit 1
) previous on true
order by s.aborts desc, s.market;

comment on view public.abort_streaks is
  'Markets whose latest finished cycles aborted: the run of consecutive aborts up to the newest '
  'finished cycle, with their reasons. A market whose latest finished cycle did not abort has '
  'no row. Running cycles are left out.';
comment on column public.abort_streaks.aborts is 'Number of consecutive aborted cycles.';
comment on column public.abort_streaks.reasons is 'Distinct abort reasons in the streak, sorted.';
comment on column public.abort_streaks.previous_slot is
  'Slot of the newest finished cycle before the streak that did not abort; null when every '
  'finished cycle of the market aborted.';

create view public.stuck_cycles with (security_invoker = true) as
select
  e.cycle_id,
  e.market,
  e.slot,
  e.mode,
  e.started_at,
  now() - e.started_at as running_for,
  e.invocation_id,
  e.invoked_by
from public.execution_logs e
where e.status = 'running'
  and e.started_at < now() - coalesce(
    (select s.stuck_after from public.scheduler_settings s where s.id = 1),
    interval '5 minutes'
  )
order by e.started_at;

comment on view public.stuck_cycles is
  'Cycles still running after scheduler_settings.stuck_after (default 5 minutes, well past the '
  'cycle deadline): the function stopped midway and never wrote a verdict.';

create view public.equity_history with (security_invoker = true) as
select
  e.market,
  e.mode,
  e.slot,
  e.equity,
  e.ai_audit_payload #>> '{financials,quote_currency}' as currency,
  e.equity - lag(e.equity) over (
    partition by e.market, e.mode order by e.slot, e.started_at
  ) as change,
  e.status,
  e.cycle_id
from public.execution_logs e
where e.equity is not null
order by e.market, e.mode, e.slot;

comment on view public.equity_history is
  'Mark-to-market equity per market and mode at each cycle that recorded one, oldest first.';
comment on column public.equity_history.change is
  'Equity minus that of the previous cycle of the same market and mode; null for the first.';

create view public.recent_dispatches with (security_invoker = true) as
select
  d.id as dispatch_id,
  d.market,
  d.slot,
  d.dispatched_at,
  d.request_id,
  case
    when r.id is null then 'no_response'
    when r.timed_out then 'timed_out'
    when r.error_msg is not null then 'request_failed'
    when r.status_code between 200 and 299 then 'succeeded'
    else 'http_error'
  end as outcome,
  r.status_code,
  r.timed_out,
  r.error_msg,
  left(r.content, 500) as response,
  r.created as responded_at,
  cycle.cycle_id,
  cycle.status as cycle_status,
  cycle.abort_reason
from public.cycle_dispatches d
left join public.titan_http_responses() r on r.id = d.request_id
left join lateral (
  select e.cycle_id, e.status, e.abort_reason
  from public.execution_logs e
  where e.market = d.market and e.slot = d.slot
  order by e.started_at desc
  limit 1
) cycle on true
order by d.dispatched_at desc, d.market;

comment on view public.recent_dispatches is
  'Each run-cycle request the schedule queued, newest first, with its HTTP outcome from pg_net '
  'and the cycle it started. cron.job_run_details reports success even when the function '
  'failed; this view shows the function''s answer.';
comment on column public.recent_dispatches.outcome is
  'no_response (not answered yet, pg_net missing, or the response expired after pg_net.ttl), '
  'timed_out, request_failed (error_msg), succeeded (2xx) or http_error.';
comment on column public.recent_dispatches.response is 'First 500 characters of the response body.';
comment on column public.recent_dispatches.cycle_id is
  'The execution_logs row of the same market and slot; null when the function never claimed it.';

revoke all on public.recent_cycles, public.abort_streaks, public.stuck_cycles,
  public.equity_history, public.recent_dispatches
  from anon, authenticated, public;
revoke all on function public.titan_http_responses() from anon, authenticated, public;

grant select on public.recent_cycles, public.abort_streaks, public.stuck_cycles,
  public.equity_history, public.recent_dispatches
  to service_role;
grant execute on function public.titan_http_responses() to service_role;
