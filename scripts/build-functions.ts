/**
 * `npm run build:functions`: bundles run-cycle, revoke and ingest-logs into
 * `dist/functions/<name>/index.js`, the files `supabase functions deploy`
 * uploads (see the `entrypoint` of each function in supabase/config.toml).
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { formatMegabytes, SIZE_LIMIT_BYTES, SIZE_TARGET_BYTES } from "./lib/bundle-check.ts";
import {
  type BundleResult,
  bundleFunctions,
  DEFAULT_OUT_DIR,
  displayPath,
} from "./lib/bundle-build.ts";
import { fail, usageError } from "./lib/cli.ts";

const USAGE = `Usage: npm run build:functions -- [options]

Bundles each Edge Function (run-cycle, revoke, ingest-logs) with esbuild
into one ES module, OUT_DIR/<name>/index.js, with only Kraken's part of
ccxt. Writes esbuild's metafile to OUT_DIR/<name>.meta.json and prints each
bundle's size against Supabase's limit of ${formatMegabytes(SIZE_LIMIT_BYTES)} for functions
bundled on its servers and our target of ${formatMegabytes(SIZE_TARGET_BYTES)}.

Options:
  --out-dir DIR   output folder (default ${DEFAULT_OUT_DIR})
  --help          show this help

Exit status: 0 when every bundle may be deployed; 1 when a build fails, a
bundle exceeds the limit or contains ccxt files of other exchanges; 2 for
invalid options.`;

const REPO_ROOT = resolve(import.meta.dirname, "..");

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      "out-dir": { type: "string", default: DEFAULT_OUT_DIR },
      help: { type: "boolean", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const outDir = resolve(values["out-dir"]);
  let results: BundleResult[];
  try {
    results = await bundleFunctions({ repoRoot: REPO_ROOT, outDir });
  } catch (error) {
    console.error(`Bundling the functions failed: ${(error as Error).message}`);
    return 1;
  }
  for (const result of results) console.log(sizeLine(result));
  const problems = results.flatMap((result) => result.problems);
  for (const problem of problems) console.error(`error: ${problem}`);
  return problems.length > 0 ? 1 : 0;
}

/** Formats a bundle's line: name, path, size, and the size against the target. */
function sizeLine(result: BundleResult): string {
  const size = formatMegabytes(result.bytes);
  const verdict = result.bytes <= SIZE_TARGET_BYTES
    ? `within the ${formatMegabytes(SIZE_TARGET_BYTES)} target`
    : `over the ${formatMegabytes(SIZE_TARGET_BYTES)} target`;
  const path = displayPath(REPO_ROOT, result.outfile);
  return `${result.name.padEnd(12)} ${path}  ${size} (${result.bytes} bytes), ${verdict}; ` +
    `limit ${formatMegabytes(SIZE_LIMIT_BYTES)}`;
}

main().then(
  (status) => process.exit(status),
  (error: unknown) => {
    if (usageError(error)) fail(error.message, USAGE);
    throw error;
  },
);
