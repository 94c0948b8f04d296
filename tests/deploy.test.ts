import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clusterUrl } from "./helpers/database.ts";

const REPO_ROOT = resolve(import.meta.dirname, "..");
const TSX = join(REPO_ROOT, "node_modules/.bin/tsx");
const REF = "abcdefghijklmnopqrst";
const CRON_SECRET = "deploy-test-cron-secret-0123456789abcdef";
const REVOKE_SECRET = "deploy-test-revoke-secret-fedcba9876543210";
const ENV_DB_PASSWORD = "env-file-db-password-123456";
const DB_PASSWORD = "cli-db-password-654321";
const ACCESS_TOKEN = `sbp_${"0123456789abcdef".repeat(2)}01234567`;
const SECRET_VALUES = [CRON_SECRET, REVOKE_SECRET, ENV_DB_PASSWORD, DB_PASSWORD, ACCESS_TOKEN];

const SAMPLE_ENV = [
  "# Production secrets of the functions",
  `TITAN_CRON_SECRET=${CRON_SECRET}`,
  `TITAN_REVOKE_SECRET=${REVOKE_SECRET}`,
  "TITAN_MARKETS=BTC/USD",
  "SYSTEM_MODE=PAPER",
  `DATABASE_URL=postgresql://postgres.${REF}:${ENV_DB_PASSWORD}` +
  "@aws-0-eu-west-1.pooler.supabase.com:6543/postgres",
].join("\n");

let folder = "";
beforeAll(() => {
  folder = mkdtempSync(join(tmpdir(), "titan-deploy-"));
});
afterAll(() => {
  if (folder) rmSync(folder, { recursive: true, force: true });
});

function envFile(name: string, text: string): string {
  const path = join(folder, name);
  writeFileSync(path, `${text}\n`);
  return path;
}

interface DeployRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `npm run deploy` (scripts/deploy.ts) with only PATH, HOME and `env`
 * set. It does not block the event loop, so the stand-in API served from
 * this process can respond to the CLI.
 */
function deploy(args: string[], env: Record<string, string> = {}): Promise<DeployRun> {
  const child = spawn(TSX, ["scripts/deploy.ts", ...args], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: folder,
      DO_NOT_TRACK: "1",
      SUPABASE_TELEMETRY_DISABLED: "1",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += String(chunk)));
  child.stderr.on("data", (chunk: Buffer) => (stderr += String(chunk)));
  return new Promise((resolveRun, reject) => {
    child.once("error", reject);
    child.once("close", (status) => resolveRun({ status, stdout, stderr }));
  });
}

function stepLines(stdout: string): string[] {
  return stdout.split("\n").filter((line) => /^\[\d\/4\] /.test(line));
}

const supabaseDbUrl = `postgresql://postgres:${DB_PASSWORD}@db.${REF}.supabase.co:5432/postgres`;

describe("npm run deploy --dry-run", () => {
  it("prints the steps in order", async () => {
    const path = envFile("steps.env", SAMPLE_ENV);
    const run = await deploy(["--project-ref", REF, "--db-url", supabaseDbUrl, "--env-file", path,
      "--dry-run"]);
    expect(run.status, run.stderr).toBe(0);
    expect(stepLines(run.stdout)).toEqual([
      "[1/4] build: npm run build:functions",
      `[2/4] db push: supabase db push --db-url postgresql://postgres:[REDACTED]@db.${REF}` +
      ".supabase.co:5432/postgres --yes",
      `[3/4] functions deploy: supabase functions deploy run-cycle revoke ingest-logs ` +
      `--project-ref ${REF} --use-api`,
      `[4/4] secrets set: supabase secrets set --env-file ${path} --project-ref ${REF}`,
    ]);
    expect(run.stdout).toContain("Dry run: no step was run.");
  });

  it("never prints a password or secret", async () => {
    const path = envFile("redact.env", SAMPLE_ENV);
    const run = await deploy(
      ["--project-ref", REF, "--db-url", supabaseDbUrl, "--env-file", path, "--dry-run"],
      { SUPABASE_ACCESS_TOKEN: ACCESS_TOKEN },
    );
    expect(run.status, run.stderr).toBe(0);
    for (const secret of SECRET_VALUES) {
      expect(run.stdout).not.toContain(secret);
      expect(run.stderr).not.toContain(secret);
    }
  });

  it("names the secrets it will set", async () => {
    const path = envFile("names.env", SAMPLE_ENV);
    const run = await deploy(["--project-ref", REF, "--db-url", supabaseDbUrl, "--env-file", path,
      "--dry-run"]);
    expect(run.stdout).toContain(
      "DATABASE_URL, SYSTEM_MODE, TITAN_CRON_SECRET, TITAN_MARKETS, TITAN_REVOKE_SECRET",
    );
  });
});

describe("npm run deploy checks", () => {
  const rejected = async (name: string, text: string, args: string[] = []) => {
    const path = envFile(name, text);
    return await deploy(["--project-ref", REF, "--db-url", supabaseDbUrl, "--env-file", path,
      ...args]);
  };

  it("rejects a missing revoke secret", async () => {
    const run = await rejected("missing.env", `TITAN_CRON_SECRET=${CRON_SECRET}`);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("TITAN_REVOKE_SECRET is missing or empty");
    expect(stepLines(run.stdout)).toEqual([]);
  });

  it("rejects equal secrets", async () => {
    const run = await rejected(
      "equal.env",
      `TITAN_CRON_SECRET=${CRON_SECRET}\nTITAN_REVOKE_SECRET=${CRON_SECRET}`,
    );
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("TITAN_REVOKE_SECRET must differ from TITAN_CRON_SECRET");
    expect(run.stderr).not.toContain(CRON_SECRET);
    expect(stepLines(run.stdout)).toEqual([]);
  });

  it("rejects a short secret", async () => {
    const run = await rejected(
      "short.env",
      `TITAN_CRON_SECRET=short\nTITAN_REVOKE_SECRET=${REVOKE_SECRET}`,
    );
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("TITAN_CRON_SECRET is 5 characters long");
  });

  it("rejects SUPABASE_ names", async () => {
    const run = await rejected("reserved.env", `${SAMPLE_ENV}\nSUPABASE_ACCESS_TOKEN=${ACCESS_TOKEN}`);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("SUPABASE_ACCESS_TOKEN: Supabase rejects function secrets");
    expect(run.stderr).not.toContain(ACCESS_TOKEN);
  });

  it("rejects an invalid configuration", async () => {
    const run = await rejected("config.env", `${SAMPLE_ENV}\nTITAN_HISTORY_CANDLES=5000`);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("The trading configuration is invalid");
    expect(run.stderr).toContain("TITAN_HISTORY_CANDLES");
  });

  it("rejects a missing env file", async () => {
    const run = await deploy(["--project-ref", REF, "--db-url", supabaseDbUrl, "--env-file",
      join(folder, "absent.env"), "--dry-run"]);
    // Node 20 reads every --env-file argument, even one after the script name.
    // So it exits 9 with "node: <file>: not found" before the script starts.
    // A Node version that leaves script arguments alone lets the script report it
    // with status 2.
    expect([2, 9]).toContain(run.status);
    expect(run.stderr).toMatch(/absent\.env(: not found| does not exist)/);
    expect(stepLines(run.stdout)).toEqual([]);
  });

  it("rejects a URL of another project", async () => {
    const other = supabaseDbUrl.replace(REF, "zyxwvutsrqponmlkjihg");
    const path = envFile("other.env", SAMPLE_ENV);
    const run = await deploy(["--project-ref", REF, "--db-url", other, "--env-file", path]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("--db-url belongs to project zyxwvutsrqponmlkjihg");
  });

  it("rejects an invalid project ref", async () => {
    const run = await deploy(["--project-ref", "ABC", "--db-url", supabaseDbUrl, "--dry-run"]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('Invalid --project-ref "ABC"');
  });

  it("exits 2 on an unknown option", async () => {
    const run = await deploy(["--project-ref", REF, "--bogus"]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("Unknown option '--bogus'");
  });

  it("reads the ref and URL from the environment", async () => {
    const path = envFile("from-env.env", SAMPLE_ENV);
    const run = await deploy(["--env-file", path, "--dry-run"], {
      SUPABASE_PROJECT_REF: REF,
      SUPABASE_DB_URL: supabaseDbUrl,
    });
    expect(run.status, run.stderr).toBe(0);
    expect(stepLines(run.stdout)[2]).toContain(`--project-ref ${REF}`);
    expect(run.stdout).not.toContain(DB_PASSWORD);
  });
});

interface ApiRequest {
  method: string;
  path: string;
  slug: string | null;
  authorization: string;
  /** File names of a multipart upload. */
  files: string[];
  /** The `metadata` part of a function upload. */
  metadata: Record<string, unknown> | null;
  /** The JSON body of other requests. */
  json: unknown;
}

interface ManagementApi {
  url: string;
  requests: ApiRequest[];
  close(): Promise<void>;
}

/**
 * A stand-in for the three Management API routes the CLI calls here: a
 * function upload (POST /v1/projects/<ref>/functions/deploy), the bulk
 * update that activates the uploads, and POST /v1/projects/<ref>/secrets.
 * Any other route gets 404.
 */
async function startManagementApi(): Promise<ManagementApi> {
  const requests: ApiRequest[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const text = Buffer.concat(chunks).toString("latin1");
      const url = new URL(request.url ?? "/", "http://127.0.0.1");
      const multipart = (request.headers["content-type"] ?? "").startsWith("multipart/");
      const metadata = /name="metadata"\r\n\r\n([^\r\n]*)/.exec(text)?.[1];
      requests.push({
        method: request.method ?? "",
        path: url.pathname,
        slug: url.searchParams.get("slug"),
        authorization: request.headers.authorization ?? "",
        files: [...text.matchAll(/name="file"; filename="([^"]+)"/g)].map((m) => m[1] ?? ""),
        metadata: metadata ? (JSON.parse(metadata) as Record<string, unknown>) : null,
        json: !multipart && text !== "" ? JSON.parse(text) : null,
      });
      const reply = replyTo(request.method ?? "", url);
      response.writeHead(reply.status, { "content-type": "application/json" });
      response.end(JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", () => done()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((done) => server.close(() => done())),
  };
}

function replyTo(method: string, url: URL): { status: number; body: unknown } {
  const prefix = `/v1/projects/${REF}`;
  if (method === "POST" && url.pathname === `${prefix}/functions/deploy`) {
    const slug = url.searchParams.get("slug") ?? "";
    return {
      status: 201,
      body: { id: `id-${slug}`, slug, name: slug, version: 1, status: "ACTIVE", created_at: 1 },
    };
  }
  if (method === "PUT" && url.pathname === `${prefix}/functions`) {
    return { status: 200, body: { functions: [] } };
  }
  if (method === "POST" && url.pathname === `${prefix}/secrets`) return { status: 201, body: {} };
  return { status: 404, body: { message: `no route ${method} ${url.pathname} in the stand-in` } };
}

/** Creates an empty database on the test cluster; returns its URL with a password added. */
async function createEmptyDatabase(): Promise<string> {
  const name = `titan_deploy_${randomBytes(6).toString("hex")}`;
  const admin = postgres(clusterUrl(), { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end();
  }
  // The cluster trusts loopback connections, so the password only tests redaction.
  const url = new URL(clusterUrl());
  url.password = DB_PASSWORD;
  url.pathname = `/${name}`;
  url.search = "?sslmode=disable";
  return url.toString();
}

describe("npm run deploy against local stand-ins", () => {
  let api: ManagementApi;
  let cliEnv: Record<string, string>;
  beforeAll(async () => {
    api = await startManagementApi();
    // A CLI profile points the Supabase CLI at the stand-in instead of api.supabase.com.
    const profile = join(folder, "profile.yaml");
    writeFileSync(profile, [
      "name: titan-test",
      `api_url: ${api.url}`,
      `dashboard_url: ${api.url}/dashboard`,
      "project_host: supabase.test",
    ].join("\n"));
    cliEnv = { SUPABASE_ACCESS_TOKEN: ACCESS_TOKEN, SUPABASE_PROFILE: profile };
  });
  afterAll(async () => {
    await api?.close();
  });

  it("runs every step", async () => {
    const dbUrl = await createEmptyDatabase();
    const path = envFile("real.env", SAMPLE_ENV);
    api.requests.length = 0;
    const run = await deploy(["--project-ref", REF, "--db-url", dbUrl, "--env-file", path], cliEnv);
    const uploads = api.requests.filter((r) => r.path.endsWith("/functions/deploy"));
    const secrets = api.requests.find((r) => r.path.endsWith("/secrets"));
    const sql = postgres(dbUrl.replace(`:${DB_PASSWORD}`, ""), { max: 1, onnotice: () => {} });
    const applied = await sql`select version from supabase_migrations.schema_migrations`;
    await sql.end();

    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain(`Deployed to ${REF}.`);
    expect(applied).toHaveLength(readdirSync(join(REPO_ROOT, "supabase/migrations")).length);
    expect(uploads.map((r) => r.slug)).toEqual(["run-cycle", "revoke", "ingest-logs"]);
    for (const upload of uploads) {
      expect(upload.files).toEqual([`dist/functions/${upload.slug}/index.js`]);
      expect(upload.metadata?.verify_jwt).toBe(false);
      expect(upload.authorization).toBe(`Bearer ${ACCESS_TOKEN}`);
    }
    expect(secrets?.json).toEqual(expect.arrayContaining([
      { name: "TITAN_CRON_SECRET", value: CRON_SECRET },
      { name: "TITAN_REVOKE_SECRET", value: REVOKE_SECRET },
    ]));
    for (const secret of SECRET_VALUES) {
      expect(run.stdout).not.toContain(secret);
      expect(run.stderr).not.toContain(secret);
    }
  }, 240_000);

  it("stops at the step that fails", async () => {
    const refused = `postgresql://postgres:${DB_PASSWORD}@127.0.0.1:1/postgres?sslmode=disable`;
    const path = envFile("fails.env", SAMPLE_ENV);
    api.requests.length = 0;
    const run = await deploy(["--project-ref", REF, "--db-url", refused, "--env-file", path], cliEnv);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("error: step 2 (db push) failed with exit status 1");
    expect(api.requests).toEqual([]);
    expect(run.stdout).not.toContain(DB_PASSWORD);
    expect(run.stderr).not.toContain(DB_PASSWORD);
  }, 240_000);
});
