-- Adds COMMENT ON text to the tables, columns and functions of earlier
-- migrations that had none, so that docs/DATABASE.md, which scripts/db-docs.ts
-- generates from the catalog, and Studio explain them. Comments change no data
-- and no behaviour.

comment on column public.execution_logs.cycle_id is
  'Market symbol without the slash, then the slot in UTC, e.g. BTCUSD-20240115T1215Z.';
comment on column public.execution_logs.mode is 'PAPER (simulated fills) or LIVE (real orders).';
comment on column public.execution_logs.status is
  'running until the cycle ends, then completed, aborted (see abort_reason), skipped or crashed.';
comment on column public.execution_logs.abort_reason is
  'Why an aborted cycle stopped, from the closed list in shared/cycle/reasons.ts; set exactly '
  'when status is aborted.';
comment on column public.execution_logs.decision is 'The strategy''s decision: BUY, SELL or HOLD.';
comment on column public.execution_logs.blackbox_path is
  'Object path of the cycle''s plain-text log in the blackbox Storage bucket, or its local file.';
comment on column public.execution_logs.invocation_id is
  'Id of the function invocation that ran the cycle; function_invocations.invocation_id.';
comment on column public.execution_logs.invoked_by is
  'What started the cycle, e.g. cli or replay for the local commands.';
comment on column public.execution_logs.finished_at is 'When the verdict was written; null while running.';

comment on column public.system_state.halted_by is 'Who halted trading last.';
comment on column public.system_state.rearmed_by is 'Who re-armed trading last.';

comment on column public.paper_account.initial_balances is
  'The balances the account was seeded with, as a JSON object of asset code to amount.';

comment on table public.paper_balances is
  'Simulated balances of the PAPER account, one row per asset. Only titan_paper_seed and '
  'titan_paper_fill change them.';
comment on column public.paper_balances.asset is 'Asset code as ccxt names it, e.g. BTC or USD.';

comment on table public.orders is
  'Every order of both modes, from intent to final state. A LIVE order is written as intent '
  'before it is sent, so a retry finds it instead of sending it twice.';
comment on column public.orders.status is
  'Order state, from intent (written before the order is sent) to a final state such as '
  'filled, canceled or rejected.';
comment on column public.orders.exchange_order_id is 'The exchange''s order id; null for PAPER orders.';
comment on column public.orders.requested_amount is 'Amount of the base asset requested.';
comment on column public.orders.filled_amount is 'Amount of the base asset filled so far.';
comment on column public.orders.fee_currency is 'Asset the fee was paid in.';

comment on function public.titan_claim_cycle(text, text, timestamptz, text, text, text, timestamptz) is
  'Inserts the running execution_logs row of a cycle. Of any number of calls with one cycle id, '
  'concurrent or not, exactly one returns claimed = true; the others wait for the winner''s '
  'transaction and return claimed = false with the status of the row they found.';
comment on function public.titan_paper_seed(jsonb) is
  'Writes the initial PAPER balances (a JSON object of asset code to amount) and returns true '
  'when this call seeded them. Seeds at most once in the life of the database; a concurrent '
  'second call waits for the first and returns false.';
comment on function public.titan_paper_fill(text, text, text, text, text, numeric, numeric, numeric, numeric, text, timestamptz) is
  'Records a filled PAPER market order of a running cycle, moves the balances it changes and '
  'returns every balance. The order row and both balance changes are written together or not '
  'at all; a change that would make a balance negative raises check_violation (23514).';
comment on function public.titan_finish_cycle(text, text, text, text, numeric, jsonb, text, text, timestamptz) is
  'Writes the verdict of a running cycle and ends it. A cycle id never claimed raises '
  'no_data_found (P0002); a finished row raises object_not_in_prerequisite_state (55000) and '
  'keeps its first verdict.';

-- The kill switch functions come from a migration written alongside this one;
-- the guard keeps this file applicable if their signatures change.
do $$
begin
  if to_regprocedure('public.titan_halt(text, text, text)') is not null
    and obj_description('public.titan_halt(text, text, text)'::regprocedure, 'pg_proc') is null then
    comment on function public.titan_halt(text, text, text) is
      'Halts trading in mode stop-entries, halt or flatten and returns the action taken: halted, '
      'escalated (a weaker mode was in force) or already_halted (nothing changed). Concurrent '
      'calls are serialized on system_state, every call leaves a kill_switch_events row, and a '
      'call never weakens the mode.';
  end if;
  if to_regprocedure('public.titan_rearm(text, text)') is not null
    and obj_description('public.titan_rearm(text, text)'::regprocedure, 'pg_proc') is null then
    comment on function public.titan_rearm(text, text) is
      'Lets cycles trade again after a halt and returns whether trading was halted. A reason is '
      'required, every call leaves a kill_switch_events row, and the last halt''s who, why and '
      'when stay in system_state.';
  end if;
end
$$;
