-- Creates the API roles that every Supabase project has (anon, authenticated,
-- service_role) when they are missing, with the attributes Supabase gives them.
-- On Supabase this changes nothing. It lets the same migrations run on a plain
-- Postgres cluster and on PGlite, where later migrations grant and revoke on these roles.

do $$
begin
  if not exists (select from pg_catalog.pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
  if not exists (select from pg_catalog.pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
  if not exists (select from pg_catalog.pg_roles where rolname = 'service_role') then
    create role service_role nologin noinherit bypassrls;
  end if;
end
$$;
