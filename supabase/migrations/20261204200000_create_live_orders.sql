-- Creates what LIVE trading records beside the orders table: the reference
-- each LIVE order carries on Kraken (userref, cl_ord_id), when it was sent,
-- what the exchange last reported; live_positions, the net amount the bot's
-- LIVE fills moved per market; api_key_nonces, the last nonce used per API
-- key; and the functions that move an order from intent to its final state.
--
-- A LIVE order is written as intent (titan_live_order_intent) and committed
-- before it is sent, marked sent (titan_live_order_sent) just before the
-- request leaves, and brought up to date from the exchange
-- (titan_live_order_apply), each fill moving live_positions once.
--
-- The abort_reason CHECK lists ABORT_REASONS of shared/cycle/reasons.ts.

alter table public.execution_logs drop constraint execution_logs_abort_reason_check;
alter table public.execution_logs add constraint execution_logs_abort_reason_check
  check (abort_reason in (
    'KILL_SWITCH', 'STALE_SLOT', 'TIMESTAMP_MISMATCH', 'API_LAG',
    'EXCHANGE_UNAVAILABLE', 'RATE_LIMITED', 'EXCHANGE_ERROR', 'DATA_GAP',
    'STALE_DATA', 'MISALIGNED_DATA', 'INVALID_DATA', 'INSUFFICIENT_HISTORY',
    'DEADLINE_EXCEEDED', 'ORDER_REJECTED', 'INSUFFICIENT_FUNDS', 'NONCE_ERROR',
    'OPERATOR_NEEDED', 'ORDER_UNKNOWN', 'MARKET_HALTED'
  ));

alter table public.orders
  add column userref integer,
  add column sent_at timestamptz,
  add column average_price numeric,
  add column exchange_status text,
  add column status_reason text,
  add column checked_at timestamptz,
  add constraint orders_live_userref_check check (mode <> 'LIVE' or userref is not null),
  add constraint orders_average_price_check check (average_price > 0);

comment on column public.orders.userref is
  'Kraken userref of a LIVE order: the slot start in seconds divided by 900, so every order '
  'of a slot shares it. Lookups match it together with the pair and client_order_id.';
comment on column public.orders.sent_at is
  'When the LIVE order was marked sent, just before its AddOrder request left.';
comment on column public.orders.average_price is
  'Average fill price the exchange reported, in the quote currency.';
comment on column public.orders.exchange_status is
  'The order status as the exchange last reported it, e.g. closed or canceled.';
comment on column public.orders.status_reason is
  'Why the order has its status: the exchange''s error text for a rejection, the cancel '
  'reason, or what reconciliation found.';
comment on column public.orders.checked_at is
  'When the order was last compared with the exchange.';

create unique index orders_exchange_order_id_key
  on public.orders (exchange_order_id) where exchange_order_id is not null;
create index orders_open_live_idx on public.orders (market, status)
  where mode = 'LIVE' and status in ('intent', 'sent', 'open', 'partially_filled', 'unknown');

create table public.live_positions (
  market text primary key,
  base text not null,
  quote text not null,
  amount numeric not null default 0,
  average_price numeric,
  fees_paid numeric not null default 0,
  dust boolean not null default false,
  updated_at timestamptz not null,
  constraint live_positions_fees_paid_check check (fees_paid >= 0),
  constraint live_positions_average_price_check check (average_price > 0)
);

comment on table public.live_positions is
  'Net amount of the base asset that the bot''s LIVE orders filled, per market. Only '
  'titan_live_order_apply changes it, by the fill it has not counted yet, so an order '
  'reconciled twice moves it once. Negative when the bot sold more than it bought.';
comment on column public.live_positions.amount is 'Net base amount filled: buys minus sells.';
comment on column public.live_positions.average_price is
  'Average buy price of the amount held, fees excluded, in the quote currency; null when '
  'nothing is held.';
comment on column public.live_positions.fees_paid is 'Sum of the fees of every fill, in the quote currency.';
comment on column public.live_positions.dust is
  'True while the amount held is above 0 but below the market''s minimum order amount: '
  'it is kept, because it cannot be sold.';

create table public.api_key_nonces (
  key_id text primary key,
  last_nonce numeric(20, 0) not null,
  updated_at timestamptz not null,
  constraint api_key_nonces_key_id_check check (key_id ~ '^[0-9a-f]{16}$'),
  constraint api_key_nonces_last_nonce_check check (last_nonce > 0)
);

comment on table public.api_key_nonces is
  'The last nonce sent with each Kraken API key, so that every process using the key sends '
  'larger ones. Read and written only while holding the key''s advisory lock.';
comment on column public.api_key_nonces.key_id is
  'First 16 hex digits of a SHA-256 of the API key; the key itself is never stored.';

-- titan_live_order_intent writes a LIVE market order as intent and returns its id.
-- Guarantee: the cycle p_cycle_id is running (else object_not_in_prerequisite_state,
-- 55000), the client order id is new (else unique_violation, 23505), and the
-- market's live_positions row exists afterwards.
create function public.titan_live_order_intent(
  p_cycle_id text,
  p_market text,
  p_base text,
  p_quote text,
  p_side text,
  p_client_order_id text,
  p_userref integer,
  p_amount numeric,
  p_price numeric,
  p_at timestamptz
)
returns bigint
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_cycle_status text;
  v_id bigint;
begin
  select e.status into v_cycle_status
  from public.execution_logs e where e.cycle_id = p_cycle_id
  for share;
  if v_cycle_status is distinct from 'running' then
    raise exception using
      errcode = 'object_not_in_prerequisite_state',
      message = format(
        'titan_live_order_intent: cycle %s is %s. Only a running cycle can place an order.',
        p_cycle_id, coalesce(v_cycle_status, 'not claimed')
      );
  end if;

  insert into public.live_positions (market, base, quote, updated_at)
  values (p_market, p_base, p_quote, p_at)
  on conflict (market) do nothing;

  insert into public.orders (
    cycle_id, market, mode, side, order_type, client_order_id, status, userref,
    requested_amount, price, fee_currency, created_at, updated_at
  ) values (
    p_cycle_id, p_market, 'LIVE', p_side, 'market', p_client_order_id, 'intent', p_userref,
    p_amount, p_price, p_quote, p_at, p_at
  )
  returning id into v_id;
  return v_id;
end;
$$;

comment on function public.titan_live_order_intent(text, text, text, text, text, text, integer, numeric, numeric, timestamptz) is
  'Writes a LIVE market order as intent for a running cycle and returns its id. Raises '
  'object_not_in_prerequisite_state (55000) when the cycle is not running.';

-- titan_live_order_sent marks an intent as sent, the last write before AddOrder.
-- Guarantee: only an intent of a running cycle changes; anything else raises
-- object_not_in_prerequisite_state (55000), so a cycle that was marked
-- incomplete meanwhile never sends its order.
create function public.titan_live_order_sent(p_order_id bigint, p_at timestamptz)
returns void
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_order_status text;
  v_cycle_status text;
begin
  select o.status, e.status into v_order_status, v_cycle_status
  from public.orders o
  join public.execution_logs e on e.cycle_id = o.cycle_id
  where o.id = p_order_id
  for update of o for share of e;
  if v_order_status is distinct from 'intent' or v_cycle_status is distinct from 'running' then
    raise exception using
      errcode = 'object_not_in_prerequisite_state',
      message = format(
        'titan_live_order_sent: order %s is %s in a cycle that is %s. Only an intent of a '
        'running cycle can be sent.',
        p_order_id, coalesce(v_order_status, 'missing'), coalesce(v_cycle_status, 'missing')
      );
  end if;
  update public.orders o set status = 'sent', sent_at = p_at, updated_at = p_at
  where o.id = p_order_id;
end;
$$;

comment on function public.titan_live_order_sent(bigint, timestamptz) is
  'Marks an intent of a running cycle as sent, just before its AddOrder request; raises '
  'object_not_in_prerequisite_state (55000) for any other order or cycle state.';

-- titan_live_order_mark sets a status that carries no fill: unknown, orphaned,
-- rejected, or canceled for an intent that was never sent.
-- Guarantee: the filled amount, cost and fee stay as they are; a status outside
-- that list raises invalid_parameter_value (22023).
create function public.titan_live_order_mark(
  p_order_id bigint,
  p_status text,
  p_reason text,
  p_at timestamptz
)
returns void
language plpgsql
security invoker
set search_path = ''
as $$
begin
  if p_status is null or p_status not in ('unknown', 'orphaned', 'rejected', 'canceled') then
    raise exception using
      errcode = 'invalid_parameter_value',
      message = format(
        'titan_live_order_mark: status must be unknown, orphaned, rejected or canceled, got %s',
        coalesce(p_status, 'null')
      );
  end if;
  update public.orders o
  set status = p_status, status_reason = p_reason, checked_at = p_at, updated_at = p_at
  where o.id = p_order_id and o.mode = 'LIVE';
  if not found then
    raise exception using
      errcode = 'no_data_found',
      message = format('titan_live_order_mark: LIVE order %s not found', p_order_id);
  end if;
end;
$$;

comment on function public.titan_live_order_mark(bigint, text, text, timestamptz) is
  'Sets a LIVE order to unknown, orphaned, rejected or canceled with the reason, leaving its '
  'fills unchanged.';

-- titan_live_order_apply records what the exchange reports for a LIVE order:
-- its status, txid, filled amount, cost, fee and average price. The fill not
-- counted before (p_filled minus the stored filled_amount, and likewise for
-- cost and fee) moves the market's live_positions row: a buy adds to the
-- amount and averages its price in, a sell takes from the amount, and every
-- fee adds to fees_paid.
-- Returns the order's status and filled amount, the fill counted by this
-- call, and the position after it.
-- Guarantee: calling it again with the same values changes nothing, so an
-- order reconciled twice moves the position once. A smaller filled amount,
-- cost or fee than stored, or a txid other than the stored one, raises
-- invalid_parameter_value (22023) and changes nothing.
create function public.titan_live_order_apply(
  p_order_id bigint,
  p_status text,
  p_exchange_order_id text,
  p_filled numeric,
  p_cost numeric,
  p_fee numeric,
  p_average_price numeric,
  p_exchange_status text,
  p_reason text,
  p_min_amount numeric,
  p_at timestamptz
)
returns table (
  status text,
  filled_amount numeric,
  applied_amount numeric,
  position_amount numeric,
  dust boolean
)
language plpgsql
security invoker
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_order public.orders%rowtype;
  v_amount numeric;
  v_cost numeric;
  v_fee numeric;
  v_position public.live_positions%rowtype;
  v_price numeric;
  v_new_amount numeric;
  v_new_average numeric;
begin
  if p_status is null
    or p_status not in ('open', 'partially_filled', 'filled', 'canceled') then
    raise exception using
      errcode = 'invalid_parameter_value',
      message = format(
        'titan_live_order_apply: status must be open, partially_filled, filled or canceled, '
        'got %s', coalesce(p_status, 'null')
      );
  end if;

  select * into v_order from public.orders o where o.id = p_order_id and o.mode = 'LIVE'
  for update;
  if not found then
    raise exception using
      errcode = 'no_data_found',
      message = format('titan_live_order_apply: LIVE order %s not found', p_order_id);
  end if;
  if v_order.exchange_order_id is not null and v_order.exchange_order_id <> p_exchange_order_id then
    raise exception using
      errcode = 'invalid_parameter_value',
      message = format(
        'titan_live_order_apply: order %s has txid %s, the exchange reported %s',
        p_order_id, v_order.exchange_order_id, p_exchange_order_id
      );
  end if;

  v_amount := p_filled - v_order.filled_amount;
  v_cost := p_cost - v_order.cost;
  v_fee := p_fee - v_order.fee;
  -- The first fill of an order is priced at the exchange's average price, later
  -- ones at their own cost per unit, because the reported cost is rounded.
  v_price := case
    when v_order.filled_amount = 0 and p_average_price is not null then p_average_price
    when v_amount > 0 then v_cost / v_amount
  end;
  if v_amount < 0 or v_cost < 0 or v_fee < 0 then
    raise exception using
      errcode = 'invalid_parameter_value',
      message = format(
        'titan_live_order_apply: order %s would go back from filled %s, cost %s, fee %s to '
        '%s, %s, %s; fills only grow',
        p_order_id, v_order.filled_amount, v_order.cost, v_order.fee, p_filled, p_cost, p_fee
      );
  end if;

  update public.orders o
  set status = p_status, exchange_order_id = p_exchange_order_id, filled_amount = p_filled,
    cost = p_cost, fee = p_fee, average_price = p_average_price,
    exchange_status = p_exchange_status, status_reason = p_reason, checked_at = p_at,
    updated_at = p_at
  where o.id = p_order_id;

  select * into v_position from public.live_positions lp where lp.market = v_order.market
  for update;
  if v_order.side = 'buy' then
    v_new_amount := v_position.amount + v_amount;
  else
    v_new_amount := v_position.amount - v_amount;
  end if;
  v_new_average := case
    when v_new_amount <= 0 then null
    when v_order.side = 'sell' or v_amount = 0 then v_position.average_price
    when v_position.amount <= 0 or v_position.average_price is null then v_price
    else (v_position.amount * v_position.average_price + v_amount * v_price) / v_new_amount
  end;

  update public.live_positions lp
  set amount = v_new_amount,
    average_price = v_new_average,
    fees_paid = lp.fees_paid + v_fee,
    dust = v_new_amount > 0 and v_new_amount < coalesce(p_min_amount, 0),
    updated_at = p_at
  where lp.market = v_order.market;

  return query
    select p_status, p_filled, v_amount, lp.amount, lp.dust
    from public.live_positions lp where lp.market = v_order.market;
end;
$$;

comment on function public.titan_live_order_apply(bigint, text, text, numeric, numeric, numeric, numeric, text, text, numeric, timestamptz) is
  'Records the exchange''s report of a LIVE order and moves live_positions by the fill not '
  'counted before. Idempotent; fills never shrink and the txid never changes.';

alter table public.live_positions enable row level security;
alter table public.api_key_nonces enable row level security;

revoke all on public.live_positions, public.api_key_nonces from anon, authenticated, public;
revoke all on function
  public.titan_live_order_intent(text, text, text, text, text, text, integer, numeric, numeric, timestamptz),
  public.titan_live_order_sent(bigint, timestamptz),
  public.titan_live_order_mark(bigint, text, text, timestamptz),
  public.titan_live_order_apply(bigint, text, text, numeric, numeric, numeric, numeric, text, text, numeric, timestamptz)
  from anon, authenticated, public;

grant all on public.live_positions, public.api_key_nonces to service_role;
grant execute on function
  public.titan_live_order_intent(text, text, text, text, text, text, integer, numeric, numeric, timestamptz),
  public.titan_live_order_sent(bigint, timestamptz),
  public.titan_live_order_mark(bigint, text, text, timestamptz),
  public.titan_live_order_apply(bigint, text, text, numeric, numeric, numeric, numeric, text, text, numeric, timestamptz)
  to service_role;
