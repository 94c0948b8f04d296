/**
 * `npm run serve`: serves the Edge Functions locally in Deno (the `deno` npm
 * package), configured from `.env`, by starting the dev router
 * `supabase/functions/_dev/router.ts`.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { fail, usageError } from "./lib/cli.ts";
import { localEnv, titanHome } from "./lib/env.ts";

const USAGE = `Usage: npm run serve -- [options]

Serves run-cycle, revoke and ingest-logs at
http://HOST:PORT/functions/v1/<name>, the paths Supabase uses, in one Deno
process. Call them with Authorization: Bearer <TITAN_CRON_SECRET> (run-cycle,
ingest-logs) or <TITAN_REVOKE_SECRET> (revoke), for example:

  curl -X POST -H "Authorization: Bearer $TITAN_CRON_SECRET" \\
    http://127.0.0.1:54321/functions/v1/run-cycle

Records go to DATABASE_URL when it is set, else to the embedded database
under TITAN_HOME (default .titan), migrated on start. Blackbox logs go to the
Storage bucket when SUPABASE_URL is set, else to files under
TITAN_HOME/blackbox. Configuration is read from the environment and from the
environment file; .env.example lists every variable.

Options:
  --port N          port to listen on (default 54321; 0 picks a free port)
  --host ADDR       address to listen on (default 127.0.0.1)
  --env-file FILE   environment file (default .env; a missing file is skipped)
  --help            show this help

Stop it with Ctrl-C. Exit status: the router's, or 2 for invalid options.`;

const REPO_ROOT = resolve(import.meta.dirname, "..");
const DENO = resolve(REPO_ROOT, "node_modules/.bin/deno");
const ROUTER = resolve(REPO_ROOT, "supabase/functions/_dev/router.ts");

function main(): void {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: "54321" },
      host: { type: "string", default: "127.0.0.1" },
      "env-file": { type: "string", default: ".env" },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const envFile = resolve(values["env-file"]);
  if (values["env-file"] !== ".env" && !existsSync(envFile)) {
    fail(`--env-file ${envFile} not found; create it from .env.example.`, USAGE);
  }
  const env = localEnv(envFile);
  const home = titanHome(env);
  mkdirSync(home, { recursive: true });

  // Deno's permissions: any host (Kraken, Supabase, Postgres), and files only
  // in the repository (code, migrations) and TITAN_HOME (database, blackbox).
  const args = [
    "run",
    "--no-prompt",
    "--allow-net",
    "--allow-env",
    "--allow-sys",
    `--allow-read=${REPO_ROOT},${home}`,
    `--allow-write=${home}`,
    ROUTER,
    "--port",
    values.port,
    "--host",
    values.host,
  ];
  const child = spawn(DENO, args, { env: { ...env, TITAN_HOME: home }, stdio: "inherit" });
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => child.kill(signal));
  }
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

try {
  main();
} catch (error) {
  if (usageError(error)) fail(error.message, USAGE);
  throw error;
}
