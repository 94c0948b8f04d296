-- Creates the functions the journal calls. Each runs as its caller (security
-- invoker) with an empty search_path, so every name inside is schema-qualified.

-- titan_claim_cycle inserts the running execution_logs row of a cycle.
-- Guarantee: of any number of calls with one cycle id, concurrent or not, exactly
-- one returns claimed = true. The others wait until the winner's transaction
-- ends and return claimed = false with the status of the row they found.
create function public.titan_claim_cycle(
  p_cycle_id text,
  p_market text,
  p_slot timestamptz,
  p_mode text,
  p_invocation_id text,
  p_invoked_by text,
  p_started_at timestamptz
)
returns table (claimed boolean, existing_status text)
language plpgsql
security invoker
set search_path = ''
as $$
begin
  insert into public.execution_logs
    (cycle_id, market, slot, mode, status, invocation_id, invoked_by, started_at)
  values
    (p_cycle_id, p_market, p_slot, p_mode, 'running', p_invocation_id, p_invoked_by, p_started_at)
  on conflict (cycle_id) do nothing;

  if found then
    return query select true, null::text;
    return;
  end if;

  return query
    select false, e.status from public.execution_logs e where e.cycle_id = p_cycle_id;
end;
$$;

-- titan_paper_seed writes the initial PAPER balances, given as a JSON object of
-- asset code to amount, and returns true when this call seeded them.
-- Guarantee: the balances are seeded at most once while the paper_account row
-- exists. A concurrent second call waits for the first and then returns false.
create function public.titan_paper_seed(p_balances jsonb)
returns boolean
language plpgsql
security invoker
set search_path = ''
as $$
begin
  if jsonb_typeof(p_balances) is distinct from 'object' then
    raise exception using
      errcode = 'invalid_parameter_value',
      message = format(
        'titan_paper_seed: initial balances must be a JSON object of asset to amount, got %s',
        coalesce(p_balances::text, 'null')
      );
  end if;

  insert into public.paper_account (id, initial_balances) values (1, p_balances)
  on conflict (id) do nothing;
  if not found then
    return false;
  end if;

  insert into public.paper_balances (asset, amount)
  select b.key, b.value::numeric from jsonb_each_text(p_balances) b;
  return true;
end;
$$;

-- titan_paper_fill records a filled PAPER market order of a running cycle and
-- moves the balances it changes, then returns every balance.
-- A buy adds p_amount of the base asset and takes p_cost + p_fee of the quote
-- asset; a sell takes p_amount of the base asset and adds p_cost - p_fee.
-- Guarantee: the order row and both balance changes are written together or not
-- at all. A change that would make a balance negative raises check_violation
-- (SQLSTATE 23514) naming the asset, the balance and the amount required. A cycle
-- that is not running, or an unseeded account, raises object_not_in_prerequisite_state
-- (55000), and invalid arguments raise invalid_parameter_value (22023).
create function public.titan_paper_fill(
  p_cycle_id text,
  p_market text,
  p_side text,
  p_base text,
  p_quote text,
  p_amount numeric,
  p_price numeric,
  p_cost numeric,
  p_fee numeric,
  p_client_order_id text,
  p_filled_at timestamptz
)
returns table (asset text, amount numeric)
language plpgsql
security invoker
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_cycle_status text;
  v_base_change numeric;
  v_quote_change numeric;
  v_balance record;
begin
  if p_side is null or p_side not in ('buy', 'sell') then
    raise exception using
      errcode = 'invalid_parameter_value',
      message = format('titan_paper_fill: side must be buy or sell, got %s', p_side);
  end if;
  if p_base = p_quote then
    raise exception using
      errcode = 'invalid_parameter_value',
      message = format('titan_paper_fill: base and quote must differ, got %s for both', p_base);
  end if;
  if not (p_amount > 0 and p_price > 0 and p_cost >= 0 and p_fee >= 0) then
    raise exception using
      errcode = 'invalid_parameter_value',
      message = format(
        'titan_paper_fill: amount and price must be positive and cost and fee '
        'non-negative, got amount %s, price %s, cost %s, fee %s',
        p_amount, p_price, p_cost, p_fee
      );
  end if;

  select e.status into v_cycle_status
  from public.execution_logs e where e.cycle_id = p_cycle_id
  for share;
  if v_cycle_status is distinct from 'running' then
    raise exception using
      errcode = 'object_not_in_prerequisite_state',
      message = format(
        'titan_paper_fill: cycle %s is %s. Only a running cycle can fill an order.',
        p_cycle_id, coalesce(v_cycle_status, 'not claimed')
      );
  end if;
  if not exists (select from public.paper_account) then
    raise exception using
      errcode = 'object_not_in_prerequisite_state',
      message = 'titan_paper_fill: the paper account is not seeded. Call titan_paper_seed first.';
  end if;

  if p_side = 'buy' then
    v_base_change := p_amount;
    v_quote_change := -(p_cost + p_fee);
  else
    v_base_change := -p_amount;
    v_quote_change := p_cost - p_fee;
  end if;

  insert into public.paper_balances (asset, amount)
  values (p_base, 0), (p_quote, 0)
  on conflict (asset) do nothing;

  -- Rows are locked in asset order so that two concurrent fills cannot deadlock.
  for v_balance in
    select b.asset, b.amount,
      case when b.asset = p_base then v_base_change else v_quote_change end as change
    from public.paper_balances b
    where b.asset in (p_base, p_quote)
    order by b.asset
    for update
  loop
    if v_balance.amount + v_balance.change < 0 then
      raise exception using
        errcode = 'check_violation',
        message = format(
          'titan_paper_fill: %s %s on %s needs %s %s but the paper balance is %s',
          p_side, p_amount, p_market, -v_balance.change, v_balance.asset, v_balance.amount
        ),
        hint = 'Size the order to the paper balance.';
    end if;
  end loop;

  update public.paper_balances b
  set amount = b.amount + case when b.asset = p_base then v_base_change else v_quote_change end,
    updated_at = p_filled_at
  where b.asset in (p_base, p_quote);

  insert into public.orders (
    cycle_id, market, mode, side, order_type, client_order_id, status,
    requested_amount, price, filled_amount, cost, fee, fee_currency, created_at, updated_at
  ) values (
    p_cycle_id, p_market, 'PAPER', p_side, 'market', p_client_order_id, 'filled',
    p_amount, p_price, p_amount, p_cost, p_fee, p_quote, p_filled_at, p_filled_at
  );

  return query select b.asset, b.amount from public.paper_balances b order by b.asset;
end;
$$;

-- titan_finish_cycle writes the verdict of a cycle and ends it.
-- Guarantee: only a running row changes. A cycle id that was never claimed raises
-- no_data_found (P0002). A row that already finished raises
-- object_not_in_prerequisite_state (55000) and keeps its first verdict.
create function public.titan_finish_cycle(
  p_cycle_id text,
  p_status text,
  p_abort_reason text,
  p_decision text,
  p_equity numeric,
  p_payload jsonb,
  p_blackbox_path text,
  p_blackbox_error text,
  p_finished_at timestamptz
)
returns void
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_status text;
begin
  if p_status is null or p_status = 'running' then
    raise exception using
      errcode = 'invalid_parameter_value',
      message = format(
        'titan_finish_cycle: status must be completed, aborted, skipped or crashed, got %s',
        coalesce(p_status, 'null')
      );
  end if;

  update public.execution_logs e
  set status = p_status,
    abort_reason = p_abort_reason,
    decision = p_decision,
    equity = p_equity,
    ai_audit_payload = p_payload,
    blackbox_path = p_blackbox_path,
    blackbox_error = p_blackbox_error,
    finished_at = p_finished_at
  where e.cycle_id = p_cycle_id and e.status = 'running';
  if found then
    return;
  end if;

  select e.status into v_status from public.execution_logs e where e.cycle_id = p_cycle_id;
  if v_status is null then
    raise exception using
      errcode = 'no_data_found',
      message = format(
        'titan_finish_cycle: cycle %s not found. Claim it with titan_claim_cycle first.',
        p_cycle_id
      );
  end if;
  raise exception using
    errcode = 'object_not_in_prerequisite_state',
    message = format(
      'titan_finish_cycle: cycle %s is already %s. Only a running cycle can be finished.',
      p_cycle_id, v_status
    );
end;
$$;
