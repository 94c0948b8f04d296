import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  ACCESS_TOKEN,
  ANON_KEY,
  CRON_SECRET,
  type FunctionsStack,
  REVOKE_SECRET,
  startFunctionsStack,
  STORAGE_KEY,
} from "./helpers/functions-stack.ts";

const FUNCTIONS = ["run-cycle", "revoke", "ingest-logs"] as const;
const SECRET_OF = { "run-cycle": CRON_SECRET, "revoke": REVOKE_SECRET, "ingest-logs": CRON_SECRET };

/** Authorization headers that must never pass, by case name; null sends none. */
function rejectedHeaders(name: (typeof FUNCTIONS)[number]): Array<[string, string | null]> {
  const other = name === "revoke" ? CRON_SECRET : REVOKE_SECRET;
  return [
    ["no header", null],
    ["a wrong secret", "Bearer not-the-secret-at-all-0000000000"],
    ["the anon key", `Bearer ${ANON_KEY}`],
    ["the other function's secret", `Bearer ${other}`],
    ["a Basic header", `Basic ${btoa(`user:${SECRET_OF[name]}`)}`],
  ];
}

const CASES = FUNCTIONS.flatMap((name) =>
  rejectedHeaders(name).map(([label, header]) => [name, label, header] as const)
);

async function auditRow(stack: FunctionsStack, response: Response) {
  const id = response.headers.get("x-titan-invocation-id") ?? "";
  const [row] = await stack.sql`select * from function_invocations where invocation_id = ${id}`;
  return row;
}

describe("function authorization", () => {
  let stack: FunctionsStack;
  beforeAll(async () => {
    stack = await startFunctionsStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it.each(CASES)("%s rejects %s with 401", async (name, _label, header) => {
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "x-forwarded-for": "198.51.100.4",
    };
    if (header !== null) headers.authorization = header;
    const response = await stack.server.call(name, {
      headers,
      body: JSON.stringify({ reason: "x" }),
    });
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe("Bearer");
    const row = await auditRow(stack, response);
    expect(row?.function_name).toBe(name);
    expect(row?.authorized).toBe(false);
    expect(row?.http_status).toBe(401);
    expect(row?.caller_ip).toBe("198.51.100.4");
  });

  it("stores no secret in the audit", async () => {
    const rows = await stack.sql`select row_to_json(f)::text as text from function_invocations f`;
    expect(rows.length).toBeGreaterThanOrEqual(CASES.length);
    for (const secret of [CRON_SECRET, REVOKE_SECRET, ANON_KEY, STORAGE_KEY, ACCESS_TOKEN]) {
      expect(rows.filter((row) => String(row.text).includes(secret))).toEqual([]);
    }
  });

  it("audits an authorized call", async () => {
    const response = await stack.server.call("ingest-logs", {
      headers: {
        authorization: `Bearer ${CRON_SECRET}`,
        "content-type": "text/plain",
        "user-agent": "pg_net/0.14",
      },
      body: "2024-01-15 12:15:01,234 [INFO] CYCLE START cycle_id=X\n",
    });
    expect(response.status).toBe(200);
    const row = await auditRow(stack, response);
    expect(row?.authorized).toBe(true);
    expect(row?.http_status).toBe(200);
    expect(row?.user_agent).toBe("pg_net/0.14");
    expect(row?.caller_ip).toBeNull();
    expect(row?.finished_at).toBeInstanceOf(Date);
  });

  it("audits a rejected method", async () => {
    const response = await stack.server.call("revoke", { method: "GET" });
    expect(response.status).toBe(405);
    const row = await auditRow(stack, response);
    expect(row?.http_status).toBe(405);
    expect(row?.authorized).toBe(false);
  });
});

describe("function secret configuration", () => {
  let stack: FunctionsStack | null = null;
  afterEach(async () => {
    await stack?.close();
    stack = null;
  });

  it("rejects equal cron and revoke secrets", async () => {
    stack = await startFunctionsStack({ env: { TITAN_REVOKE_SECRET: CRON_SECRET } });
    for (const name of FUNCTIONS) {
      const response = await stack.server.call(name, {
        headers: { authorization: `Bearer ${CRON_SECRET}` },
      });
      const body = (await response.json()) as { error: string };
      expect(response.status).toBe(500);
      expect(body.error).toMatch(/TITAN_REVOKE_SECRET must differ from TITAN_CRON_SECRET/);
      expect(body.error).not.toContain(CRON_SECRET);
      expect((await auditRow(stack, response))?.authorized).toBe(false);
    }
  });

  it("fails closed without a cron secret", async () => {
    stack = await startFunctionsStack({ env: { TITAN_CRON_SECRET: "" } });
    const response = await stack.server.call("run-cycle", {
      headers: { authorization: "Bearer " },
    });
    const body = (await response.json()) as { error: string };
    expect(response.status).toBe(500);
    expect(body.error).toMatch(/TITAN_CRON_SECRET is not set/);
    expect(await stack.sql`select cycle_id from execution_logs`).toEqual([]);
  });

  it("rejects a secret shorter than 16 characters", async () => {
    stack = await startFunctionsStack({ env: { TITAN_REVOKE_SECRET: "short" } });
    const response = await stack.server.call("revoke", {
      headers: { authorization: "Bearer short" },
    });
    const body = (await response.json()) as { error: string };
    expect(response.status).toBe(500);
    expect(body.error).toMatch(/TITAN_REVOKE_SECRET is 5 characters long, below the minimum of 16/);
  });
});
