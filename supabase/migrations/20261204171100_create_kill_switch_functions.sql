-- Creates the kill switch functions and their history. titan_halt is what the
-- revoke Edge Function calls; titan_rearm is what an operator calls from
-- Studio, because no HTTP call re-arms trading. kill_switch_events keeps every
-- halt, escalation, repeated halt and re-arm with who asked and why.
--
-- Halt modes, from the weakest to the strictest:
--   stop-entries  cycles still run and may sell, but every BUY is skipped;
--   halt          every cycle aborts with KILL_SWITCH before touching the exchange;
--   flatten       as halt, after the revoke function sold the PAPER positions.
-- A halted row whose halt_mode is null counts as halt.

alter table public.system_state
  add constraint system_state_halt_mode_check
  check (halt_mode in ('stop-entries', 'halt', 'flatten'));

create table public.kill_switch_events (
  id bigserial primary key,
  occurred_at timestamptz not null default now(),
  action text not null,
  mode text,
  actor text not null,
  reason text not null,
  constraint kill_switch_events_action_check
    check (action in ('halted', 'escalated', 'already_halted', 'rearmed', 'not_halted')),
  constraint kill_switch_events_mode_check check (mode in ('stop-entries', 'halt', 'flatten')),
  constraint kill_switch_events_actor_check check (btrim(actor) <> ''),
  constraint kill_switch_events_reason_check check (btrim(reason) <> '')
);

comment on table public.kill_switch_events is
  'Every call of titan_halt and titan_rearm: what it did, the mode, who asked and why.';
comment on column public.kill_switch_events.action is
  'halted, escalated (a stricter mode replaced a weaker one), already_halted (nothing changed), rearmed, or not_halted (a re-arm that found trading running).';

create index kill_switch_events_occurred_at_idx on public.kill_switch_events (occurred_at);

-- titan_halt halts trading in p_mode ('stop-entries', 'halt' or 'flatten') and
-- returns what it did: action 'halted' when trading ran, 'escalated' when a
-- weaker mode was in force, 'already_halted' when the same or a stricter mode
-- was in force, in which case system_state is left as it was.
-- Guarantee: concurrent calls are serialized on the system_state row, every
-- call leaves one kill_switch_events row, and a call never weakens the mode.
-- Blank p_by or p_reason, or an unknown mode, raises invalid_parameter_value.
create function public.titan_halt(p_by text, p_reason text, p_mode text default 'halt')
returns table (
  action text,
  previous_mode text,
  halt_mode text,
  halted_by text,
  halt_reason text,
  halted_at timestamptz
)
language plpgsql
security invoker
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_modes constant text[] := array['stop-entries', 'halt', 'flatten'];
  v_state public.system_state%rowtype;
  v_previous text;
  v_action text;
begin
  if p_by is null or btrim(p_by) = '' or p_reason is null or btrim(p_reason) = '' then
    raise exception using
      errcode = 'invalid_parameter_value',
      message = 'titan_halt: who halts (p_by) and why (p_reason) are required and must not be blank';
  end if;
  if p_mode is null or array_position(v_modes, p_mode) is null then
    raise exception using
      errcode = 'invalid_parameter_value',
      message = format(
        'titan_halt: mode must be stop-entries, halt or flatten, got %s', coalesce(p_mode, 'null')
      );
  end if;

  select * into v_state from public.system_state s where s.id = 1 for update;
  if not found then
    raise exception using
      errcode = 'no_data_found',
      message = 'titan_halt: the system_state row (id = 1) is missing; restore it before halting';
  end if;

  v_previous := case when v_state.halted then coalesce(v_state.halt_mode, 'halt') end;
  if v_previous is not null
    and array_position(v_modes, v_previous) >= array_position(v_modes, p_mode) then
    v_action := 'already_halted';
  else
    v_action := case when v_previous is null then 'halted' else 'escalated' end;
    update public.system_state s
    set halted = true, halted_by = p_by, halt_reason = p_reason, halted_at = now(),
      halt_mode = p_mode
    where s.id = 1;
  end if;

  insert into public.kill_switch_events (action, mode, actor, reason)
  values (v_action, p_mode, p_by, p_reason);

  return query
    select v_action, v_previous, coalesce(s.halt_mode, 'halt'), s.halted_by, s.halt_reason,
      s.halted_at
    from public.system_state s where s.id = 1;
end;
$$;

-- titan_rearm lets cycles trade again after a halt and returns whether trading
-- was halted, with the re-arm time (null when it was not halted). An operator runs it from Studio, for example
--   select * from titan_rearm('alice', 'keys rotated after the drill');
-- Guarantee: p_reason is required (blank raises invalid_parameter_value), the
-- call leaves one kill_switch_events row, and the last halt's who, why and when
-- stay in system_state beside the re-arm's.
create function public.titan_rearm(p_by text, p_reason text)
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
      message = 'titan_rearm: who re-arms (p_by) and why (p_reason) are required and must not be blank';
  end if;

  select s.halted into v_halted from public.system_state s where s.id = 1 for update;
  if not found then
    raise exception using
      errcode = 'no_data_found',
      message = 'titan_rearm: the system_state row (id = 1) is missing; restore it first';
  end if;

  if v_halted then
    update public.system_state s
    set halted = false, halt_mode = null, rearmed_by = p_by, rearm_reason = p_reason,
      rearmed_at = now()
    where s.id = 1;
  end if;

  insert into public.kill_switch_events (action, actor, reason)
  values (case when v_halted then 'rearmed' else 'not_halted' end, p_by, p_reason);

  return query
    select v_halted, case when v_halted then s.rearmed_at end
    from public.system_state s where s.id = 1;
end;
$$;

alter table public.kill_switch_events enable row level security;

revoke all on table public.kill_switch_events from anon, authenticated, public;
revoke all on sequence public.kill_switch_events_id_seq from anon, authenticated, public;
revoke all on function public.titan_halt(text, text, text) from anon, authenticated, public;
revoke all on function public.titan_rearm(text, text) from anon, authenticated, public;
grant all on table public.kill_switch_events to service_role;
grant all on sequence public.kill_switch_events_id_seq to service_role;
grant execute on function public.titan_halt(text, text, text) to service_role;
grant execute on function public.titan_rearm(text, text) to service_role;
