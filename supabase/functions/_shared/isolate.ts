/**
 * The entry of a deployed function: builds the runtime on the first call and
 * keeps it for the life of the isolate, so the database pool and the ccxt
 * markets are reused by later calls. Deno-only.
 *
 * @module
 */
import { errorReply, toResponse } from "./responses.ts";
import type { Handler } from "./invocation.ts";
import { createRuntime, type Runtime } from "./runtime.ts";

let runtime: Promise<Runtime> | null = null;

/**
 * Returns a handler that builds the isolate's runtime from the environment on
 * first use and then the function's handler with `build`. When the runtime
 * cannot be built (no database configured), each call gets a 500 response
 * with the reason and the next call tries again. Such calls are not audited.
 */
export function isolateHandler(build: (runtime: Runtime) => Handler): Handler {
  let handler: Handler | null = null;
  return async (request) => {
    try {
      runtime ??= createRuntime({ env: Deno.env.toObject(), ...memoryProbe() });
      handler ??= build(await runtime);
    } catch (error) {
      runtime = null;
      const message = error instanceof Error ? error.message : String(error);
      console.error(`Starting the function failed: ${message}`);
      return toResponse(
        errorReply(500, `The function cannot start: ${message}`),
        crypto.randomUUID(),
      );
    }
    return await handler(request);
  };
}

/** Deno.memoryUsage when this runtime provides it; the audit records null otherwise. */
function memoryProbe(): { memoryUsage?: () => { rss: number; heapUsed: number } } {
  try {
    Deno.memoryUsage();
    return { memoryUsage: () => Deno.memoryUsage() };
  } catch {
    return {};
  }
}
