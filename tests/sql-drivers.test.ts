import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPgliteClient } from "../shared/journal/drivers/pglite.ts";
import { createPostgresClient } from "../shared/journal/drivers/postgres.ts";
import { type SqlClient, SqlError } from "../shared/journal/sql-client.ts";
import { createTestDatabase } from "./helpers/database.ts";

const drivers = [
  { name: "PGlite", open: () => createPgliteClient() },
  { name: "postgres.js", open: async () => createPostgresClient(await createTestDatabase()) },
];

describe.each(drivers)("SqlClient on $name", (driver) => {
  let client: SqlClient;

  beforeAll(async () => {
    client = await driver.open();
    await client.query("create table driver_test (id int primary key, note text)");
  });
  afterAll(() => client.close());

  it("returns numeric and bigint as strings", async () => {
    const [row] = await client.query<Record<string, unknown>>(
      "select 0.1::numeric + $1::numeric as sum, 9007199254740993::int8 as big",
      [0.2],
    );
    expect(row?.sum).toBe("0.3");
    expect(row?.big).toBe("9007199254740993");
  });

  it("round-trips timestamptz and jsonb", async () => {
    const payload = { text: "a 'quoted' value", list: [1, 2.5], nested: { ok: true } };
    const [row] = await client.query<{ at: Date; payload: unknown; kind: string }>(
      "select $1::timestamptz as at, $2::text::jsonb as payload, " +
        "jsonb_typeof($2::text::jsonb) as kind",
      ["2024-01-15T12:15:00.000Z", JSON.stringify(payload)],
    );
    expect(row?.at).toEqual(new Date("2024-01-15T12:15:00.000Z"));
    expect(row?.payload).toEqual(payload);
    expect(row?.kind).toBe("object");
  });

  it("commits a transaction", async () => {
    const result = await client.transaction(async (tx) => {
      await tx.query("insert into driver_test values (1, 'kept')");
      return "done";
    });
    const rows = await client.query("select note from driver_test where id = 1");
    expect(result).toBe("done");
    expect(rows).toEqual([{ note: "kept" }]);
  });

  it("rolls back and rethrows the callback's error", async () => {
    const failure = new Error("callback failed");
    const run = client.transaction(async (tx) => {
      await tx.query("insert into driver_test values (2, 'dropped')");
      throw failure;
    });
    await expect(run).rejects.toBe(failure);
    expect(await client.query("select id from driver_test where id = 2")).toEqual([]);
  });

  it("rolls back a nested transaction alone", async () => {
    await client.transaction(async (tx) => {
      await tx.query("insert into driver_test values (3, 'outer')");
      await tx.transaction(async (inner) => {
        await inner.query("insert into driver_test values (4, 'inner')");
        throw new Error("inner failed");
      }).catch(() => {});
    });
    const rows = await client.query("select id from driver_test where id in (3, 4) order by id");
    expect(rows).toEqual([{ id: 3 }]);
  });

  it("raises SqlError with the SQLSTATE and constraint", async () => {
    const run = client.query("insert into driver_test values (1, 'duplicate')");
    await expect(run).rejects.toBeInstanceOf(SqlError);
    await expect(run).rejects.toMatchObject({ code: "23505", constraint: "driver_test_pkey" });
  });
});

describe("createPgliteClient", () => {
  it("keeps rows in dataDir across reopening", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "titan-pglite-"));
    try {
      const first = await createPgliteClient(dataDir);
      await first.query("create table kept (id int)");
      await first.query("insert into kept values (7)");
      await first.close();
      const second = await createPgliteClient(dataDir);
      const rows = await second.query("select id from kept");
      await second.close();
      expect(rows).toEqual([{ id: 7 }]);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe("createPostgresClient", () => {
  const password = "s3cret-Pa55word";

  it("keeps the password out of connection errors", async () => {
    const client = createPostgresClient(`postgresql://titan:${password}@127.0.0.1:1/postgres`, {
      connectTimeoutSeconds: 2,
    });
    const error = await client.query("select 1").catch((e: unknown) => e);
    await client.close();
    expect(error).toBeInstanceOf(SqlError);
    expect(String((error as Error).message)).not.toContain(password);
    expect(JSON.stringify(error)).not.toContain(password);
  });

  it("redacts the password from server errors", async () => {
    // Trust authentication accepts any password, so the URL still connects.
    const url = new URL(await createTestDatabase());
    url.password = password;
    const client = createPostgresClient(url.toString());
    const error = await client.query(`select '${password}'::int`).catch((e: unknown) => e);
    await client.close();
    expect(error).toBeInstanceOf(SqlError);
    expect((error as SqlError).code).toBe("22P02");
    expect((error as SqlError).message).toContain('"***"');
    expect((error as SqlError).message).not.toContain(password);
  });

  it("rejects an invalid URL without echoing it", () => {
    const open = () => createPostgresClient(`not a url ${password}`);
    expect(open).toThrow(SqlError);
    expect(open).toThrow("the database URL is not a valid URL");
    expect(open).not.toThrow(password);
  });

  it("rejects a URL that is not postgres", () => {
    expect(() => createPostgresClient(`https://user:${password}@127.0.0.1/db`)).toThrow(
      "must start with postgres:// or postgresql://, got https://",
    );
  });
});
