-- Creates execution_logs (one row per cycle id, the idempotency claim and the
-- cycle's verdict) and system_state (the single kill switch row).
-- The abort_reason CHECK lists the reasons of ABORT_REASONS in
-- shared/cycle/reasons.ts; a change to one needs a migration that changes the other.

create table public.execution_logs (
  cycle_id text primary key,
  market text not null,
  slot timestamptz not null,
  mode text not null,
  status text not null default 'running',
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
  constraint execution_logs_cycle_id_check check (cycle_id <> ''),
  constraint execution_logs_mode_check check (mode in ('PAPER', 'LIVE')),
  constraint execution_logs_status_check
    check (status in ('running', 'completed', 'aborted', 'skipped', 'crashed')),
  constraint execution_logs_abort_reason_check check (abort_reason in (
    'KILL_SWITCH', 'STALE_SLOT', 'TIMESTAMP_MISMATCH', 'API_LAG',
    'EXCHANGE_UNAVAILABLE', 'RATE_LIMITED', 'EXCHANGE_ERROR', 'DATA_GAP',
    'STALE_DATA', 'MISALIGNED_DATA', 'INVALID_DATA', 'INSUFFICIENT_HISTORY',
    'DEADLINE_EXCEEDED'
  )),
  constraint execution_logs_abort_reason_iff_aborted
    check ((status = 'aborted') = (abort_reason is not null)),
  constraint execution_logs_decision_check check (decision in ('BUY', 'SELL', 'HOLD')),
  constraint execution_logs_finished_check check (
    (status = 'running' and finished_at is null)
    or (status <> 'running' and finished_at is not null and ai_audit_payload is not null)
  )
);

comment on table public.execution_logs is
  'One row per cycle id. Inserting it is the idempotency claim: a second invocation '
  'for the same cycle finds it and stops.';
comment on column public.execution_logs.slot is
  'Start of the 15-minute UTC slot the cycle trades.';
comment on column public.execution_logs.equity is
  'Mark-to-market equity in the market''s quote currency.';
comment on column public.execution_logs.ai_audit_payload is
  'The versioned audit payload that explains the decision.';
comment on column public.execution_logs.blackbox_error is
  'Why the blackbox upload failed; null when it succeeded.';

create index execution_logs_market_slot_idx on public.execution_logs (market, slot);

create table public.system_state (
  id smallint primary key default 1,
  halted boolean not null default false,
  halted_by text,
  halt_reason text,
  halted_at timestamptz,
  rearmed_by text,
  rearm_reason text,
  rearmed_at timestamptz,
  halt_mode text,
  constraint system_state_single_row check (id = 1),
  constraint system_state_halt_recorded
    check (not halted or (halted_by is not null and halted_at is not null))
);

comment on table public.system_state is
  'The kill switch: a single row (id = 1). While halted is true, cycles stop trading '
  'as halt_mode says.';
comment on column public.system_state.halt_mode is
  'How the kill switch halted trading, as the revoke function records it.';

insert into public.system_state (id, halted) values (1, false);
