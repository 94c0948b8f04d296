-- Test double for pg_net, installed by tests on databases without the
-- extension. It is not a migration and never runs on Supabase.
-- net.http_post has pg_net's signature but sends nothing: it records its
-- arguments in net.recorded_requests and returns the row id as the request id.
-- net._http_response has the columns of pg_net's response table, so a test can
-- insert the outcome of a request and read it through the recent_dispatches view.

create schema net;

create table net.recorded_requests (
  id bigint generated always as identity primary key,
  url text not null,
  body jsonb,
  params jsonb,
  headers jsonb,
  timeout_milliseconds integer
);

create function net.http_post(
  url text,
  body jsonb default '{}'::jsonb,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{"Content-Type": "application/json"}'::jsonb,
  timeout_milliseconds integer default 5000
)
returns bigint
language sql
as $$
  insert into net.recorded_requests (url, body, params, headers, timeout_milliseconds)
  values (url, body, params, headers, timeout_milliseconds)
  returning id
$$;

create table net._http_response (
  id bigint,
  status_code integer,
  content_type text,
  headers jsonb,
  content text,
  timed_out boolean,
  error_msg text,
  created timestamptz not null default now()
);
