-- Creates the private Storage bucket blackbox, where run-cycle uploads one
-- plain-text log per cycle. Only the service side reads or writes it: the
-- bucket is not public and no storage.objects policy grants anon or
-- authenticated anything. An existing bucket of that name is made private.
-- Where the storage schema does not exist (a plain Postgres cluster, the
-- embedded database) the migration changes nothing and raises a notice.

do $$
begin
  if to_regclass('storage.buckets') is null then
    raise notice 'storage.buckets does not exist: skipped creating the Storage bucket blackbox. '
      'On Supabase this migration creates it; elsewhere the blackbox is written to local files.';
    return;
  end if;
  execute $sql$
    insert into storage.buckets (id, name, public)
    values ('blackbox', 'blackbox', false)
    on conflict (id) do update set public = false
  $sql$;
end
$$;
