import { isolateHandler } from "../_shared/isolate.ts";
import { revokeHandler } from "./wiring.ts";

Deno.serve(isolateHandler(revokeHandler));
