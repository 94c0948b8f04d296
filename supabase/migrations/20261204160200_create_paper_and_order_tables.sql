-- Creates the PAPER account (paper_account marks the one-time seeding,
-- paper_balances holds the simulated balances) and orders (every order of both
-- modes, from intent to final state, keyed by its client order id).

create table public.paper_account (
  id smallint primary key default 1,
  seeded_at timestamptz not null default now(),
  initial_balances jsonb not null,
  constraint paper_account_single_row check (id = 1)
);

comment on table public.paper_account is
  'Present once the PAPER balances were seeded; seeding never runs a second time.';

create table public.paper_balances (
  asset text primary key,
  amount numeric not null,
  updated_at timestamptz not null default now(),
  constraint paper_balances_asset_check check (asset ~ '^[A-Za-z0-9._-]{1,32}$'),
  constraint paper_balances_amount_check check (amount >= 0)
);

create table public.orders (
  id bigserial primary key,
  cycle_id text not null references public.execution_logs (cycle_id),
  market text not null,
  mode text not null,
  side text not null,
  order_type text not null,
  client_order_id text not null,
  exchange_order_id text,
  status text not null,
  requested_amount numeric not null,
  price numeric,
  filled_amount numeric not null default 0,
  cost numeric not null default 0,
  fee numeric not null default 0,
  fee_currency text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint orders_client_order_id_key unique (client_order_id),
  constraint orders_mode_check check (mode in ('PAPER', 'LIVE')),
  constraint orders_side_check check (side in ('buy', 'sell')),
  constraint orders_status_check check (status in (
    'intent', 'sent', 'open', 'filled', 'partially_filled', 'canceled', 'rejected',
    'unknown', 'orphaned'
  )),
  constraint orders_requested_amount_check check (requested_amount > 0),
  constraint orders_price_check check (price > 0),
  constraint orders_filled_amount_check check (filled_amount >= 0),
  constraint orders_cost_check check (cost >= 0),
  constraint orders_fee_check check (fee >= 0)
);

comment on column public.orders.client_order_id is
  'Derived from the cycle id, so a retry finds the order instead of sending it twice.';
comment on column public.orders.price is 'Limit price, or the fill price of a PAPER market order.';
comment on column public.orders.cost is
  'Filled amount times price in the quote currency, before the fee.';

create index orders_cycle_id_idx on public.orders (cycle_id);
