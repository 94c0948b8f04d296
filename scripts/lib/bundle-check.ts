/**
 * Checks on a built function bundle: which ccxt files went in, which imports
 * stayed external, and its size against the platform limit and our target.
 *
 * @module
 */
import type { Metafile } from "esbuild";
import { CCXT_KRAKEN_MODULE, KRAKEN_CLASS_MODULE } from "./bundle-plugins.ts";

/**
 * Largest bundle Supabase accepts when it bundles a function on its servers,
 * as `supabase functions deploy --use-api` does: 5 MB in Supabase's
 * troubleshooting page "Unable to deploy Edge Function" (docs source as of
 * 2026; a proposed revision names a 10 MB source limit instead). The check
 * keeps 5 MB and reads MB as 1,000,000 bytes, the stricter reading.
 */
export const SIZE_LIMIT_BYTES = 5_000_000;

/** Our own target, set to keep a cold start's import time low; the build reports it only. */
export const SIZE_TARGET_BYTES = 2_000_000;

const CCXT_ROOT = "node_modules/ccxt/";

/**
 * ccxt files that Kraken needs: the exchange, its API table, the base
 * classes, and the static dependencies that `base/Exchange.js` imports at
 * load time (ccxt 4.5.84). Any other ccxt file in a bundle means another
 * exchange or the ccxt index slipped in.
 */
const CCXT_ALLOWED_FILES: ReadonlySet<string> = new Set([
  CCXT_KRAKEN_MODULE,
  "node_modules/ccxt/js/src/abstract/kraken.js",
  "node_modules/ccxt/js/src/static_dependencies/dydx-v4-client/helpers.js",
  "node_modules/ccxt/js/src/static_dependencies/dydx-v4-client/long/index.cjs",
  "node_modules/ccxt/js/src/static_dependencies/zklink/zklink-sdk-web.js",
]);
const CCXT_ALLOWED_PREFIX = "node_modules/ccxt/js/src/base/";

/** Returns the ccxt files among the inputs, whose paths are relative to the repository root. */
export function ccxtInputs(metafile: Metafile): string[] {
  return Object.keys(metafile.inputs).filter((path) => path.startsWith(CCXT_ROOT)).sort();
}

/** Returns the ccxt inputs that are neither Kraken's nor ccxt's base, sorted. */
export function ccxtOffenders(inputs: readonly string[]): string[] {
  return inputs.filter((path) =>
    path.startsWith(CCXT_ROOT) &&
    !CCXT_ALLOWED_FILES.has(path) &&
    !path.startsWith(CCXT_ALLOWED_PREFIX)
  );
}

/**
 * Returns the external `import` and `import()` specifiers of the bundle that
 * are not `node:` built-ins: Deno resolves those when it loads the module, so
 * the deployed function would fail. A `require()` left external is not
 * listed, because esbuild leaves one unresolved only inside a try block
 * (ws's optional `utf-8-validate`), where its failure is caught.
 */
export function foreignExternals(metafile: Metafile): string[] {
  const found = new Set<string>();
  for (const output of Object.values(metafile.outputs)) {
    for (const entry of output.imports) {
      if (!entry.external || entry.kind === "require-call") continue;
      if (!entry.path.startsWith("node:")) found.add(entry.path);
    }
  }
  return [...found].sort();
}

/**
 * Lists what makes a bundle unfit to deploy, each as one sentence: ccxt
 * files other than Kraken's, the Kraken class module left unreplaced,
 * external imports Deno cannot resolve, and a size over SIZE_LIMIT_BYTES.
 * An empty list means the bundle passes.
 */
export function bundleProblems(name: string, metafile: Metafile, bytes: number): string[] {
  const inputs = Object.keys(metafile.inputs);
  const problems: string[] = [];
  const offenders = ccxtOffenders(ccxtInputs(metafile));
  if (offenders.length > 0) {
    problems.push(
      `${name}: the bundle contains ccxt files outside Kraken's part: ${offenders.join(", ")}. ` +
        `Import the Kraken class only through ${KRAKEN_CLASS_MODULE}, or list the file in ` +
        "scripts/lib/bundle-check.ts when a new ccxt version needs it.",
    );
  }
  if (inputs.includes(KRAKEN_CLASS_MODULE)) {
    problems.push(
      `${name}: ${KRAKEN_CLASS_MODULE} went into the bundle unreplaced, so it imports all of ` +
        "ccxt; check krakenOnlyPlugin in scripts/lib/bundle-plugins.ts.",
    );
  }
  const externals = foreignExternals(metafile);
  if (externals.length > 0) {
    problems.push(
      `${name}: the bundle imports ${externals.join(", ")} at run time, which the deployed ` +
        "function cannot resolve; bundle them or add them to LEFT_OUT_DYNAMIC_IMPORTS.",
    );
  }
  if (bytes > SIZE_LIMIT_BYTES) {
    problems.push(
      `${name}: the bundle is ${formatMegabytes(bytes)}, over Supabase's limit of ` +
        `${formatMegabytes(SIZE_LIMIT_BYTES)} for functions bundled on its servers.`,
    );
  }
  return problems;
}

/** Formats bytes as decimal megabytes, e.g. `1.75 MB`. */
export function formatMegabytes(bytes: number): string {
  return `${(bytes / 1_000_000).toFixed(2)} MB`;
}
