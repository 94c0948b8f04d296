import { isolateHandler } from "../_shared/isolate.ts";
import { ingestLogsHandler } from "./wiring.ts";

Deno.serve(isolateHandler(ingestLogsHandler));
