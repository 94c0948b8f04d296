/**
 * Serves one function the way its deployed `index.ts` does (`isolateHandler`
 * over the function's wiring, so the runtime is built on the first call), but
 * on 127.0.0.1 and a free port, so tests can call the deployed path:
 * `deno run ... supabase/functions/_dev/isolate-entry.ts <function-name>`.
 * Prints `{"event":"listening","url":...}` once listening.
 *
 * @module
 */
import { isolateHandler } from "../_shared/isolate.ts";
import { ingestLogsHandler } from "../ingest-logs/wiring.ts";
import { revokeHandler } from "../revoke/wiring.ts";
import { runCycleHandler } from "../run-cycle/wiring.ts";

const builders = {
  "run-cycle": runCycleHandler,
  "revoke": revokeHandler,
  "ingest-logs": ingestLogsHandler,
};
const name = Deno.args[0] as keyof typeof builders;
const build = builders[name];
if (build === undefined) {
  throw new Error(`Unknown function ${name}; expected one of ${Object.keys(builders)}.`);
}

Deno.serve({
  hostname: "127.0.0.1",
  port: 0,
  onListen: ({ hostname, port }) =>
    console.log(JSON.stringify({ event: "listening", url: `http://${hostname}:${port}` })),
}, isolateHandler(build));
