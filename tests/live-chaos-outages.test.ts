import { describe, it } from "vitest";
import { CHAOS_ENDPOINTS, expectInvariants, runChaosCase } from "./helpers/live-chaos.ts";

describe.each(["html_520", "drop_reply", "hang"] as const)("chaos %s", (fault) => {
  it.each(CHAOS_ENDPOINTS)("at %s keeps the invariants", async (endpoint) => {
    expectInvariants(await runChaosCase(fault, endpoint));
  });
});
