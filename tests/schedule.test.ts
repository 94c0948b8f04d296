import { resolve } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { loadMigrations } from "../scripts/lib/migrations.ts";
import { applyMigrations } from "../shared/journal/migrations.ts";
import type { SqlClient } from "../shared/journal/sql-client.ts";
import { clusterUrl, createTestDatabase } from "./helpers/database.ts";
import {
  connect,
  CRON_SECRET,
  databaseWithDoubles,
  PG_NET_DOUBLE,
  PROJECT_URL,
  rejection,
  rolledBack,
  SECRETS,
  type Sql,
} from "./helpers/schedule-db.ts";

const MIGRATIONS_DIR = resolve(import.meta.dirname, "../supabase/migrations");
const HAS_PG_CRON = inject("titanHasPgCron");

/** 2 s after the 12:15 UTC slot opened, as pg_cron's run at minute 15 would be. */
const AT_1215 = "2026-01-15T12:15:02Z";
const SLOT_1215 = "2026-01-15T12:15:00.000Z";

describe.skipIf(!HAS_PG_CRON)("pg_cron jobs", () => {
  let sql: Sql;
  beforeAll(() => {
    sql = connect(clusterUrl());
  });
  afterAll(() => sql.end());

  async function job(name: string) {
    const rows = await sql`
      select schedule, command, active, database from cron.job where jobname = ${name}`;
    return rows[0];
  }

  it("dispatches at each quarter hour", async () => {
    const dispatch = await job("titan-dispatch-cycles");
    expect(dispatch?.schedule).toBe("0,15,30,45 * * * *");
    expect(dispatch?.command).toBe("select * from public.titan_dispatch_cycles()");
    expect(dispatch?.active).toBe(true);
    expect(dispatch?.database).toBe("postgres");
  });

  it("prunes history daily", async () => {
    const prune = await job("titan-prune-scheduler-history");
    expect(prune?.schedule).toBe("7 3 * * *");
    expect(prune?.command).toBe("select * from public.titan_prune_scheduler_history()");
    expect(prune?.active).toBe(true);
  });

  it("keeps the secret out of the job command", async () => {
    const rows = await sql`select command from cron.job where jobname like 'titan-%'`;
    expect(rows.length).toBe(2);
    for (const row of rows) expect(String(row.command)).not.toMatch(/secret|Bearer|http/iu);
  });

  it("prunes old cron run details", async () => {
    await rolledBack(sql, async (tx) => {
      await tx`
        insert into cron.job_run_details (jobid, runid, command, status, start_time, end_time)
        values (0, -1, 'titan schedule test', 'succeeded', '2025-12-01T00:00Z', '2025-12-01T00:00Z'),
          (0, -2, 'titan schedule test', 'succeeded', '2026-01-10T00:00Z', '2026-01-10T00:00Z')`;
      const deleted = await tx`select * from public.titan_prune_scheduler_history(${AT_1215})`;
      const remaining = await tx`
        select runid from cron.job_run_details where command = 'titan schedule test'`;
      const cron = deleted.find((row) => row.table_name === "cron.job_run_details");
      expect(Number(cron?.deleted_rows)).toBeGreaterThanOrEqual(1);
      expect(remaining.map((row) => Number(row.runid))).toEqual([-2]);
    });
  });
});

describe("titan_dispatch_cycles", () => {
  let url: string;
  let sql: Sql;
  beforeAll(async () => {
    ({ url, sql } = await databaseWithDoubles(SECRETS));
    await sql`insert into trading_markets (symbol, enabled) values ('ETH/USD', true), ('XRP/USD', false)`;
  });
  afterAll(() => sql.end());

  it("queues one request per enabled market", async () => {
    const queued = await sql`select * from titan_dispatch_cycles(${AT_1215})`;
    expect(queued.map((row) => row.market)).toEqual(["BTC/USD", "ETH/USD"]);
    expect(queued.map((row) => (row.slot as Date).toISOString())).toEqual([SLOT_1215, SLOT_1215]);

    const requests = await sql`select * from net.recorded_requests order by id`;
    expect(requests.length).toBe(2);
    for (const request of requests) {
      expect(request.url).toBe(`${PROJECT_URL}/functions/v1/run-cycle`);
      expect(request.headers).toEqual({
        Authorization: `Bearer ${CRON_SECRET}`,
        "Content-Type": "application/json",
      });
      expect(request.params).toEqual({});
      expect(request.timeout_milliseconds).toBe(90000);
    }
    expect(requests.map((request) => request.body)).toEqual([
      { market: "BTC/USD" },
      { market: "ETH/USD" },
    ]);
  });

  it("keeps the request ids", async () => {
    const requests = await sql`select id, body->>'market' as market from net.recorded_requests`;
    const dispatches = await sql`
      select market, slot, request_id from cycle_dispatches order by market`;
    expect(dispatches.map((row) => row.market)).toEqual(["BTC/USD", "ETH/USD"]);
    for (const dispatch of dispatches) {
      const request = requests.find((row) => row.market === dispatch.market);
      expect(dispatch.request_id).toBe(request?.id);
      expect((dispatch.slot as Date).toISOString()).toBe(SLOT_1215);
    }
  });

  it("queues nothing twice in one slot", async () => {
    const again = await sql`select * from titan_dispatch_cycles('2026-01-15T12:29:59Z')`;
    const requests = await sql`select count(*)::int as count from net.recorded_requests`;
    expect(again.length).toBe(0);
    expect(requests[0]?.count).toBe(2);
  });

  it("uses the configured timeout", async () => {
    await sql`update scheduler_settings set dispatch_timeout_ms = 120000`;
    await sql`select * from titan_dispatch_cycles('2026-01-15T12:30:01Z')`;
    const latest = await sql`select timeout_milliseconds from net.recorded_requests order by id desc limit 1`;
    expect(latest[0]?.timeout_milliseconds).toBe(120000);
  });

  it("queues one request when called concurrently", async () => {
    const first = connect(url);
    const second = connect(url);
    try {
      let secondCall: Promise<postgres.RowList<postgres.Row[]>> | null = null;
      await first.begin(async (tx) => {
        const won = await tx`select * from titan_dispatch_cycles('2026-01-15T12:45:00Z')`;
        expect(won.length).toBe(2);
        // postgres.js sends a query only when it is awaited or executed.
        secondCall = second`select * from titan_dispatch_cycles('2026-01-15T12:45:03Z')`.execute();
        await waitForLockWait(sql);
      });
      const lost = await secondCall!;
      expect(lost.length).toBe(0);
    } finally {
      await first.end();
      await second.end();
    }
    const rows = await sql`
      select count(*)::int as count from cycle_dispatches where slot = '2026-01-15T12:45:00Z'`;
    expect(rows[0]?.count).toBe(2);
  });
});

/** Waits until another session of this database waits for a lock, for at most 10 s. */
async function waitForLockWait(sql: Sql): Promise<void> {
  for (let attempt = 0; attempt < 500; attempt++) {
    const rows = await sql`
      select count(*)::int as count from pg_stat_activity
      where datname = current_database() and wait_event_type = 'Lock'`;
    if ((rows[0]?.count ?? 0) > 0) return;
    await new Promise((resolveWait) => setTimeout(resolveWait, 20));
  }
  throw new Error("The second titan_dispatch_cycles call never waited for the first one's lock.");
}

describe("titan_dispatch_cycles errors", () => {
  const databases: Sql[] = [];
  afterAll(async () => {
    for (const sql of databases) await sql.end();
  });

  async function dispatchWith(secrets: Record<string, string>) {
    const { sql } = await databaseWithDoubles(secrets);
    databases.push(sql);
    const error = await rejection(sql`select * from titan_dispatch_cycles(${AT_1215})`);
    const requests = await sql`select count(*)::int as count from net.recorded_requests`;
    const dispatches = await sql`select count(*)::int as count from cycle_dispatches`;
    return { error, requests: requests[0]?.count, dispatches: dispatches[0]?.count };
  }

  it("names a missing cron secret", async () => {
    const result = await dispatchWith({ titan_project_url: PROJECT_URL });
    expect(result.error.message).toContain("Vault secret titan_cron_secret failed");
    expect(result.error.code).toBe("P0002");
    expect(result.requests).toBe(0);
    expect(result.dispatches).toBe(0);
  });

  it("rejects a project URL with a path", async () => {
    const result = await dispatchWith({
      titan_project_url: `${PROJECT_URL}/functions/v1`,
      titan_cron_secret: CRON_SECRET,
    });
    expect(result.error.message).toContain("titan_project_url must be the project URL");
    expect(result.error.message).not.toContain(CRON_SECRET);
    expect(result.requests).toBe(0);
  });

  it("names pg_net when it is missing", async () => {
    const sql = connect(await createTestDatabase());
    databases.push(sql);
    const error = await rejection(sql`select * from titan_dispatch_cycles(${AT_1215})`);
    expect(error.message).toContain("net.http_post(text, jsonb, jsonb, jsonb, integer) does not exist");
    expect(error.hint).toBe("Enable pg_net: create extension pg_net with schema extensions;");
  });

  it("names Vault when it is missing", async () => {
    const sql = connect(await createTestDatabase());
    databases.push(sql);
    await sql.unsafe(PG_NET_DOUBLE);
    const error = await rejection(sql`select * from titan_dispatch_cycles(${AT_1215})`);
    expect(error.message).toContain("vault.decrypted_secrets does not exist");
    expect(error.code).toBe("42P01");
  });
});

describe("titan_prune_scheduler_history", () => {
  let sql: Sql;
  beforeAll(async () => {
    ({ sql } = await databaseWithDoubles(SECRETS));
    await sql`select * from titan_dispatch_cycles('2025-12-20T08:00:00Z')`;
    await sql`select * from titan_dispatch_cycles('2026-01-10T08:00:00Z')`;
    await sql`
      insert into net._http_response (id, status_code, content, created)
      values (1, 200, 'old', '2025-12-20T08:00:05Z'), (2, 200, 'new', '2026-01-10T08:00:05Z')`;
  });
  afterAll(() => sql.end());

  it("deletes rows past the retention", async () => {
    const deleted = await sql`select * from titan_prune_scheduler_history(${AT_1215})`;
    const counts = Object.fromEntries(deleted.map((row) => [row.table_name, Number(row.deleted_rows)]));
    expect(counts["public.cycle_dispatches"]).toBe(1);
    expect(counts["net._http_response"]).toBe(1);
  });

  it("keeps rows inside the retention", async () => {
    const dispatches = await sql`select dispatched_at from cycle_dispatches`;
    const responses = await sql`select content from net._http_response`;
    expect(dispatches.map((row) => (row.dispatched_at as Date).toISOString()))
      .toEqual(["2026-01-10T08:00:00.000Z"]);
    expect(responses.map((row) => row.content)).toEqual(["new"]);
  });

  it("follows the configured retention", async () => {
    await sql`update scheduler_settings set history_retention = interval '1 day'`;
    const deleted = await sql`select * from titan_prune_scheduler_history(${AT_1215})`;
    const dispatches = deleted.find((row) => row.table_name === "public.cycle_dispatches");
    expect(Number(dispatches?.deleted_rows)).toBe(1);
  });

  it("rejects a retention under an hour", async () => {
    const error = await rejection(
      sql`update scheduler_settings set history_retention = interval '10 minutes'`,
    );
    expect(error.constraint_name).toBe("scheduler_settings_history_retention_check");
  });
});

/** Wraps `db` in a SqlClient that collects the notices of every statement. */
function noticeCollectingClient(db: PGlite, notices: { severity: string; message: string }[]) {
  const onNotice = (notice: { severity: string | undefined; message: string | undefined }) => {
    notices.push({ severity: notice.severity ?? "", message: notice.message ?? "" });
  };
  type Queryable = Pick<PGlite, "query">;
  const over = (target: Queryable): SqlClient => ({
    query: async <T>(text: string, params: unknown[] = []) =>
      (await target.query<T>(text, params, { onNotice })).rows,
    transaction: (fn) => db.transaction((tx) => fn(over(tx))),
    close: () => db.close(),
  });
  return over(db);
}

describe("migrations on PGlite", () => {
  let db: PGlite;
  const notices: { severity: string; message: string }[] = [];
  beforeAll(async () => {
    db = await PGlite.create();
    await applyMigrations(noticeCollectingClient(db, notices), loadMigrations(MIGRATIONS_DIR));
  }, 60_000);
  afterAll(() => db.close());

  it("skips pg_cron, pg_net and Vault with notices", () => {
    const messages = notices.map((notice) => notice.message);
    expect(messages.some((m) => m.startsWith("Skipped pg_cron and the cron jobs"))).toBe(true);
    expect(messages.some((m) => m.startsWith("Skipped pg_net"))).toBe(true);
    expect(messages.some((m) => m.startsWith("Vault not found"))).toBe(true);
    expect(notices.filter((notice) => notice.severity !== "NOTICE")).toEqual([]);
  });

  it("creates the dispatch function", async () => {
    const error = await db.query("select * from titan_dispatch_cycles()").catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain("net.http_post");
  });

  it("creates the views", async () => {
    const rows = await db.query<{ name: string }>(
      "select table_name as name from information_schema.views " +
        "where table_schema = 'public' order by 1",
    );
    expect(rows.rows.map((row) => row.name)).toEqual([
      "abort_streaks",
      "equity_history",
      "invocations_by_caller",
      "recent_cycles",
      "recent_dispatches",
      "stuck_cycles",
    ]);
  });

  it("shows a dispatch with no response", async () => {
    await db.query(
      "insert into cycle_dispatches (slot, market, request_id, dispatched_at) " +
        "values ('2026-01-15T12:15Z', 'BTC/USD', 7, '2026-01-15T12:15:01Z')",
    );
    const rows = await db.query<{ outcome: string }>("select outcome from recent_dispatches");
    expect(rows.rows.map((row) => row.outcome)).toEqual(["no_response"]);
  });
});
