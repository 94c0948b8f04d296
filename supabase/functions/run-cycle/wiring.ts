/**
 * Builds the run-cycle handler from an isolate's runtime.
 *
 * @module
 */
import { runCycle } from "../../../shared/cycle/run-cycle.ts";
import type { Handler } from "../_shared/invocation.ts";
import type { Runtime } from "../_shared/runtime.ts";
import { createRunCycleHandler } from "./handler.ts";

export function runCycleHandler(runtime: Runtime): Handler {
  return createRunCycleHandler({
    invocation: runtime.invocationDeps("run-cycle"),
    config: runtime.config,
    runCycle: (market, invocationId, invokedBy) =>
      runCycle(runtime.cycleDeps(invocationId, invokedBy), { market }),
  });
}
