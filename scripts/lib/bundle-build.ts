/**
 * Bundles each Edge Function into one ES module for Deno with esbuild: the
 * function's `index.ts` and everything it imports, with Kraken's part of
 * ccxt only and Node built-ins left to the runtime.
 *
 * @module
 */
import { mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { build, type Metafile } from "esbuild";
import { bundleProblems, ccxtInputs } from "./bundle-check.ts";
import { ccxtLeftOutPlugin, krakenOnlyPlugin, nodeBuiltinsPlugin } from "./bundle-plugins.ts";

export const FUNCTION_NAMES = ["run-cycle", "revoke", "ingest-logs"] as const;
export type BundledFunction = (typeof FUNCTION_NAMES)[number];

/** Default output folder, relative to the repository root. */
export const DEFAULT_OUT_DIR = "dist/functions";

/**
 * Defines `require` for the CommonJS modules in the bundle (ws, which ccxt
 * imports, calls `require("node:events")` and others when it loads). Without
 * it, esbuild's ESM output throws "Dynamic require of ... is not supported".
 */
const REQUIRE_BANNER = 'import { createRequire as titanCreateRequire } from "node:module";\n' +
  "const require = titanCreateRequire(import.meta.url);";

export interface BundleOptions {
  repoRoot: string;
  /** Output folder; each function goes to `<outDir>/<name>/index.js`. */
  outDir: string;
}

export interface BundleResult {
  name: BundledFunction;
  /** Absolute path of the bundle. */
  outfile: string;
  bytes: number;
  /** ccxt files in the bundle, relative to the repository root. */
  ccxtInputs: string[];
  /** Absolute path of esbuild's metafile, next to the function's folder. */
  metafilePath: string;
  metafile: Metafile;
  /** Reasons the bundle must not be deployed; empty when it may. */
  problems: string[];
}

/** Bundles one function. Throws esbuild's error when a module cannot be resolved or parsed. */
export async function bundleFunction(
  name: BundledFunction,
  options: BundleOptions,
): Promise<BundleResult> {
  const repoRoot = resolve(options.repoRoot);
  const outDir = resolve(repoRoot, options.outDir);
  const outfile = join(outDir, name, "index.js");
  rmSync(join(outDir, name), { recursive: true, force: true });
  mkdirSync(join(outDir, name), { recursive: true });

  const result = await build({
    absWorkingDir: repoRoot,
    entryPoints: [join(repoRoot, "supabase/functions", name, "index.ts")],
    outfile,
    bundle: true,
    format: "esm",
    // Match the export conditions Deno 2 uses for npm packages ("deno", "node",
    // "import"); esbuild adds "node", "import" and "default" for this platform.
    platform: "node",
    conditions: ["deno"],
    target: "es2022",
    // Whitespace and syntax only: identifiers keep their names, so a stack
    // trace in a CRASH record stays readable.
    minifyWhitespace: true,
    minifySyntax: true,
    keepNames: true,
    legalComments: "none",
    banner: { js: REQUIRE_BANNER },
    metafile: true,
    logLevel: "silent",
    plugins: [krakenOnlyPlugin(repoRoot), ccxtLeftOutPlugin(), nodeBuiltinsPlugin()],
  });

  const bytes = statSync(outfile).size;
  const metafilePath = join(outDir, `${name}.meta.json`);
  writeFileSync(metafilePath, JSON.stringify(result.metafile, null, 1));
  return {
    name,
    outfile,
    bytes,
    ccxtInputs: ccxtInputs(result.metafile),
    metafilePath,
    metafile: result.metafile,
    problems: bundleProblems(name, result.metafile, bytes),
  };
}

/** Bundles every function in FUNCTION_NAMES, one after the other. */
export async function bundleFunctions(options: BundleOptions): Promise<BundleResult[]> {
  const results: BundleResult[] = [];
  for (const name of FUNCTION_NAMES) results.push(await bundleFunction(name, options));
  return results;
}

/** Returns `path` relative to the repository root when it lies inside it. */
export function displayPath(repoRoot: string, path: string): string {
  const inside = relative(repoRoot, path);
  return inside.startsWith("..") ? path : inside;
}
