/**
 * Imports all of ccxt, prints one line and exits: what the bench compares
 * the run-cycle bundle's cold start with. Deno runs it from the repository
 * root, so deno.json resolves "ccxt" from node_modules.
 *
 * @module
 */
import ccxt from "ccxt";

console.log(`imported ccxt ${ccxt.version} with ${ccxt.exchanges.length} exchanges`);
