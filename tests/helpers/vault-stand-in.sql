-- Stand-in for Supabase Vault, installed by tests on databases without it. It
-- is not a migration and never runs on Supabase. It keeps secrets in plain text
-- under the names and columns titan_vault_secret reads from vault.decrypted_secrets.

create schema vault;

create table vault.decrypted_secrets (
  name text primary key,
  decrypted_secret text
);
