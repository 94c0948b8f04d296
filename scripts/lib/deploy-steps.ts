/**
 * The steps of `npm run deploy`, each a command with the text to print for
 * it, the database password replaced by `[REDACTED]`.
 *
 * @module
 */
import { FUNCTION_NAMES } from "./bundle-build.ts";

export interface DeployStep {
  /** Short name used in progress and error messages, e.g. `db push`. */
  name: string;
  /** Program to run: `npm`, or the path of the Supabase CLI. */
  command: string;
  args: string[];
  /** The command line to print, with secrets redacted. */
  display: string;
}

export interface DeployPlanOptions {
  projectRef: string;
  dbUrl: string;
  envFile: string;
  /** Path of the Supabase CLI binary to run. */
  supabaseCli: string;
}

/** A project ref, as the Supabase CLI checks it: 20 lower-case letters. */
export const PROJECT_REF_PATTERN = /^[a-z]{20}$/;

/** Returns the steps in the order they run. */
export function planDeploy(options: DeployPlanOptions): DeployStep[] {
  const { projectRef, dbUrl, envFile, supabaseCli } = options;
  const cli = (name: string, args: string[]): DeployStep => ({
    name,
    command: supabaseCli,
    args,
    display: ["supabase", ...args.map((arg) => (arg === dbUrl ? redactDbUrl(arg) : arg))]
      .map(shellWord)
      .join(" "),
  });
  return [
    {
      name: "build",
      command: "npm",
      args: ["run", "build:functions"],
      display: "npm run build:functions",
    },
    cli("db push", ["db", "push", "--db-url", dbUrl, "--yes"]),
    cli("functions deploy", [
      "functions",
      "deploy",
      ...FUNCTION_NAMES,
      "--project-ref",
      projectRef,
      "--use-api",
    ]),
    cli("secrets set", ["secrets", "set", "--env-file", envFile, "--project-ref", projectRef]),
  ];
}

/** Quotes a word for display when a shell would split or expand it. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./[\]-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}

/**
 * Returns `url` with its password, and any `password` query parameter,
 * replaced by `[REDACTED]`. A value that does not parse as a URL is replaced
 * whole, because it may contain a password in a form we cannot find.
 */
export function redactDbUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "[REDACTED]";
  }
  const redacted = "REDACTEDPASSWORD";
  if (parsed.password !== "") parsed.password = redacted;
  if (parsed.searchParams.has("password")) parsed.searchParams.set("password", redacted);
  return parsed.toString().replaceAll(redacted, "[REDACTED]");
}

/**
 * Returns the project ref named in a Supabase database URL: the host
 * `db.<ref>.supabase.co` of a direct connection, or the user
 * `postgres.<ref>` of a pooler connection. Null for other URLs.
 */
export function projectRefOfDbUrl(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  const host = /^db\.([a-z]{20})\.supabase\.co$/.exec(parsed.hostname)?.[1];
  if (host !== undefined) return host;
  return /^[^.]+\.([a-z]{20})$/.exec(decodeURIComponent(parsed.username))?.[1] ?? null;
}
