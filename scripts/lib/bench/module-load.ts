/**
 * Loads the run-cycle bundle without serving a request: a harness replaces
 * `Deno.serve` so the bundle opens no port, imports the bundle, and reports
 * how long the import took and the resident memory afterwards. The first
 * request adds the database connection and the market load on top.
 *
 * @module
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";

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

export interface LoadSample {
  /** Time from the harness's first line to the bundle's evaluation, in ms. */
  loadMs: number;
  /** Time from spawning Deno to its exit, in ms. */
  processMs: number;
  rssBytes: number;
}

/** Loads the bundle at `bundle` (an index.js) in `runs` fresh Deno processes. */
export function sampleLoads(root: string, bundle: string, runs: number): LoadSample[] {
  const dir = mkdtempSync(join(tmpdir(), "titan-bundle-bench-"));
  const harness = join(dir, "harness.mjs");
  writeFileSync(harness, HARNESS);
  const deno = join(root, "node_modules/.bin/deno");
  const samples: LoadSample[] = [];
  try {
    for (let index = 0; index < runs; index++) {
      const started = performance.now();
      const output = execFileSync(
        deno,
        [
          "run",
          "--no-prompt",
          `--allow-read=${dirname(bundle)}`,
          "--allow-env",
          harness,
          pathToFileURL(bundle).href,
        ],
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
