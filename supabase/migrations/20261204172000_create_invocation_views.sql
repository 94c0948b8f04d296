-- Creates invocations_by_caller, the Studio view for auditing who called the
-- Edge Functions. It reads function_invocations, which an earlier migration
-- creates. The guard leaves the view out, with a notice, on a database whose
-- history lacks that table.

do $$
begin
  if to_regclass('public.function_invocations') is null then
    raise notice 'Skipped view invocations_by_caller: public.function_invocations does not exist. '
      'Apply the migration that creates it, then add this view in a new migration.';
    return;
  end if;

  execute $sql$
    create view public.invocations_by_caller with (security_invoker = true) as
    select
      i.caller_ip,
      i.user_agent,
      i.function_name,
      count(*) as calls,
      count(*) filter (where i.authorized) as authorized_calls,
      count(*) filter (where not i.authorized) as rejected_calls,
      min(i.received_at) as first_seen,
      max(i.received_at) as last_seen,
      (array_agg(i.http_status order by i.received_at desc, i.id desc))[1] as last_status,
      (array_agg(i.reason order by i.received_at desc, i.id desc))[1] as last_reason
    from public.function_invocations i
    group by i.caller_ip, i.user_agent, i.function_name
    order by max(i.received_at) desc, i.function_name
  $sql$;

  comment on view public.invocations_by_caller is
    'One row per caller address, user agent and function: how often it called, how many calls '
    'carried the right secret, and when it was first and last seen, newest caller first.';
  comment on column public.invocations_by_caller.rejected_calls is
    'Calls without the secret the function accepts. Any row with rejected calls is a caller '
    'to look into.';
  comment on column public.invocations_by_caller.last_status is
    'HTTP status of the caller''s newest call; null while it runs or when the function stopped '
    'before answering.';

  revoke all on public.invocations_by_caller from anon, authenticated, public;
  grant select on public.invocations_by_caller to service_role;
end
$$;
