-- Lets the bot and an operator deal with a cycle whose process died midway:
--   incomplete  a LIVE cycle marks a row of its market that is still running
--               past the cycle deadline (titan_mark_incomplete), then
--               reconciles that row's orders before it does anything new;
--   released    an operator releases a stuck or incomplete row for a re-run
--               (titan_release_cycle); the row's old values are kept in
--               execution_log_attempts.
-- titan_claim_cycle is re-created so that a claim takes over a released row,
-- as the next attempt, once no order of the earlier attempt is unresolved.

alter table public.execution_logs
  add column attempt integer not null default 1,
  add constraint execution_logs_attempt_check check (attempt >= 1);

comment on column public.execution_logs.attempt is
  'Attempt number of the cycle: 1, plus one for each re-run after titan_release_cycle.';

alter table public.execution_logs drop constraint execution_logs_status_check;
alter table public.execution_logs add constraint execution_logs_status_check
  check (status in (
    'running', 'completed', 'aborted', 'skipped', 'crashed', 'incomplete', 'released'
  ));

alter table public.execution_logs drop constraint execution_logs_finished_check;
alter table public.execution_logs add constraint execution_logs_finished_check check (
  (status = 'running' and finished_at is null)
  or (status in ('incomplete', 'released') and finished_at is not null)
  or (status not in ('running', 'incomplete', 'released') and finished_at is not null
    and ai_audit_payload is not null)
);

comment on column public.execution_logs.status is
  'running until the cycle ends, then completed, aborted (see abort_reason), skipped or '
  'crashed. incomplete: the process stopped midway and a later cycle found the row still '
  'running past the deadline. released: an operator released the row for a re-run.';

create table public.execution_log_attempts (
  id bigserial primary key,
  cycle_id text not null references public.execution_logs (cycle_id),
  attempt integer not null,
  status text not null,
  abort_reason text,
  decision text,
  equity numeric,
  ai_audit_payload jsonb,
  blackbox_path text,
  blackbox_error text,
  invocation_id text not null,
  invoked_by text not null,
  started_at timestamptz not null,
  finished_at timestamptz,
  released_by text not null,
  release_reason text not null,
  released_at timestamptz not null,
  constraint execution_log_attempts_cycle_attempt_key unique (cycle_id, attempt),
  constraint execution_log_attempts_released_by_check check (btrim(released_by) <> ''),
  constraint execution_log_attempts_release_reason_check check (btrim(release_reason) <> '')
);

comment on table public.execution_log_attempts is
  'Earlier attempts of released cycles: the execution_logs row as it was when an operator '
  'released it with titan_release_cycle, with who released it and why.';
comment on column public.execution_log_attempts.status is
  'Status of the attempt when it was released: running (stuck) or incomplete.';

create index execution_log_attempts_cycle_id_idx on public.execution_log_attempts (cycle_id);

-- titan_mark_incomplete marks the rows of p_market still running that started
-- before p_started_before as incomplete, finished at p_at, and returns them.
-- A LIVE cycle calls it with its start time minus the cycle deadline, so only
-- rows whose process can no longer be working are marked.
-- Guarantee: only running rows change; a row a live process is still
-- finishing then fails its titan_finish_cycle with
-- object_not_in_prerequisite_state, and titan_live_order_sent refuses to send
-- its order.
create function public.titan_mark_incomplete(
  p_market text,
  p_started_before timestamptz,
  p_at timestamptz
)
returns table (cycle_id text, attempt integer, started_at timestamptz, invocation_id text)
language sql
security invoker
set search_path = ''
as $$
  update public.execution_logs e
  set status = 'incomplete', finished_at = p_at
  where e.market = p_market and e.status = 'running' and e.started_at < p_started_before
  returning e.cycle_id, e.attempt, e.started_at, e.invocation_id;
$$;

comment on function public.titan_mark_incomplete(text, timestamptz, timestamptz) is
  'Marks the rows of a market still running that started before a cutoff as incomplete and '
  'returns them.';

-- titan_release_cycle releases one stuck row for a re-run and returns the
-- attempt it released, its status, and how many of its orders are still
-- unresolved (intent, sent, open, partially_filled or unknown). An operator
-- runs it from Studio, for example
--   select * from titan_release_cycle('BTCUSD-20240115T1215Z', 'alice', 'isolate killed');
-- A row can be released when it is incomplete, or running for longer than
-- scheduler_settings.stuck_after (the rows stuck_cycles lists).
-- Guarantee: the row's values are copied to execution_log_attempts before it
-- becomes released, so no history is lost. Blank p_by or p_reason raises
-- invalid_parameter_value (22023), an unknown cycle no_data_found (P0002), and
-- any other status object_not_in_prerequisite_state (55000).
create function public.titan_release_cycle(p_cycle_id text, p_by text, p_reason text)
returns table (
  cycle_id text,
  released_attempt integer,
  previous_status text,
  unresolved_orders integer
)
language plpgsql
security invoker
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_row public.execution_logs%rowtype;
  v_stuck_after interval;
  v_unresolved integer;
begin
  if p_by is null or btrim(p_by) = '' or p_reason is null or btrim(p_reason) = '' then
    raise exception using
      errcode = 'invalid_parameter_value',
      message = 'titan_release_cycle: who releases (p_by) and why (p_reason) are required and '
        'must not be blank';
  end if;

  select * into v_row from public.execution_logs e where e.cycle_id = p_cycle_id for update;
  if not found then
    raise exception using
      errcode = 'no_data_found',
      message = format('titan_release_cycle: cycle %s not found', p_cycle_id);
  end if;

  select coalesce((select s.stuck_after from public.scheduler_settings s where s.id = 1),
    interval '5 minutes') into v_stuck_after;
  if not (v_row.status = 'incomplete'
    or (v_row.status = 'running' and v_row.started_at < now() - v_stuck_after)) then
    raise exception using
      errcode = 'object_not_in_prerequisite_state',
      message = format(
        'titan_release_cycle: cycle %s is %s (started %s). Only an incomplete cycle, or one '
        'running for longer than scheduler_settings.stuck_after (%s), can be released.',
        p_cycle_id, v_row.status, v_row.started_at, v_stuck_after
      );
  end if;

  insert into public.execution_log_attempts (
    cycle_id, attempt, status, abort_reason, decision, equity, ai_audit_payload,
    blackbox_path, blackbox_error, invocation_id, invoked_by, started_at, finished_at,
    released_by, release_reason, released_at
  ) values (
    v_row.cycle_id, v_row.attempt, v_row.status, v_row.abort_reason, v_row.decision,
    v_row.equity, v_row.ai_audit_payload, v_row.blackbox_path, v_row.blackbox_error,
    v_row.invocation_id, v_row.invoked_by, v_row.started_at, v_row.finished_at,
    p_by, p_reason, now()
  );

  update public.execution_logs e
  set status = 'released', finished_at = coalesce(e.finished_at, now())
  where e.cycle_id = p_cycle_id;

  select count(*) into v_unresolved from public.orders o
  where o.cycle_id = p_cycle_id
    and o.status in ('intent', 'sent', 'open', 'partially_filled', 'unknown');

  return query select p_cycle_id, v_row.attempt, v_row.status, v_unresolved;
end;
$$;

comment on function public.titan_release_cycle(text, text, text) is
  'Releases an incomplete or stuck cycle for a re-run, copying the row to '
  'execution_log_attempts first, and returns how many of its orders are unresolved. The slot '
  'is claimed again only once none is.';

drop function public.titan_claim_cycle(text, text, timestamptz, text, text, text, timestamptz);

-- titan_claim_cycle inserts the running execution_logs row of a cycle, or takes
-- over a released row as its next attempt, and returns whether this call
-- claimed it, with the status of the row it found otherwise, and the attempt.
-- A released row is taken over only when none of its orders is unresolved
-- (intent, sent, open, partially_filled or unknown): until reconciliation
-- settles them, a claim returns claimed = false with status released.
-- Guarantee: of any number of calls with one cycle id, concurrent or not, at
-- most one claims each attempt. The others wait until the winner's
-- transaction ends and return claimed = false with the status they found.
create function public.titan_claim_cycle(
  p_cycle_id text,
  p_market text,
  p_slot timestamptz,
  p_mode text,
  p_invocation_id text,
  p_invoked_by text,
  p_started_at timestamptz
)
returns table (claimed boolean, existing_status text, attempt integer)
language plpgsql
security invoker
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_attempt integer;
begin
  insert into public.execution_logs
    (cycle_id, market, slot, mode, status, invocation_id, invoked_by, started_at)
  values
    (p_cycle_id, p_market, p_slot, p_mode, 'running', p_invocation_id, p_invoked_by, p_started_at)
  on conflict (cycle_id) do nothing;
  if found then
    return query select true, null::text, 1;
    return;
  end if;

  update public.execution_logs e
  set status = 'running', attempt = e.attempt + 1, mode = p_mode,
    invocation_id = p_invocation_id, invoked_by = p_invoked_by, started_at = p_started_at,
    finished_at = null, abort_reason = null, decision = null, equity = null,
    ai_audit_payload = null, blackbox_path = null, blackbox_error = null
  where e.cycle_id = p_cycle_id and e.status = 'released'
    and not exists (
      select from public.orders o
      where o.cycle_id = p_cycle_id
        and o.status in ('intent', 'sent', 'open', 'partially_filled', 'unknown')
    )
  returning e.attempt into v_attempt;
  if found then
    return query select true, null::text, v_attempt;
    return;
  end if;

  return query
    select false, e.status, e.attempt from public.execution_logs e where e.cycle_id = p_cycle_id;
end;
$$;

comment on function public.titan_claim_cycle(text, text, timestamptz, text, text, text, timestamptz) is
  'Inserts the running execution_logs row of a cycle, or takes over a released row with no '
  'unresolved order as its next attempt. Of concurrent calls with one cycle id at most one '
  'claims each attempt; the others return claimed = false with the status they found.';

create or replace view public.stuck_cycles with (security_invoker = true) as
select
  e.cycle_id,
  e.market,
  e.slot,
  e.mode,
  e.started_at,
  now() - e.started_at as running_for,
  e.invocation_id,
  e.invoked_by,
  e.status,
  e.attempt,
  (select count(*) from public.orders o
   where o.cycle_id = e.cycle_id
     and o.status in ('intent', 'sent', 'open', 'partially_filled', 'unknown')) as unresolved_orders
from public.execution_logs e
where (e.status = 'running'
    and e.started_at < now() - coalesce(
      (select s.stuck_after from public.scheduler_settings s where s.id = 1),
      interval '5 minutes'
    ))
  or e.status = 'incomplete'
order by e.started_at;

comment on view public.stuck_cycles is
  'Cycles that stopped midway: still running after scheduler_settings.stuck_after (default '
  '5 minutes, well past the cycle deadline), or marked incomplete by a later LIVE cycle. '
  'Release one for a re-run with titan_release_cycle.';
comment on column public.stuck_cycles.unresolved_orders is
  'Orders of the cycle still intent, sent, open, partially_filled or unknown.';

alter table public.execution_log_attempts enable row level security;

revoke all on public.execution_log_attempts from anon, authenticated, public;
revoke all on sequence public.execution_log_attempts_id_seq from anon, authenticated, public;
revoke all on function
  public.titan_mark_incomplete(text, timestamptz, timestamptz),
  public.titan_release_cycle(text, text, text),
  public.titan_claim_cycle(text, text, timestamptz, text, text, text, timestamptz)
  from anon, authenticated, public;
revoke all on public.stuck_cycles from anon, authenticated, public;

grant all on public.execution_log_attempts to service_role;
grant all on sequence public.execution_log_attempts_id_seq to service_role;
grant execute on function
  public.titan_mark_incomplete(text, timestamptz, timestamptz),
  public.titan_release_cycle(text, text, text),
  public.titan_claim_cycle(text, text, timestamptz, text, text, text, timestamptz)
  to service_role;
grant select on public.stuck_cycles to service_role;
