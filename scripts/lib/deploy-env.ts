/**
 * Checks the environment file that `npm run deploy` sets as the functions'
 * secrets, before anything is deployed. Messages name variables, never
 * their values.
 *
 * @module
 */
import { existsSync, readFileSync } from "node:fs";
import { parseEnv } from "node:util";
import { ConfigError, loadConfig } from "../../shared/config/config.ts";
import { readFunctionSettings } from "../../supabase/functions/_shared/settings.ts";

/** Port of Supabase's transaction pooler, which serverless code should use. */
const TRANSACTION_POOLER_PORT = "6543";

/** Variables that contain secrets although the function settings do not list them. */
const EXTRA_SECRET_NAMES = ["TITAN_SUPABASE_ACCESS_TOKEN"];

export interface DeployEnvCheck {
  /** Variable names in the file, sorted. */
  names: string[];
  /** Reasons the file must not be deployed; empty when it may. */
  problems: string[];
  /** Doubts that do not stop the deploy. */
  warnings: string[];
  /** Secret values in the file, to remove from any message. */
  secretValues: string[];
}

/** Reads `path` as a .env file. Throws an Error naming the file when it cannot be read. */
export function readEnvFile(path: string): Record<string, string> {
  if (!existsSync(path)) {
    throw new Error(
      `The environment file ${path} does not exist; create it from .env.example with the ` +
        "production values, or pass another one with --env-file.",
    );
  }
  const parsed = parseEnv(readFileSync(path, "utf8"));
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(parsed)) {
    if (value !== undefined) env[name] = value;
  }
  return env;
}

/**
 * Checks the variables the functions will receive: both caller secrets set,
 * long enough and different, no `SUPABASE_` names (the platform sets those
 * and the CLI skips them), a valid DATABASE_URL when set, and a trading
 * configuration that `loadConfig` accepts.
 */
export function checkDeployEnv(env: Record<string, string>): DeployEnvCheck {
  const settings = readFunctionSettings(env);
  const secretValues = [
    ...settings.secretValues,
    ...EXTRA_SECRET_NAMES.map((name) => env[name]).filter((v): v is string => Boolean(v)),
  ];
  const problems = [...settings.problems];
  for (const name of ["TITAN_CRON_SECRET", "TITAN_REVOKE_SECRET"]) {
    if (!env[name]) {
      problems.push(
        `${name} is missing or empty; set it to a random value of at least 16 characters ` +
          "(for example the output of openssl rand -hex 32).",
      );
    }
  }
  const reserved = Object.keys(env).filter((name) => name.startsWith("SUPABASE_"));
  if (reserved.length > 0) {
    problems.push(
      `${reserved.join(", ")}: Supabase rejects function secrets whose names start with ` +
        "SUPABASE_ (the platform sets SUPABASE_URL, SUPABASE_DB_URL and the keys itself); " +
        "remove them, and set the Management API token and project ref as " +
        "TITAN_SUPABASE_ACCESS_TOKEN and TITAN_SUPABASE_PROJECT_REF.",
    );
  }
  const database = checkDatabaseUrl(env);
  if (database.problem) problems.push(database.problem);
  const configProblem = configError(env);
  if (configProblem !== null) problems.push(scrub(configProblem, secretValues));
  const names = Object.keys(env).sort();
  return { names, problems, warnings: database.warnings, secretValues };
}

/** Replaces every secret value in `text` with `[REDACTED]`, longest first. */
export function scrub(text: string, secretValues: readonly string[]): string {
  const sorted = [...secretValues].filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
  return sorted.reduce((out, secret) => out.split(secret).join("[REDACTED]"), text);
}

function configError(env: Record<string, string>): string | null {
  try {
    loadConfig(env);
    return null;
  } catch (error) {
    if (error instanceof ConfigError) return `The trading configuration is invalid: ${error.message}`;
    throw error;
  }
}

/** Returns a problem for an invalid DATABASE_URL, or warnings when it is not the pooler. */
function checkDatabaseUrl(env: Record<string, string>): { problem?: string; warnings: string[] } {
  const url = env.DATABASE_URL;
  if (!url) {
    return {
      warnings: [
        "DATABASE_URL is not set, so the functions connect with SUPABASE_DB_URL, a direct " +
          "connection; set DATABASE_URL to the transaction pooler URL (port " +
          `${TRANSACTION_POOLER_PORT}) from Connect in the Supabase dashboard.`,
      ],
    };
  }
  let port: string;
  try {
    port = new URL(url).port;
  } catch {
    return {
      problem: "DATABASE_URL is not a valid URL; percent-encode special characters in the " +
        "password, or copy the URL again from Connect in the Supabase dashboard.",
      warnings: [],
    };
  }
  if (port === TRANSACTION_POOLER_PORT) return { warnings: [] };
  return {
    warnings: [
      `DATABASE_URL uses port ${port || "5432 (the default)"}, not ${TRANSACTION_POOLER_PORT}, ` +
        "the transaction pooler that serverless functions should use.",
    ],
  };
}
