/**
 * Fresh, migrated Postgres databases for the bench's cold-start runs, on a
 * server the caller names or on a throwaway cluster started here on a free
 * loopback port. The cluster is created with initdb and started with pg_ctl,
 * as the `postgres` system user when this process is root, because initdb
 * and postgres reject root.
 *
 * The migrations are applied once to a template database by the project's
 * own runner (`applyMigrations`, the one the embedded database uses), and
 * each fresh database is a copy of it.
 *
 * @module
 */
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { createPostgresClient } from "../../../shared/journal/drivers/postgres.ts";
import { applyMigrations } from "../../../shared/journal/migrations.ts";
import { MIGRATIONS_DIR } from "../journal.ts";
import { loadMigrations } from "../migrations.ts";

export interface BenchDatabases {
  /** Description of the server, for the page's Method section; never contains a password. */
  description: string;
  /** Creates an empty, migrated database and returns its URL. */
  createDatabase(): Promise<string>;
  /** Drops the databases created here, and stops a cluster started here. */
  close(): Promise<void>;
}

const BIN_DIRS = [
  "/usr/lib/postgresql/15/bin",
  "/usr/lib/postgresql/16/bin",
  "/usr/lib/postgresql/17/bin",
];

/**
 * Opens the databases on `adminUrl`, a server where this user may create
 * databases, or on a new throwaway cluster when `adminUrl` is undefined.
 * Throws when initdb, pg_ctl and postgres are not installed, or when the
 * cluster does not start.
 */
export async function openBenchDatabases(adminUrl?: string): Promise<BenchDatabases> {
  if (adminUrl !== undefined) {
    return await onServer(adminUrl, "the Postgres server passed with --postgres-url");
  }
  const cluster = await startCluster();
  try {
    const databases = await onServer(
      cluster.url,
      `a throwaway Postgres ${cluster.version} cluster`,
    );
    return {
      ...databases,
      close: async () => {
        await databases.close();
        cluster.stop();
      },
    };
  } catch (error) {
    cluster.stop();
    throw error;
  }
}

async function onServer(adminUrl: string, where: string): Promise<BenchDatabases> {
  const suffix = randomBytes(4).toString("hex");
  const template = `titan_bench_template_${suffix}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  const created: string[] = [];
  try {
    await admin.unsafe(`create database ${template}`);
    const client = createPostgresClient(withDatabase(adminUrl, template), { maxConnections: 1 });
    try {
      await applyMigrations(client, loadMigrations(MIGRATIONS_DIR));
    } finally {
      await client.close();
    }
  } catch (error) {
    await admin.end({ timeout: 5 });
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(
      `Creating the migrated template database on ${new URL(adminUrl).host} failed: ${message}`,
      { cause: error },
    );
  }
  const version = (await admin`show server_version`)[0]?.server_version ?? "unknown";
  return {
    description: `${where} (server version ${version}), one database per run copied from a ` +
      "migrated template",
    createDatabase: async () => {
      const name = `titan_bench_${suffix}_${created.length}`;
      await admin.unsafe(`create database ${name} template ${template}`);
      created.push(name);
      return withDatabase(adminUrl, name);
    },
    close: async () => {
      try {
        for (const name of [...created, template]) {
          await admin.unsafe(`drop database if exists ${name} with (force)`);
        }
      } finally {
        await admin.end({ timeout: 5 });
      }
    },
  };
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

interface Cluster {
  url: string;
  version: string;
  stop(): void;
}

async function startCluster(): Promise<Cluster> {
  const binDir = findBinDir();
  const root = mkdtempSync(join(tmpdir(), "titan-bench-pg-"));
  const asPostgres = process.getuid?.() === 0;
  if (asPostgres) chownToPostgres(root);
  const dataDir = join(root, "data");
  const log = join(root, "postgres.log");
  const tool = (name: string, args: string[]) => runTool(binDir, name, args, asPostgres, log);
  let started = false;
  const stop = () => {
    try {
      if (started) tool("pg_ctl", ["-D", dataDir, "-m", "fast", "-w", "stop"]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  };
  try {
    tool("initdb", ["-D", dataDir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C"]);
    const port = await freePort();
    const serverOptions = `-p ${port} -k ${root} -c listen_addresses=127.0.0.1`;
    tool("pg_ctl", ["-D", dataDir, "-l", log, "-w", "-t", "60", "-o", serverOptions, "start"]);
    started = true;
    const version = readFileSync(join(dataDir, "PG_VERSION"), "utf8").trim();
    return { url: `postgresql://postgres@127.0.0.1:${port}/postgres`, version, stop };
  } catch (error) {
    stop();
    throw error;
  }
}

/** Finds initdb, pg_ctl and postgres: `pg_config --bindir` first, then /usr/lib/postgresql. */
function findBinDir(): string {
  const candidates: string[] = [];
  try {
    candidates.push(execFileSync("pg_config", ["--bindir"], { encoding: "utf8" }).trim());
  } catch {
    // Without pg_config only the fixed folders are tried.
  }
  candidates.push(...BIN_DIRS);
  const found = candidates.find((dir) =>
    ["initdb", "pg_ctl", "postgres"].every((name) => existsSync(join(dir, name)))
  );
  if (found === undefined) {
    throw new Error(
      `Starting a Postgres cluster failed: initdb, pg_ctl and postgres are not in ` +
        `${candidates.join(", ")}. Install Postgres 15 or pass --postgres-url.`,
    );
  }
  return found;
}

function runTool(binDir: string, name: string, args: string[], asPostgres: boolean, log: string) {
  const command = join(binDir, name);
  const [file, argv] = asPostgres
    ? ["runuser", ["-u", "postgres", "--", command, ...args]]
    : [command, args];
  const result = spawnSync(file, argv, { encoding: "utf8", timeout: 120_000 });
  if (result.status === 0) return;
  const serverLog = existsSync(log)
    ? `\nServer log:\n${readFileSync(log, "utf8").slice(-2000)}`
    : "";
  throw new Error(
    `Starting a Postgres cluster failed: ${name} exited with ${result.status}` +
      `${result.error ? ` (${result.error.message})` : ""}:\n${result.stderr}${serverLog}`,
  );
}

function chownToPostgres(path: string): void {
  let uid: number;
  let gid: number;
  try {
    uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
  } catch {
    throw new Error(
      "Starting a Postgres cluster failed: this process runs as root and there is no " +
        "postgres system user to run initdb as. Install Postgres 15, which creates it, or " +
        "pass --postgres-url.",
    );
  }
  chownSync(path, uid, gid);
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
