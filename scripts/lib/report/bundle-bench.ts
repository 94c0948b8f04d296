/**
 * The bench rows of the deployed run-cycle bundle (`npm run build:functions`
 * writes it to dist/functions/run-cycle): its size, and the cold start and
 * memory of a fresh Deno process that loads it.
 *
 * The cold start is measured without a request: a harness replaces
 * `Deno.serve` so the bundle opens no port, imports the bundle, and reports
 * how long the import took and the resident memory afterwards. The first
 * request adds the database connection and the market load on top.
 */
import { execFileSync } from "node:child_process";
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { BenchRow } from "./bench-table.ts";

const TARGET_BUNDLE_BYTES = 2 * 1024 * 1024;

/** Deno code: loads the bundle named by its first argument without serving, prints JSON. */
const HARNESS = `
const started = performance.now();
Deno.serve = () => ({
  finished: Promise.resolve(),
  shutdown: () => Promise.resolve(),
  addr: { hostname: "127.0.0.1", port: 0 },
});
await import(Deno.args[0]);
const loadMs = performance.now() - started;
console.log(JSON.stringify({ loadMs, rss: Deno.memoryUsage().rss }));
`;

interface LoadSample {
  /** Time from the harness's first line to the bundle's evaluation, in ms. */
  loadMs: number;
  /** Time from spawning Deno to its exit, in ms. */
  processMs: number;
  rssBytes: number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1] ?? Number.NaN;
}

/** Loads the bundle in `runs` fresh Deno processes. */
function sampleLoads(root: string, bundleDir: string, runs: number): LoadSample[] {
  const dir = mkdtempSync(join(tmpdir(), "titan-bundle-bench-"));
  const harness = join(dir, "harness.mjs");
  writeFileSync(harness, HARNESS);
  const deno = join(root, "node_modules/.bin/deno");
  const entry = pathToFileURL(join(bundleDir, "index.js")).href;
  const samples: LoadSample[] = [];
  try {
    for (let index = 0; index < runs; index++) {
      const started = performance.now();
      const output = execFileSync(
        deno,
        ["run", "--no-prompt", `--allow-read=${bundleDir}`, "--allow-env", harness, entry],
        { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } },
      );
      const processMs = performance.now() - started;
      const reply = JSON.parse(output.trim().split("\n").at(-1) ?? "{}");
      samples.push({ loadMs: reply.loadMs, processMs, rssBytes: reply.rss });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return samples;
}

function directoryBytes(path: string): number {
  const stats = statSync(path);
  if (!stats.isDirectory()) return stats.size;
  return readdirSync(path).reduce((sum, name) => sum + directoryBytes(join(path, name)), 0);
}

/**
 * Returns the four bundle rows. A row that cannot be measured gives the reason.
 * TODO: measure warm CPU per cycle once a harness can run 100 full cycles:
 * the bundle takes its slot from the system clock, so repeated requests in
 * one slot only reach the idempotency check, and a database is needed.
 */
export function measureBundle(root: string, runs: number): BenchRow[] {
  const bundleDir = join(root, "dist/functions/run-cycle");
  const scripts = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).scripts ?? {};
  const missing = "build:functions" in scripts
    ? "no bundle at dist/functions/run-cycle; run npm run build:functions first"
    : "no bundle at dist/functions/run-cycle, and npm run build:functions does not exist yet";
  const warm: BenchRow = {
    name: "run-cycle warm CPU per cycle",
    result: null,
    notMeasured: existsSync(bundleDir)
      ? "needs a harness with a settable clock and a Postgres database for 100 full cycles"
      : missing,
    target: "<= 50 ms over 100 cycles",
    met: null,
  };
  if (!existsSync(join(bundleDir, "index.js"))) {
    return [
      {
        name: "run-cycle bundle size",
        result: null,
        notMeasured: missing,
        target: "<= 2 MB",
        met: null,
      },
      { name: "run-cycle cold start", result: null, notMeasured: missing, target: "-", met: null },
      {
        name: "run-cycle memory (RSS)",
        result: null,
        notMeasured: missing,
        target: "-",
        met: null,
      },
      warm,
    ];
  }

  const bytes = directoryBytes(bundleDir);
  const samples = sampleLoads(root, bundleDir, runs);
  const loadMs = median(samples.map((sample) => sample.loadMs));
  const processMs = median(samples.map((sample) => sample.processMs));
  const rss = median(samples.map((sample) => sample.rssBytes));
  return [
    {
      name: "run-cycle bundle size",
      result: `${(bytes / 1024 / 1024).toFixed(2)} MB`,
      target: "<= 2 MB",
      met: bytes <= TARGET_BUNDLE_BYTES,
    },
    {
      name: "run-cycle cold start",
      result: `${loadMs.toFixed(0)} ms to load the module (${processMs.toFixed(0)} ms from ` +
        `spawning Deno to its exit; before the first request; median of ${runs})`,
      target: "-",
      met: null,
    },
    {
      name: "run-cycle memory (RSS)",
      result: `${(rss / 1024 / 1024).toFixed(1)} MB after loading, before the first request`,
      target: "-",
      met: null,
    },
    warm,
  ];
}
