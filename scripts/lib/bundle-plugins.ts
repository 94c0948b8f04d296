/**
 * esbuild plugins for the Edge Function bundles: Kraken's part of ccxt
 * only, stubs for the modules ccxt loads only for other exchanges, and Node
 * built-ins kept external with the `node:` prefix that Deno requires.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { isBuiltin } from "node:module";
import { join, resolve } from "node:path";
import type { Plugin } from "esbuild";

/** The module every project file imports the ccxt Kraken class from. */
export const KRAKEN_CLASS_MODULE = "shared/exchange/kraken-class.ts";

/** ccxt's Kraken exchange; it imports ccxt's base classes, Kraken's API table and @noble/hashes. */
export const CCXT_KRAKEN_MODULE = "node_modules/ccxt/js/src/kraken.js";

/** Namespace of the stubs; a stub's path in the metafile starts with it. */
export const STUB_NAMESPACE = "ccxt-left-out";

/**
 * Modules that ccxt 4.5 (`js/src/base/Exchange.js`, `base/ws/Client.js`,
 * `static_dependencies/dydx-v4-client/helpers.js`) loads with a dynamic
 * `import()` and that Kraken's REST API never needs. Each becomes a stub that
 * throws when loaded. ccxt catches that for undici (its Node-only HTTP
 * client, used only outside Deno), fflate (WebSocket decompression) and
 * protobufjs. The mexc and dYdX modules serve only those exchanges.
 */
export const LEFT_OUT_DYNAMIC_IMPORTS: ReadonlySet<string> = new Set([
  "undici",
  "fflate",
  "protobufjs/minimal.js",
  "../protobuf/mexc/compiled.cjs",
  "../static_dependencies/dydx-v4-client/registry.js",
  "../static_dependencies/dydx-v4-client/cosmos/tx/v1beta1/tx.js",
  "../static_dependencies/dydx-v4-client/cosmos/tx/signing/v1beta1/signing.js",
]);

/**
 * Replaces `shared/exchange/kraken-class.ts` with a module that re-exports
 * the default export of ccxt's `kraken.js` as `KrakenExchange`, so the
 * bundle never reads the ccxt index, which imports every exchange.
 */
export function krakenOnlyPlugin(repoRoot: string): Plugin {
  const classModule = resolve(repoRoot, KRAKEN_CLASS_MODULE);
  const krakenModule = resolve(repoRoot, CCXT_KRAKEN_MODULE);
  return {
    name: "titan-kraken-only",
    setup(build) {
      build.onResolve({ filter: /kraken-class\.ts$/ }, (args) => {
        if (resolve(args.resolveDir, args.path) !== classModule) return undefined;
        if (!existsSync(krakenModule)) {
          return {
            errors: [{
              text: `ccxt's Kraken module ${krakenModule} does not exist; run npm ci, and ` +
                "update CCXT_KRAKEN_MODULE in scripts/lib/bundle-plugins.ts when ccxt moved it.",
            }],
          };
        }
        return { path: krakenModule, namespace: "titan-kraken" };
      });
      build.onLoad({ filter: /.*/, namespace: "titan-kraken" }, (args) => ({
        contents: `export { default as KrakenExchange } from ${JSON.stringify(args.path)};\n`,
        resolveDir: join(args.path, ".."),
        loader: "js",
      }));
    },
  };
}

/** Replaces each dynamic import in LEFT_OUT_DYNAMIC_IMPORTS that comes from ccxt with a stub. */
export function ccxtLeftOutPlugin(): Plugin {
  return {
    name: "titan-ccxt-left-out",
    setup(build) {
      build.onResolve({ filter: /.*/ }, (args) => {
        if (args.kind !== "dynamic-import") return undefined;
        if (!args.importer.includes("/node_modules/ccxt/")) return undefined;
        if (!LEFT_OUT_DYNAMIC_IMPORTS.has(args.path)) return undefined;
        return { path: args.path, namespace: STUB_NAMESPACE };
      });
      build.onLoad({ filter: /.*/, namespace: STUB_NAMESPACE }, (args) => ({
        contents: `throw new Error(${
          JSON.stringify(
            `${args.path} is left out of the Kraken-only bundle: ccxt loads it only for ` +
              "other exchanges or outside Deno (scripts/lib/bundle-plugins.ts).",
          )
        });\n`,
        loader: "js",
      }));
    },
  };
}

/**
 * Keeps Node built-ins external, as the runtime provides them, and writes
 * them as `node:<name>`, the form Supabase's docs use for Edge Functions.
 * postgres.js and ws import bare names such as `"net"`, which Deno 2.9
 * accepts but earlier Deno versions rejected without a flag.
 */
export function nodeBuiltinsPlugin(): Plugin {
  return {
    name: "titan-node-builtins",
    setup(build) {
      build.onResolve({ filter: /^[a-z:_/]+$/ }, (args) => {
        if (!isBuiltin(args.path)) return undefined;
        const name = args.path.startsWith("node:") ? args.path : `node:${args.path}`;
        return { path: name, external: true };
      });
    },
  };
}
