-- Keeps the public schema to the service side. Row level security is on for
-- every table with no policy, so anon and authenticated (the roles behind the
-- public API keys) get no rows even where a grant slips through. Their grants,
-- and PUBLIC's, are revoked on every table, sequence and function, including the
-- grants Supabase gives them by default. service_role keeps full access.
-- A migration that adds a table must enable row level security on it as well.

alter table public.execution_logs enable row level security;
alter table public.system_state enable row level security;
alter table public.paper_account enable row level security;
alter table public.paper_balances enable row level security;
alter table public.orders enable row level security;

revoke all on all tables in schema public from anon, authenticated, public;
revoke all on all sequences in schema public from anon, authenticated, public;
revoke all on all functions in schema public from anon, authenticated, public;

-- Later migrations lose the grants Supabase adds for anon and authenticated on
-- new objects of this schema (for objects the migration role creates). PUBLIC keeps
-- EXECUTE on new functions because that default is global, so a migration that
-- adds a function must revoke it from public, anon and authenticated itself.
alter default privileges in schema public revoke all on tables from anon, authenticated;
alter default privileges in schema public revoke all on sequences from anon, authenticated;
alter default privileges in schema public revoke all on functions from anon, authenticated;

grant usage on schema public to service_role;
grant all on all tables in schema public to service_role;
grant all on all sequences in schema public to service_role;
grant execute on all functions in schema public to service_role;
