-- ingest-logs now keys every ingested log by the SHA-256 of its text, whether
-- it arrives as the request body or by its Storage path, so the same log sent
-- both ways is stored once. Only the column's description changes.
comment on column public.blackbox_events.source is
  'sha256:<hex> of the log text, whether it arrived as the request body or by its Storage path.';
