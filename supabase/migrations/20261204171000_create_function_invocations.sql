-- Creates function_invocations, the audit of every call to an Edge Function
-- (run-cycle, revoke, ingest-logs), accepted or rejected. A function inserts
-- the row when the request arrives and completes it with the HTTP status it
-- answered. Nothing secret is stored: never the Authorization header, only
-- whether it carried the right secret.

create table public.function_invocations (
  id bigserial primary key,
  invocation_id text not null,
  function_name text not null,
  received_at timestamptz not null,
  finished_at timestamptz,
  caller_ip text,
  user_agent text,
  authorized boolean not null,
  http_status smallint,
  reason text,
  constraint function_invocations_invocation_id_key unique (invocation_id),
  constraint function_invocations_function_name_check
    check (function_name in ('run-cycle', 'revoke', 'ingest-logs')),
  constraint function_invocations_http_status_check check (http_status between 100 and 599),
  constraint function_invocations_finished_check
    check ((http_status is null) = (finished_at is null))
);

comment on table public.function_invocations is
  'One row per Edge Function invocation, authorized or not. http_status stays null while the call runs, or when the function was stopped before it answered.';
comment on column public.function_invocations.invocation_id is
  'The id the function returned in the x-titan-invocation-id header and in execution_logs.invocation_id.';
comment on column public.function_invocations.caller_ip is
  'First address of the x-forwarded-for header, as the platform''s proxy sets it; null when absent.';
comment on column public.function_invocations.authorized is
  'True when the Authorization header carried the secret this function accepts.';
comment on column public.function_invocations.reason is
  'What the function did or why it rejected the call, in one line.';

create index function_invocations_received_at_idx on public.function_invocations (received_at);
create index function_invocations_caller_ip_idx on public.function_invocations (caller_ip, received_at);

alter table public.function_invocations enable row level security;

revoke all on table public.function_invocations from anon, authenticated, public;
revoke all on sequence public.function_invocations_id_seq from anon, authenticated, public;
grant all on table public.function_invocations to service_role;
grant all on sequence public.function_invocations_id_seq to service_role;
