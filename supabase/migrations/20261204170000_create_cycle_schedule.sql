-- Creates the 15-minute schedule of the run-cycle Edge Function: the markets
-- to dispatch (trading_markets), the scheduler settings, the record of each
-- dispatched request (cycle_dispatches), and the functions that dispatch,
-- prune history and create the pg_cron jobs.
--
-- The tables and functions exist on every database. Enabling pg_cron and
-- pg_net and creating the cron jobs happen only where the server has those
-- extensions (Supabase has both); elsewhere a NOTICE names what was skipped and
-- how to enable it. The same migration history therefore serves Supabase, the
-- test cluster (pg_cron without pg_net or Vault) and PGlite (none of them).

create table public.trading_markets (
  symbol text primary key,
  enabled boolean not null default true,
  added_at timestamptz not null default now(),
  constraint trading_markets_symbol_check check (symbol ~ '^[A-Z0-9]{2,10}/[A-Z0-9]{2,10}$')
);

comment on table public.trading_markets is
  'Markets the schedule dispatches, one run-cycle request each per slot. The function '
  'accepts only markets listed in TITAN_MARKETS: keep the enabled rows and that secret in step.';
comment on column public.trading_markets.symbol is 'ccxt market symbol, e.g. BTC/USD.';
comment on column public.trading_markets.enabled is
  'False keeps the row but stops dispatching the market from the next slot on.';

insert into public.trading_markets (symbol, enabled) values ('BTC/USD', true);

create table public.scheduler_settings (
  id smallint primary key default 1,
  history_retention interval not null default interval '14 days',
  dispatch_timeout_ms integer not null default 90000,
  stuck_after interval not null default interval '5 minutes',
  constraint scheduler_settings_single_row check (id = 1),
  constraint scheduler_settings_history_retention_check
    check (history_retention >= interval '1 hour'),
  constraint scheduler_settings_dispatch_timeout_ms_check
    check (dispatch_timeout_ms between 1000 and 600000),
  constraint scheduler_settings_stuck_after_check check (stuck_after > interval '0')
);

comment on table public.scheduler_settings is
  'Settings of the schedule and the Studio views: a single row (id = 1). Change a value with update.';
comment on column public.scheduler_settings.history_retention is
  'titan_prune_scheduler_history deletes cron run details, pg_net responses and '
  'cycle_dispatches rows older than this.';
comment on column public.scheduler_settings.dispatch_timeout_ms is
  'timeout_milliseconds of each run-cycle request. Keep it above TITAN_CYCLE_DEADLINE_MS plus '
  'the 5 s run-cycle waits past it (65000 by default), so pg_net records the answer of a slow '
  'cycle instead of a timeout.';
comment on column public.scheduler_settings.stuck_after is
  'How long a cycle may stay running before the stuck_cycles view lists it.';

insert into public.scheduler_settings (id) values (1);

create table public.cycle_dispatches (
  id bigint generated always as identity primary key,
  slot timestamptz not null,
  market text not null,
  request_id bigint,
  dispatched_at timestamptz not null,
  constraint cycle_dispatches_slot_market_key unique (slot, market),
  constraint cycle_dispatches_slot_check
    check (slot = date_bin(interval '15 minutes', slot, timestamptz '2000-01-01 00:00:00+00'))
);

comment on table public.cycle_dispatches is
  'One row per run-cycle request the schedule queued. Join request_id to net._http_response.id '
  'for the HTTP outcome, and (market, slot) to execution_logs for the cycle it started.';
comment on column public.cycle_dispatches.slot is
  'Start of the 15-minute UTC slot the request was sent for; execution_logs.slot of its cycle.';
comment on column public.cycle_dispatches.request_id is
  'Id that net.http_post returned. Null only inside the dispatching transaction, before the '
  'request is queued.';

create index cycle_dispatches_dispatched_at_idx on public.cycle_dispatches (dispatched_at);
create index cycle_dispatches_request_id_idx on public.cycle_dispatches (request_id);

-- titan_vault_secret returns the decrypted Vault secret named p_name.
-- Raises undefined_table (42P01) when Vault is not installed and no_data_found
-- (P0002) when the secret is missing or empty. The value never appears in a message.
create function public.titan_vault_secret(p_name text)
returns text
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_value text;
begin
  if to_regclass('vault.decrypted_secrets') is null then
    raise exception using
      errcode = 'undefined_table',
      message = format('Reading Vault secret %s failed: vault.decrypted_secrets does not exist', p_name),
      hint = 'Enable Vault (on Supabase it is on by default) and create the secret with vault.create_secret.';
  end if;

  execute 'select s.decrypted_secret from vault.decrypted_secrets s where s.name = $1'
    into v_value using p_name;
  if v_value is null or v_value = '' then
    raise exception using
      errcode = 'no_data_found',
      message = format('Reading Vault secret %s failed: no secret with that name, or it is empty', p_name),
      hint = format('Create it with: select vault.create_secret(''<value>'', ''%s'');', p_name);
  end if;
  return v_value;
end;
$$;

comment on function public.titan_vault_secret(text) is
  'Returns the decrypted Vault secret named p_name. Raises undefined_table (42P01) without Vault '
  'and no_data_found (P0002) for a missing or empty secret. The value never appears in a message.';

-- titan_dispatch_cycles queues one POST to the run-cycle Edge Function for each
-- enabled market, for the 15-minute UTC slot that contains p_now, and returns
-- the dispatches it queued.
-- Guarantee: at most one request per (market, slot), however often and however
-- concurrently it runs. The unique (slot, market) row is inserted before the
-- request is queued, so a second call waits for the first and then skips the
-- market. pg_net sends a request only after its transaction commits, so a call
-- that fails sends nothing and leaves no row.
-- The project URL and the cron secret are read from Vault at every call, so a
-- rotated secret is used from the next slot on. Raises, naming what is missing,
-- when pg_net, Vault or a secret is absent.
--
-- net.http_post is called by name inside plpgsql, which resolves names when a
-- statement first runs, not when the function is created. The function thus
-- exists on databases without pg_net (the test cluster and PGlite), and a test
-- can install a recording double with the same signature in schema net.
create function public.titan_dispatch_cycles(p_now timestamptz default now())
returns table (market text, slot timestamptz, request_id bigint)
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_slot timestamptz;
  v_url text;
  v_secret text;
  v_timeout_ms integer;
  v_symbol text;
  v_dispatch_id bigint;
  v_request_id bigint;
begin
  if p_now is null then
    raise exception using
      errcode = 'null_value_not_allowed',
      message = 'titan_dispatch_cycles: p_now must be a timestamp, got null';
  end if;
  if to_regprocedure('net.http_post(text, jsonb, jsonb, jsonb, integer)') is null then
    raise exception using
      errcode = 'undefined_function',
      message = 'titan_dispatch_cycles: net.http_post(text, jsonb, jsonb, jsonb, integer) does not exist',
      hint = 'Enable pg_net: create extension pg_net with schema extensions;';
  end if;

  v_url := rtrim(public.titan_vault_secret('titan_project_url'), '/');
  if v_url !~ '^https?://[^/]+$' then
    raise exception using
      errcode = 'invalid_parameter_value',
      message = format(
        'titan_dispatch_cycles: Vault secret titan_project_url must be the project URL '
        'such as https://<ref>.supabase.co with no path, got %s', v_url),
      hint = 'Replace it with vault.update_secret.';
  end if;
  v_secret := public.titan_vault_secret('titan_cron_secret');
  select s.dispatch_timeout_ms into v_timeout_ms from public.scheduler_settings s where s.id = 1;
  v_slot := date_bin(interval '15 minutes', p_now, timestamptz '2000-01-01 00:00:00+00');

  for v_symbol in
    select m.symbol from public.trading_markets m where m.enabled order by m.symbol
  loop
    insert into public.cycle_dispatches as d (slot, market, dispatched_at)
    values (v_slot, v_symbol, p_now)
    on conflict on constraint cycle_dispatches_slot_market_key do nothing
    returning d.id into v_dispatch_id;
    continue when v_dispatch_id is null;

    v_request_id := net.http_post(
      url => v_url || '/functions/v1/run-cycle',
      body => jsonb_build_object('market', v_symbol),
      params => '{}'::jsonb,
      headers => jsonb_build_object(
        'Authorization', 'Bearer ' || v_secret,
        'Content-Type', 'application/json'
      ),
      timeout_milliseconds => coalesce(v_timeout_ms, 90000)
    );
    update public.cycle_dispatches d set request_id = v_request_id where d.id = v_dispatch_id;

    market := v_symbol;
    slot := v_slot;
    request_id := v_request_id;
    return next;
  end loop;
end;
$$;

comment on function public.titan_dispatch_cycles(timestamptz) is
  'Queues one run-cycle request per enabled market for the 15-minute UTC slot containing p_now '
  'and returns what it queued. At most one request per (market, slot), even when called '
  'concurrently; a failed call sends nothing. Reads titan_project_url and titan_cron_secret '
  'from Vault at every call. The titan-dispatch-cycles cron job calls it.';

-- titan_prune_scheduler_history deletes scheduler history that started before
-- p_now minus scheduler_settings.history_retention: cron.job_run_details (all
-- jobs, when pg_cron is installed), net._http_response (when pg_net is
-- installed) and cycle_dispatches. It returns the rows deleted per table.
-- Guarantee: execution_logs, orders and every row newer than the cutoff stay.
-- The optional tables are read through dynamic SQL so the function exists
-- without pg_cron and pg_net.
create function public.titan_prune_scheduler_history(p_now timestamptz default now())
returns table (table_name text, deleted_rows bigint)
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_cutoff timestamptz;
  v_count bigint;
begin
  select p_now - s.history_retention into v_cutoff from public.scheduler_settings s where s.id = 1;
  if v_cutoff is null then
    raise exception using
      errcode = 'null_value_not_allowed',
      message = 'titan_prune_scheduler_history: p_now and scheduler_settings.history_retention '
        'must be set, got p_now ' || coalesce(p_now::text, 'null');
  end if;

  if to_regclass('cron.job_run_details') is not null then
    execute 'delete from cron.job_run_details where start_time < $1' using v_cutoff;
    get diagnostics v_count = row_count;
    table_name := 'cron.job_run_details';
    deleted_rows := v_count;
    return next;
  end if;

  if to_regclass('net._http_response') is not null then
    execute 'delete from net._http_response where created < $1' using v_cutoff;
    get diagnostics v_count = row_count;
    table_name := 'net._http_response';
    deleted_rows := v_count;
    return next;
  end if;

  delete from public.cycle_dispatches d where d.dispatched_at < v_cutoff;
  get diagnostics v_count = row_count;
  table_name := 'public.cycle_dispatches';
  deleted_rows := v_count;
  return next;
end;
$$;

comment on function public.titan_prune_scheduler_history(timestamptz) is
  'Deletes cron.job_run_details, net._http_response and cycle_dispatches rows older than '
  'scheduler_settings.history_retention before p_now, skipping tables whose extension is '
  'missing, and returns the rows deleted per table. The titan-prune-scheduler-history cron '
  'job calls it daily.';

-- titan_schedule_cycle_jobs creates the two pg_cron jobs, or updates them to
-- the schedules below when they exist, and returns them. Raises
-- undefined_function (42883) when pg_cron is not installed.
--
-- pg_cron has minute resolution: its seconds syntax (pg_cron 1.5 and later) is a
-- repeat interval, not an offset within the minute. The dispatch therefore runs
-- at minute 0, 15, 30 and 45, the moment Kraken closes the 15-minute candle,
-- and pg_net sends the requests once that transaction commits. pg_cron reads
-- schedules in GMT unless cron.timezone (1.5 and later) says otherwise. Every
-- current UTC offset is a multiple of 15 minutes, so those minutes stay slot
-- boundaries in any time zone.
create function public.titan_schedule_cycle_jobs()
returns table (job_name text, schedule text, command text)
language plpgsql
security invoker
set search_path = ''
as $$
begin
  if to_regprocedure('cron.schedule(text, text, text)') is null then
    raise exception using
      errcode = 'undefined_function',
      message = 'titan_schedule_cycle_jobs: cron.schedule(text, text, text) does not exist',
      hint = 'Enable pg_cron: create extension pg_cron with schema extensions;';
  end if;

  return query
    select j.name, j.spec, j.sql
    from (values
      ('titan-dispatch-cycles', '0,15,30,45 * * * *',
        'select * from public.titan_dispatch_cycles()'),
      ('titan-prune-scheduler-history', '7 3 * * *',
        'select * from public.titan_prune_scheduler_history()')
    ) as j (name, spec, sql)
    cross join lateral cron.schedule(j.name, j.spec, j.sql) as s;
end;
$$;

comment on function public.titan_schedule_cycle_jobs() is
  'Creates or updates the pg_cron jobs titan-dispatch-cycles (minutes 0, 15, 30 and 45) and '
  'titan-prune-scheduler-history (03:07 daily) and returns them. Run it after enabling pg_cron '
  'on a database where this migration skipped the jobs.';

-- Enables pg_cron and pg_net where the server offers them, then creates the
-- cron jobs. create extension pg_cron fails unless pg_cron is preloaded and this is
-- the database named by cron.database_name, so those are checked first.
do $$
declare
  v_with_schema text := '';
  v_cron_database text := current_setting('cron.database_name', true);
begin
  if exists (select from pg_catalog.pg_namespace where nspname = 'extensions') then
    v_with_schema := ' with schema extensions';
  end if;

  if exists (select from pg_catalog.pg_extension where extname = 'pg_cron') then
    null;
  elsif not exists (select from pg_catalog.pg_available_extensions where name = 'pg_cron') then
    raise notice 'Skipped pg_cron and the cron jobs: pg_cron is not installed on this server. '
      'Install it, add it to shared_preload_libraries, then run: create extension pg_cron; '
      'select * from public.titan_schedule_cycle_jobs();';
  elsif v_cron_database is null then
    raise notice 'Skipped pg_cron and the cron jobs: pg_cron is not in shared_preload_libraries. '
      'Add it, restart Postgres, then run: create extension pg_cron; '
      'select * from public.titan_schedule_cycle_jobs();';
  elsif v_cron_database <> current_database() then
    raise notice 'Skipped pg_cron and the cron jobs: cron.database_name is %, not %. '
      'pg_cron runs jobs only in that database; set cron.database_name to this database to '
      'schedule cycles here.', v_cron_database, current_database();
  else
    execute 'create extension if not exists pg_cron' || v_with_schema;
  end if;

  if exists (select from pg_catalog.pg_extension where extname = 'pg_net') then
    null;
  elsif exists (select from pg_catalog.pg_available_extensions where name = 'pg_net') then
    execute 'create extension if not exists pg_net' || v_with_schema;
  else
    raise notice 'Skipped pg_net: it is not installed on this server, so the '
      'titan-dispatch-cycles job fails until it is. pg_net ships with Supabase; elsewhere '
      'install it, add it to shared_preload_libraries and run: create extension pg_net;';
  end if;

  if to_regclass('vault.decrypted_secrets') is null then
    raise notice 'Vault not found: titan_dispatch_cycles reads the secrets titan_project_url '
      'and titan_cron_secret from vault.decrypted_secrets. Vault is on by default on Supabase.';
  end if;

  if exists (select from pg_catalog.pg_extension where extname = 'pg_cron') then
    perform public.titan_schedule_cycle_jobs();
  end if;
end
$$;

alter table public.trading_markets enable row level security;
alter table public.scheduler_settings enable row level security;
alter table public.cycle_dispatches enable row level security;

revoke all on public.trading_markets, public.scheduler_settings, public.cycle_dispatches
  from anon, authenticated, public;
revoke all on function public.titan_vault_secret(text) from anon, authenticated, public;
revoke all on function public.titan_dispatch_cycles(timestamptz) from anon, authenticated, public;
revoke all on function public.titan_prune_scheduler_history(timestamptz)
  from anon, authenticated, public;
revoke all on function public.titan_schedule_cycle_jobs() from anon, authenticated, public;

grant all on public.trading_markets, public.scheduler_settings, public.cycle_dispatches
  to service_role;
grant execute on function public.titan_vault_secret(text), public.titan_dispatch_cycles(timestamptz),
  public.titan_prune_scheduler_history(timestamptz), public.titan_schedule_cycle_jobs()
  to service_role;
