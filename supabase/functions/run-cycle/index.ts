import { isolateHandler } from "../_shared/isolate.ts";
import { runCycleHandler } from "./wiring.ts";

Deno.serve(isolateHandler(runCycleHandler));
