-- Creates blackbox_events, one row per line of an ingested blackbox log, so
-- that an operator can query the logs in Studio. The ingest-logs function
-- fills it. source is the Storage object path of the log, or sha256:<hex> of a
-- log sent as the request body, so ingesting one log twice stores nothing new.
-- A line that does not parse is kept whole in raw with parse_error set.

create table public.blackbox_events (
  id bigserial primary key,
  source text not null,
  line_no integer not null,
  logged_at timestamptz,
  level text,
  event text,
  cycle_id text,
  fields jsonb,
  raw text not null,
  parse_error text,
  invocation_id text not null,
  ingested_at timestamptz not null default now(),
  constraint blackbox_events_source_line_key unique (source, line_no),
  constraint blackbox_events_source_check check (source <> ''),
  constraint blackbox_events_line_no_check check (line_no >= 1),
  constraint blackbox_events_level_check
    check (level in ('DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL')),
  constraint blackbox_events_parsed_check check (
    (parse_error is null)
    = (logged_at is not null and level is not null and event is not null and fields is not null)
  )
);

comment on table public.blackbox_events is
  'Lines of ingested blackbox logs. Unique on (source, line_no): a log ingested again adds no rows.';
comment on column public.blackbox_events.source is
  'Storage object path in the blackbox bucket, or sha256:<hex> of a log sent as the request body.';
comment on column public.blackbox_events.line_no is 'Line number in the log, from 1.';
comment on column public.blackbox_events.cycle_id is 'The line''s cycle_id field, when it has one.';
comment on column public.blackbox_events.fields is 'The key=value fields of the line as a JSON object.';
comment on column public.blackbox_events.raw is 'The line as it was written, without its line break.';
comment on column public.blackbox_events.parse_error is
  'Why the line did not parse; null for a parsed line. Unparsed lines are kept, never dropped.';

create index blackbox_events_cycle_id_idx on public.blackbox_events (cycle_id);
create index blackbox_events_event_logged_at_idx on public.blackbox_events (event, logged_at);

alter table public.blackbox_events enable row level security;

revoke all on table public.blackbox_events from anon, authenticated, public;
revoke all on sequence public.blackbox_events_id_seq from anon, authenticated, public;
grant all on table public.blackbox_events to service_role;
grant all on sequence public.blackbox_events_id_seq to service_role;
