import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { slotStart } from "../shared/time/slots.ts";
import { type Simulator, startSimulator } from "../simulator/server.ts";
import { createTestDatabase } from "./helpers/database.ts";
import { type FunctionsServer, startFunctionsServer } from "./helpers/functions-server.ts";
import { bearer, CRON_SECRET, REVOKE_SECRET, trendCandles } from "./helpers/functions-stack.ts";

const ENTRY = "supabase/functions/_dev/isolate-entry.ts";

let server: FunctionsServer | null = null;
let sim: Simulator | null = null;
let home = "";
afterEach(async () => {
  await server?.close();
  await sim?.close();
  if (home) rmSync(home, { recursive: true, force: true });
  server = null;
  sim = null;
});

async function serve(name: string, env: Record<string, string>) {
  home = mkdtempSync(join(tmpdir(), "titan-isolate-"));
  server = await startFunctionsServer(
    { TITAN_CRON_SECRET: CRON_SECRET, TITAN_REVOKE_SECRET: REVOKE_SECRET, ...env },
    home,
    [ENTRY, name],
  );
  return server;
}

describe("deployed function entry", () => {
  it("answers 500 without a database", async () => {
    const entry = await serve("run-cycle", {});
    const response = await entry.call("run-cycle", { headers: bearer(CRON_SECRET) });
    const body = (await response.json()) as { invocation_id: string; error: string };
    expect(response.status).toBe(500);
    expect(body.error).toMatch(
      /^The function cannot start: No database configured: set DATABASE_URL/,
    );
    expect(response.headers.get("x-titan-invocation-id")).toBe(body.invocation_id);
  });

  it("halts through revoke", async () => {
    const entry = await serve("revoke", { DATABASE_URL: await createTestDatabase() });
    const response = await entry.call("revoke", {
      headers: bearer(REVOKE_SECRET),
      body: '{"reason":"drill"}',
    });
    const body = (await response.json()) as { action: string };
    expect(response.status).toBe(200);
    expect(body.action).toBe("halted");
  });

  it("runs a cycle on the system clock", async () => {
    const now = Date.now();
    const slot = slotStart(now);
    sim = await startSimulator({
      candles: trendCandles(10, slot + 15 * 60_000),
      clock: now,
      clockMode: "running",
    });
    const entry = await serve("run-cycle", {
      DATABASE_URL: await createTestDatabase(),
      KRAKEN_API_URL: sim.url,
    });
    const response = await entry.call("run-cycle", { headers: bearer(CRON_SECRET) });
    const body = (await response.json()) as {
      results: Array<{ cycle_id: string; outcome: string }>;
    };
    expect(response.status).toBe(200);
    expect(body.results[0]?.cycle_id).toMatch(/^BTCUSD-\d{8}T\d{4}Z$/);
    expect(body.results[0]?.outcome).not.toBe("crashed");
  });
});
