/**
 * The local dev router: serves run-cycle, revoke and ingest-logs in one Deno
 * process at `http://HOST:PORT/functions/v1/<name>`, the paths Supabase uses.
 * It reads the same environment as the deployed functions, plus:
 *
 * - no DATABASE_URL: the embedded database (PGlite) under TITAN_HOME/db,
 *   migrated on start;
 * - no SUPABASE_URL: blackbox files under TITAN_HOME/blackbox;
 * - TITAN_DEV_CLOCK_START: a start time for the clock (see dev-clock.ts).
 *
 * Options: `--port N` (default 54321, 0 for any free port), `--host ADDR`
 * (default 127.0.0.1). Once listening it prints one JSON line
 * `{"event":"listening","url":...}` on standard output. `npm run serve` starts it.
 *
 * @module
 */
import { mkdir } from "node:fs/promises";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { applyMigrations, createPgliteClient } from "../../../shared/journal/drivers/pglite.ts";
import type { SqlClient } from "../../../shared/journal/sql-client.ts";
import { loadMigrations } from "../../../scripts/lib/migrations.ts";
import type { Handler } from "../_shared/invocation.ts";
import { createRuntime, type Runtime } from "../_shared/runtime.ts";
import { type FunctionName, secretFor } from "../_shared/settings.ts";
import { ingestLogsHandler } from "../ingest-logs/wiring.ts";
import { revokeHandler } from "../revoke/wiring.ts";
import { runCycleHandler } from "../run-cycle/wiring.ts";
import { devClock } from "./dev-clock.ts";

const MIGRATIONS_DIR = resolve(import.meta.dirname!, "../../migrations");
const PREFIX = "/functions/v1/";

/** Opens PGlite in `dataDir`, creating it when needed, and applies pending migrations. */
async function openEmbedded(dataDir: string): Promise<SqlClient> {
  await mkdir(dataDir, { recursive: true });
  const client = await createPgliteClient(dataDir);
  await applyMigrations(client, loadMigrations(MIGRATIONS_DIR));
  return client;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      port: { type: "string", default: "54321" },
      host: { type: "string", default: "127.0.0.1" },
    },
    strict: true,
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`Invalid --port ${JSON.stringify(values.port)}: expected 0 to 65535.`);
  }
  const env = Deno.env.toObject();
  const runtime = await createRuntime({
    env,
    clock: devClock(env.TITAN_DEV_CLOCK_START),
    openEmbedded,
    memoryUsage: () => Deno.memoryUsage(),
  });
  const handlers: Record<string, Handler> = {
    "run-cycle": runCycleHandler(runtime),
    "revoke": revokeHandler(runtime),
    "ingest-logs": ingestLogsHandler(runtime),
  };

  for (const line of setupLines(runtime, Object.keys(handlers) as FunctionName[])) {
    console.error(line);
  }

  const server = Deno.serve({
    hostname: values.host,
    port,
    onListen: ({ hostname, port }) => {
      console.log(JSON.stringify({ event: "listening", url: `http://${hostname}:${port}` }));
    },
  }, (request) => route(handlers, request));

  const stop = async () => {
    await server.shutdown();
    await runtime.close();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
}

/** Lists where records go and each function left without a usable secret. */
function setupLines(runtime: Runtime, names: readonly FunctionName[]): string[] {
  const { settings } = runtime;
  const home = resolve(settings.home);
  const database = settings.databaseUrl === null
    ? `embedded database in ${home}/db`
    : "DATABASE_URL";
  const blackbox = settings.storage === null
    ? `files under ${home}/blackbox`
    : `Storage at ${settings.storage.url}`;
  const lines = [`records: ${database}; blackbox: ${blackbox}`];
  for (const problem of settings.problems) {
    lines.push(`warning: every function responds with 500 until this is fixed: ${problem}`);
  }
  if (settings.problems.length > 0) return lines;
  for (const name of names) {
    const secret = secretFor(settings, name);
    if ("problem" in secret) {
      lines.push(`warning: ${name} responds with 500 until this is fixed: ${secret.problem}`);
    }
  }
  return lines;
}

async function route(handlers: Record<string, Handler>, request: Request): Promise<Response> {
  const started = performance.now();
  const { pathname } = new URL(request.url);
  const name = pathname.startsWith(PREFIX) ? pathname.slice(PREFIX.length).replace(/\/+$/, "") : "";
  const handler = handlers[name];
  const response = handler ? await handler(request) : Response.json(
    {
      error: `No function at ${pathname}; use ${
        Object.keys(handlers).map((n) => PREFIX + n).join(", ")
      }.`,
    },
    { status: 404 },
  );
  const id = response.headers.get("x-titan-invocation-id") ?? "-";
  const ms = Math.round(performance.now() - started);
  console.log(`${request.method} ${pathname} ${response.status} ${ms} ms invocation ${id}`);
  return response;
}

main().catch((error) => {
  console.error(
    `Starting the dev router failed: ${error instanceof Error ? error.message : error}`,
  );
  Deno.exit(1);
});
