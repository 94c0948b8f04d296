import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPostgresClient } from "../shared/journal/drivers/postgres.ts";
import type { ClaimResult, CycleClaim } from "../shared/journal/journal.ts";
import type { SqlClient } from "../shared/journal/sql-client.ts";
import { SqlJournal } from "../shared/journal/sql-journal.ts";
import { createTestDatabase } from "./helpers/database.ts";

const CONNECTIONS = 10;
const SLOT = Date.UTC(2024, 0, 15, 12, 15);

function claimFor(cycleId: string, invocation: number): CycleClaim {
  return {
    cycleId,
    market: "BTC/USD",
    slot: SLOT,
    mode: "PAPER",
    invocationId: `inv-${invocation}`,
    invokedBy: "cron",
    startedAt: SLOT + invocation,
  };
}

describe("claimCycle under concurrency", () => {
  let url: string;
  const clients: SqlClient[] = [];
  const journals: SqlJournal[] = [];

  beforeAll(async () => {
    url = await createTestDatabase();
    for (let i = 0; i < CONNECTIONS; i++) {
      const client = createPostgresClient(url, { maxConnections: 1 });
      clients.push(client);
      journals.push(new SqlJournal(client));
    }
    // Open every connection first, so the claims race on the row and not on connecting.
    await Promise.all(clients.map((client) => client.query("select 1")));
  });
  afterAll(() => Promise.all(journals.map((journal) => journal.close())));

  it("uses ten separate connections", async () => {
    const pids = await Promise.all(
      clients.map((client) => client.query<{ pid: number }>("select pg_backend_pid() as pid")),
    );
    expect(new Set(pids.map((rows) => rows[0]?.pid)).size).toBe(CONNECTIONS);
  });

  it.each(["race-1", "race-2", "race-3", "race-4", "race-5"])(
    "%s has one winner",
    async (cycleId) => {
      const results: ClaimResult[] = await Promise.all(
        journals.map((journal, i) => journal.claimCycle(claimFor(cycleId, i))),
      );
      const winners = results.flatMap((result, i) => result.claimed ? [i] : []);
      const losers = results.filter((result) => !result.claimed);
      const rows = await clients[0]!.query<{ invocation_id: string }>(
        "select invocation_id from execution_logs where cycle_id = $1",
        [cycleId],
      );
      expect(winners).toHaveLength(1);
      expect(losers).toEqual(
        Array(CONNECTIONS - 1).fill({ claimed: false, existingStatus: "running" }),
      );
      expect(rows).toEqual([{ invocation_id: `inv-${winners[0]}` }]);
    },
  );
});
