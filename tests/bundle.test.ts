import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Metafile } from "esbuild";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  bundleProblems,
  ccxtOffenders,
  foreignExternals,
  SIZE_LIMIT_BYTES,
  SIZE_TARGET_BYTES,
} from "../scripts/lib/bundle-check.ts";
import { FUNCTION_NAMES } from "../scripts/lib/bundle-build.ts";
import { slotStart } from "../shared/time/slots.ts";
import { startSimulator } from "../simulator/server.ts";
import { startStorageDouble } from "./doubles/storage-double.ts";
import { createTestDatabase } from "./helpers/database.ts";
import {
  bearer,
  CRON_SECRET,
  REVOKE_SECRET,
  STORAGE_KEY,
  trendCandles,
} from "./helpers/functions-stack.ts";

const REPO_ROOT = resolve(import.meta.dirname, "..");
const TSX = join(REPO_ROOT, "node_modules/.bin/tsx");
const DENO = join(REPO_ROOT, "node_modules/.bin/deno");
const START_TIMEOUT_MS = 30_000;

let outDir = "";
let build: ReturnType<typeof spawnSync>;

beforeAll(() => {
  outDir = mkdtempSync(join(tmpdir(), "titan-bundle-"));
  build = spawnSync(TSX, ["scripts/build-functions.ts", "--out-dir", outDir], {
    cwd: REPO_ROOT,
    encoding: "utf8",
    timeout: 120_000,
  });
}, 150_000);

afterAll(() => {
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

function metafileOf(name: string): Metafile {
  return JSON.parse(readFileSync(join(outDir, `${name}.meta.json`), "utf8")) as Metafile;
}

function bundleBytes(name: string): number {
  return statSync(join(outDir, name, "index.js")).size;
}

describe("npm run build:functions", () => {
  it("exits 0", () => {
    expect(build.stderr).toBe("");
    expect(build.status).toBe(0);
  });

  it.each(FUNCTION_NAMES)("prints the size of %s", (name) => {
    const line = String(build.stdout).split("\n").find((l) => l.startsWith(`${name} `));
    expect(line).toContain(`(${bundleBytes(name)} bytes)`);
  });

  it.for(FUNCTION_NAMES)("keeps %s under the 5 MB limit", async (name, { annotate }) => {
    const bytes = bundleBytes(name);
    await annotate(`${name}: ${bytes} bytes (target ${SIZE_TARGET_BYTES})`);
    expect(bytes).toBeLessThanOrEqual(SIZE_LIMIT_BYTES);
  });

  it.each(FUNCTION_NAMES)("leaves other exchanges out of %s", (name) => {
    const inputs = Object.keys(metafileOf(name).inputs);
    const exchanges = inputs.filter((path) =>
      /^node_modules\/ccxt\/js\/src\/(abstract\/|pro\/)?[a-z0-9]+\.js$/.test(path)
    );
    expect(exchanges.sort()).toEqual([
      "node_modules/ccxt/js/src/abstract/kraken.js",
      "node_modules/ccxt/js/src/kraken.js",
    ]);
    expect(inputs).not.toContain("node_modules/ccxt/js/ccxt.js");
    expect(inputs).not.toContain("shared/exchange/kraken-class.ts");
  });

  it.each(FUNCTION_NAMES)("passes the deploy checks for %s", (name) => {
    expect(bundleProblems(name, metafileOf(name), bundleBytes(name))).toEqual([]);
  });
});

describe("bundle checks", () => {
  it("lists ccxt files of other exchanges", () => {
    const inputs = [
      "node_modules/ccxt/js/src/kraken.js",
      "node_modules/ccxt/js/src/abstract/kraken.js",
      "node_modules/ccxt/js/src/base/Exchange.js",
      "node_modules/ccxt/js/src/binance.js",
      "node_modules/ccxt/js/src/abstract/binance.js",
      "node_modules/ccxt/js/ccxt.js",
      "node_modules/ccxt/js/src/static_dependencies/dydx-v4-client/registry.js",
    ];
    expect(ccxtOffenders(inputs)).toEqual([
      "node_modules/ccxt/js/src/binance.js",
      "node_modules/ccxt/js/src/abstract/binance.js",
      "node_modules/ccxt/js/ccxt.js",
      "node_modules/ccxt/js/src/static_dependencies/dydx-v4-client/registry.js",
    ]);
  });

  it("lists imports Deno cannot resolve", () => {
    const metafile: Metafile = {
      inputs: {},
      outputs: {
        "index.js": {
          bytes: 1,
          inputs: {},
          exports: [],
          imports: [
            { path: "node:net", kind: "import-statement", external: true },
            { path: "protobufjs/minimal.js", kind: "dynamic-import", external: true },
            { path: "utf-8-validate", kind: "require-call", external: true },
          ],
        },
      },
    };
    expect(foreignExternals(metafile)).toEqual(["protobufjs/minimal.js"]);
  });

  it("rejects a bundle over the limit", () => {
    const metafile: Metafile = { inputs: {}, outputs: {} };
    const problems = bundleProblems("run-cycle", metafile, SIZE_LIMIT_BYTES + 1);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^run-cycle: the bundle is 5\.00 MB, over Supabase's limit/);
  });
});

interface BootedBundle {
  url: string;
  output: string[];
  child: ChildProcess;
}

/**
 * Starts `<outDir>/run-cycle/index.js` in Deno from an empty folder, so it
 * can use no file of the repository, with network access to 127.0.0.1 only.
 * DENO_SERVE_ADDRESS moves Deno.serve from its default 0.0.0.0:8000 to a
 * free loopback port.
 */
function bootBundle(env: Record<string, string>, cwd: string): Promise<BootedBundle> {
  const child = spawn(
    DENO,
    ["run", "--no-prompt", "--no-config", "--allow-net=127.0.0.1", "--allow-env",
      join(outDir, "run-cycle/index.js")],
    {
      cwd,
      env: { PATH: process.env.PATH ?? "", HOME: cwd, DENO_SERVE_ADDRESS: "tcp:127.0.0.1:0", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const output: string[] = [];
  return new Promise((resolveBoot, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`The bundle did not listen within ${START_TIMEOUT_MS} ms:\n${output.join("\n")}`));
    }, START_TIMEOUT_MS);
    const collect = (chunk: Buffer) => {
      for (const line of String(chunk).split("\n").filter(Boolean)) {
        output.push(line);
        const url = /^Listening on (http:\/\/127\.0\.0\.1:\d+)\/$/.exec(line)?.[1];
        if (url === undefined) continue;
        clearTimeout(timer);
        resolveBoot({ url, output, child });
      }
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`The bundle exited with ${code} before listening:\n${output.join("\n")}`));
    });
  });
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolveStop) => {
    child.once("exit", () => resolveStop());
    child.kill("SIGTERM");
  });
}

describe("run-cycle bundle in Deno", () => {
  it("runs a cycle against the simulator", async () => {
    expect(build.status).toBe(0);
    const now = Date.now();
    const sim = await startSimulator({
      candles: trendCandles(10, slotStart(now) + 15 * 60_000),
      clock: now,
      clockMode: "running",
    });
    const storage = await startStorageDouble({ key: STORAGE_KEY });
    const databaseUrl = await createTestDatabase();
    const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
    const home = mkdtempSync(join(tmpdir(), "titan-bundle-home-"));
    let booted: BootedBundle | null = null;
    try {
      booted = await bootBundle({
        TITAN_CRON_SECRET: CRON_SECRET,
        TITAN_REVOKE_SECRET: REVOKE_SECRET,
        DATABASE_URL: databaseUrl,
        KRAKEN_API_URL: sim.url,
        SUPABASE_URL: storage.url,
        SUPABASE_SECRET_KEYS: JSON.stringify({ default: STORAGE_KEY }),
        TITAN_HOME: home,
        TITAN_LATENCY_BUDGET_MS: "1500",
        TITAN_EXCHANGE_TIMEOUT_MS: "3000",
        TITAN_CYCLE_DEADLINE_MS: "10000",
      }, home);
      const response = await fetch(`${booted.url}/`, {
        method: "POST",
        headers: bearer(CRON_SECRET),
      });
      const body = (await response.json()) as {
        results: Array<{ cycle_id: string; outcome: string; blackbox_path: string | null }>;
      };
      const result = body.results[0];
      const rows = await sql<{ status: string; abort_reason: string | null }[]>`
        select status, abort_reason from execution_logs where cycle_id = ${result?.cycle_id ?? ""}`;

      expect(response.status, booted.output.join("\n")).toBe(200);
      expect(result?.cycle_id).toMatch(/^BTCUSD-\d{8}T\d{4}Z$/);
      expect(["completed", "skipped", "aborted"]).toContain(result?.outcome);
      expect(rows).toHaveLength(1);
      expect(rows[0]?.status).toBe(result?.outcome);
      const reasonRecorded = rows[0]?.status !== "aborted" || rows[0]?.abort_reason !== null;
      expect(reasonRecorded, "an aborted cycle records its reason").toBe(true);
      expect([...storage.objects.keys()]).toEqual([`blackbox/${result?.blackbox_path}`]);
    } finally {
      if (booted) await stop(booted.child);
      await Promise.all([sim.close(), storage.close(), sql.end({ timeout: 5 })]);
      rmSync(home, { recursive: true, force: true });
    }
  });
});
