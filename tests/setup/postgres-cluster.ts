/**
 * Vitest global setup: a throwaway Postgres cluster for the tests that need a
 * real server. It runs `initdb` in a new temporary folder and starts Postgres on
 * a free loopback port with trust authentication, preloading pg_cron when it is
 * installed. Then it creates the Supabase API roles and applies
 * `supabase/migrations` with the real Supabase CLI (`supabase db push --db-url`)
 * to two databases:
 *
 * - `postgres`: the database pg_cron serves. Tests read its URL with
 *   `inject("titanDatabaseUrl")` or from `process.env.TITAN_TEST_DATABASE_URL`.
 * - `titan_template`: the template that `createTestDatabase()` in
 *   `tests/helpers/database.ts` copies, so each test file gets empty tables.
 *   pg_cron cannot be enabled here, so migrations skip their cron jobs.
 *
 * Teardown stops the cluster and deletes the folder.
 *
 * @module
 */
import { execFileSync, spawnSync } from "node:child_process";
import {
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import postgres from "postgres";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** URL of the migrated `postgres` database of the test cluster. */
    titanDatabaseUrl: string;
    /** Name of the migrated template database that test databases copy. */
    titanTemplateDatabase: string;
    /** True when the cluster preloads pg_cron. */
    titanHasPgCron: boolean;
  }
}

interface Cluster {
  root: string;
  dataDir: string;
  binDir: string;
  runAsPostgres: boolean;
}

export const TEMPLATE_DATABASE = "titan_template";
const REPO_ROOT = resolve(import.meta.dirname, "../..");
const SUPABASE_CLI = join(REPO_ROOT, "node_modules/.bin/supabase");
const INSTALL_HINT =
  "Install Postgres 15 with pg_cron: apt-get install -y postgresql-15 postgresql-15-cron";

let running: Cluster | null = null;

/** Starts the cluster, migrates both databases and provides their names to the tests. */
export async function setup(project: TestProject): Promise<void> {
  const binDir = findBinDir();
  const runAsPostgres = process.getuid?.() === 0;
  const root = mkdtempSync(join(tmpdir(), "titan-pg-"));
  const cluster: Cluster = { root, dataDir: join(root, "data"), binDir, runAsPostgres };
  running = cluster;
  const socketDir = join(root, "sockets");
  mkdirSync(socketDir);
  if (runAsPostgres) chownToPostgres(root, socketDir);

  run(cluster, "initdb", [
    "-D",
    cluster.dataDir,
    "-U",
    "postgres",
    "-A",
    "trust",
    "-E",
    "UTF8",
    "--locale=C",
    "--no-sync",
  ]);
  const port = await freePort();
  const hasPgCron = existsSync(join(binDir, "../lib/pg_cron.so"));
  const serverOptions = [
    `-p ${port}`,
    `-k ${socketDir}`,
    "-c listen_addresses=127.0.0.1",
    "-c fsync=off",
    "-c max_connections=300",
  ];
  if (hasPgCron) {
    serverOptions.push("-c shared_preload_libraries=pg_cron", "-c cron.database_name=postgres");
  }
  run(cluster, "pg_ctl", [
    "-D",
    cluster.dataDir,
    "-l",
    join(root, "postgres.log"),
    "-w",
    "-t",
    "60",
    "-o",
    serverOptions.join(" "),
    "start",
  ]);

  const url = `postgresql://postgres@127.0.0.1:${port}/postgres`;
  await prepareDatabases(url);
  const workdir = copyProject(root);
  pushMigrations(workdir, `${url}?sslmode=disable`);
  pushMigrations(workdir, `${databaseUrl(url, TEMPLATE_DATABASE)}?sslmode=disable`);

  process.env.TITAN_TEST_DATABASE_URL = url;
  project.provide("titanDatabaseUrl", url);
  project.provide("titanTemplateDatabase", TEMPLATE_DATABASE);
  project.provide("titanHasPgCron", hasPgCron);
}

/** Stops the cluster and deletes its folder. */
export function teardown(): void {
  const cluster = running;
  running = null;
  if (cluster === null) return;
  try {
    if (existsSync(join(cluster.dataDir, "postmaster.pid"))) {
      run(cluster, "pg_ctl", ["-D", cluster.dataDir, "-m", "fast", "-w", "stop"]);
    }
  } finally {
    rmSync(cluster.root, { recursive: true, force: true });
  }
}

/** Returns `url` with its database name replaced. */
export function databaseUrl(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** Creates the roles Supabase has and the empty template database. */
async function prepareDatabases(url: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`
      do $$
      begin
        if not exists (select from pg_roles where rolname = 'anon') then
          create role anon nologin noinherit;
        end if;
        if not exists (select from pg_roles where rolname = 'authenticated') then
          create role authenticated nologin noinherit;
        end if;
        if not exists (select from pg_roles where rolname = 'service_role') then
          create role service_role nologin noinherit bypassrls;
        end if;
      end
      $$`);
    await sql.unsafe(`create database ${TEMPLATE_DATABASE}`);
  } finally {
    await sql.end();
  }
}

/**
 * Copies supabase/config.toml and supabase/migrations into the cluster folder,
 * because the CLI writes state files under its work directory.
 */
function copyProject(root: string): string {
  const workdir = join(root, "project");
  cpSync(join(REPO_ROOT, "supabase/config.toml"), join(workdir, "supabase/config.toml"));
  cpSync(join(REPO_ROOT, "supabase/migrations"), join(workdir, "supabase/migrations"), {
    recursive: true,
  });
  return workdir;
}

/** Applies the migrations with the pinned Supabase CLI, as a deploy does. */
function pushMigrations(workdir: string, url: string): void {
  const result = spawnSync(
    SUPABASE_CLI,
    ["db", "push", "--db-url", url, "--yes", "--skip-vault", "--workdir", workdir],
    {
      cwd: workdir,
      encoding: "utf8",
      timeout: 120_000,
      env: { ...process.env, DO_NOT_TRACK: "1", SUPABASE_TELEMETRY_DISABLED: "1" },
    },
  );
  if (result.status !== 0) {
    throw new Error(
      `supabase db push to ${new URL(url).pathname} failed with exit code ${result.status}` +
        `${result.error ? ` (${result.error.message})` : ""}:\n${result.stdout}\n${result.stderr}`,
    );
  }
}

/** Finds initdb, pg_ctl and postgres: `pg_config --bindir` first, then /usr/lib/postgresql. */
function findBinDir(): string {
  const candidates: string[] = [];
  try {
    candidates.push(execFileSync("pg_config", ["--bindir"], { encoding: "utf8" }).trim());
  } catch {
    // pg_config is missing, so only the fixed locations below are tried.
  }
  candidates.push(
    "/usr/lib/postgresql/15/bin",
    "/usr/lib/postgresql/16/bin",
    "/usr/lib/postgresql/17/bin",
  );
  const binDir = candidates.find((dir) =>
    ["initdb", "pg_ctl", "postgres"]
      .every((tool) => existsSync(join(dir, tool)))
  );
  if (binDir === undefined) {
    throw new Error(
      `Starting the test Postgres cluster failed: initdb, pg_ctl and postgres were not found ` +
        `in ${candidates.join(", ")}. ${INSTALL_HINT}`,
    );
  }
  return binDir;
}

/** Runs a Postgres tool, as the `postgres` system user when this process is root. */
function run(cluster: Cluster, tool: string, args: string[]): void {
  const command = join(cluster.binDir, tool);
  const [file, argv] = cluster.runAsPostgres
    ? ["runuser", ["-u", "postgres", "--", command, ...args]]
    : [command, args];
  const result = spawnSync(file, argv, { encoding: "utf8", timeout: 120_000 });
  if (result.status === 0) return;
  const log = join(cluster.root, "postgres.log");
  const serverLog = existsSync(log)
    ? `\nServer log:\n${readFileSync(log, "utf8").slice(-4000)}`
    : "";
  throw new Error(
    `Starting the test Postgres cluster failed: ${tool} exited with ${result.status}` +
      `${result.error ? ` (${result.error.message})` : ""}:\n${result.stdout}\n${result.stderr}` +
      serverLog,
  );
}

/** initdb and postgres reject root, so the cluster runs as the `postgres` system user. */
function chownToPostgres(...paths: string[]): void {
  let uid: number;
  let gid: number;
  try {
    uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
  } catch {
    throw new Error(
      "Starting the test Postgres cluster failed: this process runs as root and there is no " +
        `postgres system user to run initdb as. ${INSTALL_HINT} (the package creates the user).`,
    );
  }
  for (const path of paths) chownSync(path, uid, gid);
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}
