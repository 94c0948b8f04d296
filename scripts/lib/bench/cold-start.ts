/**
 * One cold start of each side the bench compares, in a fresh Deno process:
 * the deployed run-cycle bundle up to its first response, and a script that
 * only imports all of ccxt.
 *
 * @module
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import postgres from "postgres";
import { exitedWithin, stopChild, waitForLine } from "./child-process.ts";

const START_TIMEOUT_MS = 60_000;
const EXIT_TIMEOUT_MS = 10_000;

/** The Deno binary and cache folder that both sides share. */
export interface DenoSetup {
  /** Path of the Deno executable. */
  deno: string;
  /** DENO_DIR of every process, so each side reuses the compiled code of its earlier runs. */
  denoDir: string;
}

export interface BundleRun extends DenoSetup {
  /** Path of the bundle, `<out>/run-cycle/index.js`. */
  bundle: string;
  /** TITAN_HOME and working folder of the process: blackbox files go under it. */
  home: string;
  simUrl: string;
  databaseUrl: string;
  cronSecret: string;
  revokeSecret: string;
}

export interface BundleSample {
  /** From spawning Deno to the whole response of the first request, in ms. */
  firstResponseMs: number;
  /** From spawning Deno to its "Listening on" line, in ms. */
  listeningMs: number;
  /** VmRSS of the Deno process once the response arrived; null without /proc. */
  rssBytes: number | null;
}

/**
 * Starts the bundle, POSTs to it once with the cron secret, and returns the
 * time to the whole response and the process's resident memory then.
 * Throws unless the response is 200 and the cycle completed.
 */
export async function sampleBundle(run: BundleRun): Promise<BundleSample> {
  const started = performance.now();
  const child = spawn(
    run.deno,
    [
      "run",
      "--no-prompt",
      "--no-config",
      "--allow-net=127.0.0.1",
      "--allow-env",
      `--allow-read=${run.home}`,
      `--allow-write=${run.home}`,
      run.bundle,
    ],
    { cwd: run.home, env: bundleEnv(run), stdio: ["ignore", "pipe", "pipe"] },
  );
  try {
    const url = await waitForLine(child, {
      label: "the run-cycle bundle to listen",
      pattern: /^Listening on (http:\/\/127\.0\.0\.1:\d+)\/$/,
      timeoutMs: START_TIMEOUT_MS,
    });
    const listeningMs = performance.now() - started;
    const response = await fetch(`${url}/`, {
      method: "POST",
      headers: { authorization: `Bearer ${run.cronSecret}` },
    });
    const text = await response.text();
    const firstResponseMs = performance.now() - started;
    const rssBytes = child.pid === undefined ? null : residentBytes(child.pid);
    checkCompleted(response.status, text);
    return { firstResponseMs, listeningMs, rssBytes };
  } finally {
    await stopChild(child);
  }
}

/**
 * The deployed function's environment: PAPER, the simulator as Kraken, the
 * database URL, no Storage (blackbox files under `home`). The slot may be up
 * to 14 minutes old, the most the configuration allows, so a run late in a
 * slot still trades. `simulatorForNow` in cold-start-runs.ts keeps runs
 * inside that window.
 */
function bundleEnv(run: BundleRun): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "",
    HOME: run.home,
    DENO_DIR: run.denoDir,
    NO_COLOR: "1",
    DENO_SERVE_ADDRESS: "tcp:127.0.0.1:0",
    TITAN_CRON_SECRET: run.cronSecret,
    TITAN_REVOKE_SECRET: run.revokeSecret,
    DATABASE_URL: run.databaseUrl,
    KRAKEN_API_URL: run.simUrl,
    TITAN_HOME: run.home,
    TITAN_MAX_SLOT_DELAY_MS: String(MAX_SLOT_DELAY_MS),
  };
}

/** TITAN_MAX_SLOT_DELAY_MS of the cold-start runs: its maximum, 14 minutes. */
export const MAX_SLOT_DELAY_MS = 14 * 60_000;

function checkCompleted(status: number, text: string): void {
  let outcome = "unknown";
  let reason: unknown = null;
  try {
    const body = JSON.parse(text) as { results?: Array<{ outcome?: string; reason?: unknown }> };
    outcome = body.results?.[0]?.outcome ?? "missing";
    reason = body.results?.[0]?.reason ?? null;
  } catch {
    // Not JSON: reported below with the start of the text.
  }
  if (status === 200 && outcome === "completed") return;
  throw new Error(
    `The cold-start request ended with HTTP ${status}, outcome ${outcome}` +
      `${reason === null ? "" : ` (${String(reason)})`}, expected 200 and completed: ` +
      text.slice(0, 500),
  );
}

/**
 * Returns `timing.total_ms` of the cycle row in the database at
 * `databaseUrl`: the cycle's own time inside the request, in ms. Throws
 * unless the database contains exactly one cycle row with that figure.
 */
export async function recordedCycleMs(databaseUrl: string): Promise<number> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql<{ total: string | null }[]>`
      select ai_audit_payload -> 'timing' ->> 'total_ms' as total from execution_logs`;
    const total = Number(rows[0]?.total ?? Number.NaN);
    if (rows.length !== 1 || !Number.isFinite(total)) {
      throw new Error(
        `Reading the cold-start cycle's timing failed: expected one execution_logs row with ` +
          `timing.total_ms, found ${rows.length} rows and total ${rows[0]?.total ?? "none"}.`,
      );
    }
    return total;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** VmRSS of a Linux process from /proc, in bytes; null where /proc is missing. */
export function residentBytes(pid: number): number | null {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return null;
  }
  const kilobytes = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status)?.[1];
  return kilobytes === undefined ? null : Number(kilobytes) * 1024;
}

/**
 * Runs scripts/lib/bench/import-ccxt.ts in Deno from `root` and returns the
 * ms from spawning Deno to the line it prints after the import. Throws when
 * the script fails or does not exit.
 */
export async function sampleCcxtImport(setup: DenoSetup, root: string): Promise<number> {
  const started = performance.now();
  const child = spawn(
    setup.deno,
    ["run", "--no-prompt", "--allow-env", join(root, "scripts/lib/bench/import-ccxt.ts")],
    {
      cwd: root,
      env: { PATH: process.env.PATH ?? "", DENO_DIR: setup.denoDir, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  try {
    await waitForLine(child, {
      label: "the ccxt import",
      pattern: /^(imported ccxt .*)$/,
      timeoutMs: START_TIMEOUT_MS,
    });
    const importedMs = performance.now() - started;
    if (!(await exitedWithin(child, EXIT_TIMEOUT_MS))) {
      throw new Error(`The ccxt import script did not exit within ${EXIT_TIMEOUT_MS} ms.`);
    }
    if (child.exitCode !== 0) {
      throw new Error(`The ccxt import script exited with ${child.exitCode ?? child.signalCode}.`);
    }
    return importedMs;
  } finally {
    await stopChild(child);
  }
}
