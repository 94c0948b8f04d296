/**
 * The function-side settings read from the environment: the callers'
 * secrets, the database, Storage and the Management API. Trading settings
 * come from `loadConfig` in shared/config. This module never throws but lists
 * problems, so a misconfigured function still audits and responds to each call.
 *
 * @module
 */
import type { Env } from "../../../shared/config/config.ts";

export type FunctionName = "run-cycle" | "revoke" | "ingest-logs";

/** Shortest accepted caller secret; `openssl rand -hex 32` gives 64 characters. */
export const MIN_SECRET_CHARS = 16;

const DEFAULT_MANAGEMENT_API_URL = "https://api.supabase.com";

export interface StorageSettings {
  url: string;
  /** The secret key (`SUPABASE_SECRET_KEYS`) or the legacy service role key. */
  key: string;
}

export type ManagementSettings =
  | { configured: true; apiUrl: string; projectRef: string; token: string }
  | { configured: false; missing: string[] };

export interface FunctionSettings {
  cronSecret: string | null;
  revokeSecret: string | null;
  /** Problems that every function reports with status 500 until they are fixed. */
  problems: string[];
  /** `DATABASE_URL`, else `SUPABASE_DB_URL`; null means the embedded database. */
  databaseUrl: string | null;
  /** `TITAN_HOME`, default `.titan`: the embedded database and blackbox files. */
  home: string;
  /** Null means blackbox files under `home`. */
  storage: StorageSettings | null;
  management: ManagementSettings;
  /** Every secret value, to remove from anything written or returned. */
  secretValues: string[];
}

/** Reads the settings, listing problems instead of throwing (see the module comment). */
export function readFunctionSettings(env: Env): FunctionSettings {
  const problems: string[] = [];
  const cronSecret = readSecret(env, "TITAN_CRON_SECRET", problems);
  const revokeSecret = readSecret(env, "TITAN_REVOKE_SECRET", problems);
  if (cronSecret !== null && cronSecret === revokeSecret) {
    problems.push(
      "TITAN_REVOKE_SECRET must differ from TITAN_CRON_SECRET, so that whoever can run " +
        "cycles cannot use the kill switch and the reverse; set a new TITAN_REVOKE_SECRET.",
    );
  }
  const storage = readStorage(env, problems);
  const management = readManagement(env);
  const databaseUrl = value(env, "DATABASE_URL") ?? value(env, "SUPABASE_DB_URL");
  const secretValues = [
    cronSecret,
    revokeSecret,
    storage?.key,
    management.configured ? management.token : null,
    value(env, "KRAKEN_API_KEY"),
    value(env, "KRAKEN_API_SECRET"),
    databaseUrl,
    databaseUrl === null ? null : passwordOf(databaseUrl),
  ].filter((s): s is string => typeof s === "string" && s.length >= 4);
  return {
    cronSecret,
    revokeSecret,
    problems,
    databaseUrl,
    home: value(env, "TITAN_HOME") ?? ".titan",
    storage,
    management,
    secretValues,
  };
}

/** Returns the secret `name` accepts, or why it has none. */
export function secretFor(
  settings: FunctionSettings,
  name: FunctionName,
): { secret: string } | { problem: string } {
  const variable = name === "revoke" ? "TITAN_REVOKE_SECRET" : "TITAN_CRON_SECRET";
  const secret = name === "revoke" ? settings.revokeSecret : settings.cronSecret;
  if (settings.problems.length > 0) return { problem: settings.problems.join(" ") };
  if (secret === null) {
    return {
      problem:
        `${variable} is not set; set it (for example to the output of openssl rand -hex 32).`,
    };
  }
  return { secret };
}

function readSecret(env: Env, name: string, problems: string[]): string | null {
  const secret = value(env, name);
  if (secret === null) return null;
  if (secret.length < MIN_SECRET_CHARS) {
    problems.push(
      `${name} is ${secret.length} characters long, below the minimum of ${MIN_SECRET_CHARS}; ` +
        "set a longer one (for example the output of openssl rand -hex 32).",
    );
    return null;
  }
  return secret;
}

function readStorage(env: Env, problems: string[]): StorageSettings | null {
  const url = value(env, "SUPABASE_URL");
  if (url === null) return null;
  const keys = value(env, "SUPABASE_SECRET_KEYS");
  let key: string | null = null;
  if (keys !== null) {
    key = firstSecretKey(keys);
    if (key === null) {
      problems.push(
        "SUPABASE_SECRET_KEYS is not a JSON object of named secret keys such as " +
          '{"default":"sb_secret_..."}; fix or unset it.',
      );
    }
  }
  key ??= value(env, "SUPABASE_SERVICE_ROLE_KEY");
  if (key === null) {
    if (keys === null) {
      problems.push(
        "SUPABASE_URL is set but neither SUPABASE_SECRET_KEYS nor SUPABASE_SERVICE_ROLE_KEY is; " +
          "set one, or unset SUPABASE_URL to write the blackbox to local files.",
      );
    }
    return null;
  }
  return { url, key };
}

/** Returns the `default` key of a SUPABASE_SECRET_KEYS object, else its first string value. */
function firstSecretKey(json: string): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return null;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return null;
  const entries = parsed as Record<string, unknown>;
  const preferred = entries.default;
  if (typeof preferred === "string" && preferred !== "") return preferred;
  const first = Object.values(entries).find((v) => typeof v === "string" && v !== "");
  return typeof first === "string" ? first : null;
}

/**
 * The Management API access. Supabase rejects custom function secrets whose
 * names start with `SUPABASE_`, so on the platform the token and the project
 * ref are set as `TITAN_SUPABASE_ACCESS_TOKEN` and `TITAN_SUPABASE_PROJECT_REF`.
 * The `SUPABASE_` names work where the environment is set directly, as in
 * local runs and tests. Without a ref, the one in SUPABASE_URL
 * (`<ref>.supabase.co`) is used.
 */
function readManagement(env: Env): ManagementSettings {
  const token = value(env, "TITAN_SUPABASE_ACCESS_TOKEN") ?? value(env, "SUPABASE_ACCESS_TOKEN");
  const projectRef = value(env, "TITAN_SUPABASE_PROJECT_REF") ??
    value(env, "SUPABASE_PROJECT_REF") ??
    refFromUrl(value(env, "SUPABASE_URL"));
  const missing: string[] = [];
  if (token === null) {
    missing.push("SUPABASE_ACCESS_TOKEN (TITAN_SUPABASE_ACCESS_TOKEN on Supabase)");
  }
  if (projectRef === null) {
    missing.push("SUPABASE_PROJECT_REF (TITAN_SUPABASE_PROJECT_REF on Supabase)");
  }
  if (token === null || projectRef === null) return { configured: false, missing };
  const apiUrl = (value(env, "SUPABASE_MANAGEMENT_API_URL") ?? DEFAULT_MANAGEMENT_API_URL).replace(
    /\/+$/,
    "",
  );
  return { configured: true, apiUrl, projectRef, token };
}

function refFromUrl(url: string | null): string | null {
  if (url === null) return null;
  try {
    const match = /^([a-z0-9]+)\.supabase\.co$/.exec(new URL(url).hostname);
    return match?.[1] ?? null;
  } catch {
    return null;
  }
}

function passwordOf(url: string): string | null {
  try {
    const password = new URL(url).password;
    return password === "" ? null : decodeURIComponent(password);
  } catch {
    return null;
  }
}

/** Empty variables count as unset, as in loadConfig. */
function value(env: Env, name: string): string | null {
  const text = env[name];
  return text === undefined || text === "" ? null : text;
}
