/**
 * `npm run deploy`: builds the function bundles, pushes the migrations,
 * deploys the three functions and sets their secrets on one Supabase
 * project, after checking the environment file.
 */
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { fail, usageError } from "./lib/cli.ts";
import { checkDeployEnv, readEnvFile, scrub } from "./lib/deploy-env.ts";
import {
  type DeployStep,
  planDeploy,
  PROJECT_REF_PATTERN,
  projectRefOfDbUrl,
} from "./lib/deploy-steps.ts";

const USAGE = `Usage: npm run deploy -- --project-ref REF --db-url URL [options]

Deploys TITAN-OMNI to a Supabase project, in this order, and stops at the
first step that fails:

  1. build              npm run build:functions (fails over the 5 MB limit)
  2. db push            supabase db push --db-url URL --yes
  3. functions deploy   supabase functions deploy run-cycle revoke ingest-logs
                          --project-ref REF --use-api
  4. secrets set        supabase secrets set --env-file FILE --project-ref REF

Before step 1 it checks the environment file: TITAN_CRON_SECRET and
TITAN_REVOKE_SECRET set, at least 16 characters and different, no names
starting with SUPABASE_, and a trading configuration that loads. Nothing is
linked: the project comes from --project-ref only.

Options:
  --project-ref REF   project reference, the 20 letters in https://REF.supabase.co
                      (default: SUPABASE_PROJECT_REF)
  --db-url URL        Postgres URL for the migrations, percent-encoded, from
                      Connect in the dashboard (default: SUPABASE_DB_URL)
  --env-file FILE     the functions' secrets (default .env.production)
  --dry-run           check and print each step without running it
  --help              show this help

The Supabase CLI reads the access token from SUPABASE_ACCESS_TOKEN, or from
\`supabase login\`. Passwords and secret values are never printed.

Exit status: 0 when every step succeeded (or the dry run passed its checks);
2 for invalid options or an invalid environment file, before anything runs;
otherwise the exit status of the step that failed.`;

const REPO_ROOT = resolve(import.meta.dirname, "..");
const SUPABASE_CLI = resolve(REPO_ROOT, "node_modules/.bin/supabase");

interface DeployOptions {
  projectRef: string;
  dbUrl: string;
  envFile: string;
  dryRun: boolean;
}

/** Parses the options; exits with status 2 and the reason when one is missing or invalid. */
function readOptions(): DeployOptions | null {
  const { values } = parseArgs({
    options: {
      "project-ref": { type: "string" },
      "db-url": { type: "string" },
      // NOTE: Node 20 also reads `--env-file FILE` after the script name, so a
      // missing FILE ends the process with status 9 and "node: FILE: not found"
      // before checkEnvFile runs.
      "env-file": { type: "string", default: ".env.production" },
      "dry-run": { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return null;
  const projectRef = values["project-ref"] ?? process.env.SUPABASE_PROJECT_REF ?? "";
  const dbUrl = values["db-url"] ?? process.env.SUPABASE_DB_URL ?? "";
  if (projectRef === "") fail("--project-ref is missing; pass it or set SUPABASE_PROJECT_REF.", USAGE);
  if (!PROJECT_REF_PATTERN.test(projectRef)) {
    fail(
      `Invalid --project-ref ${JSON.stringify(projectRef)}: expected the 20 lower-case ` +
        "letters of the project URL https://<ref>.supabase.co.",
      USAGE,
    );
  }
  if (dbUrl === "") fail("--db-url is missing; pass it or set SUPABASE_DB_URL.", USAGE);
  checkDbUrl(dbUrl, projectRef);
  return { projectRef, dbUrl, envFile: values["env-file"], dryRun: values["dry-run"] };
}

/** Exits with status 2 when the database URL is invalid or names another project. */
function checkDbUrl(dbUrl: string, projectRef: string): void {
  let protocol: string;
  try {
    protocol = new URL(dbUrl).protocol;
  } catch {
    fail(
      "Invalid --db-url: not a URL. Copy it from Connect in the Supabase dashboard and " +
        "percent-encode special characters in the password.",
      USAGE,
    );
  }
  if (protocol !== "postgresql:" && protocol !== "postgres:") {
    fail(`Invalid --db-url: the scheme is ${protocol}, expected postgresql:.`, USAGE);
  }
  const urlRef = projectRefOfDbUrl(dbUrl);
  if (urlRef !== null && urlRef !== projectRef) {
    fail(
      `--db-url belongs to project ${urlRef}, but --project-ref is ${projectRef}; ` +
        "pass the URL and the ref of the same project.",
      USAGE,
    );
  }
}

/** Checks the environment file; exits with status 2 listing every problem. */
function checkEnvFile(path: string): { names: string[]; secretValues: string[] } {
  let env: Record<string, string>;
  try {
    env = readEnvFile(path);
  } catch (error) {
    fail((error as Error).message);
  }
  const check = checkDeployEnv(env);
  for (const warning of check.warnings) console.error(`warning: ${warning}`);
  if (check.problems.length > 0) {
    fail(
      `The environment file ${path} cannot be deployed; nothing was run:\n- ` +
        check.problems.join("\n- "),
    );
  }
  return check;
}

/** Runs one step with the terminal attached; resolves with its exit status. */
function runStep(step: DeployStep): Promise<number> {
  return new Promise((resolveStatus) => {
    const child = spawn(step.command, step.args, { cwd: REPO_ROOT, stdio: "inherit" });
    child.once("error", (error) => {
      console.error(`error: step ${step.name} could not start: ${error.message}`);
      resolveStatus(1);
    });
    child.once("exit", (code, signal) => resolveStatus(code ?? (signal ? 1 : 0)));
  });
}

async function main(): Promise<number> {
  const options = readOptions();
  if (options === null) {
    console.log(USAGE);
    return 0;
  }
  const envFile = resolve(options.envFile);
  const env = checkEnvFile(envFile);
  const steps = planDeploy({ ...options, envFile, supabaseCli: SUPABASE_CLI });
  if (!process.env.SUPABASE_ACCESS_TOKEN) {
    console.error(
      "note: SUPABASE_ACCESS_TOKEN is not set, so the Supabase CLI uses the token that " +
        "`supabase login` stored, if any.",
    );
  }
  console.log(`Secrets to set from ${envFile}: ${env.names.join(", ")} (values not shown).`);
  for (const [index, step] of steps.entries()) {
    const line = `[${index + 1}/${steps.length}] ${step.name}: ${step.display}`;
    console.log(scrub(line, env.secretValues));
    if (options.dryRun) continue;
    const status = await runStep(step);
    if (status !== 0) {
      console.error(
        `error: step ${index + 1} (${step.name}) failed with exit status ${status}; the ` +
          "later steps did not run. Fix the cause above and run npm run deploy again.",
      );
      return status;
    }
  }
  console.log(options.dryRun ? "Dry run: no step was run." : `Deployed to ${options.projectRef}.`);
  return 0;
}

main().then(
  (status) => process.exit(status),
  (error: unknown) => {
    if (usageError(error)) fail(error.message, USAGE);
    throw error;
  },
);
