import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseLog } from "../shared/blackbox/parse.ts";
import {
  bearer,
  CRON_SECRET,
  type FunctionsStack,
  startFunctionsStack,
} from "./helpers/functions-stack.ts";

const MIB = 1024 * 1024;
const GOOD_LINE =
  "2024-01-15 12:15:01,234 [INFO] CYCLE START cycle_id=BTCUSD-20240115T1215Z mode=PAPER";

let stack: FunctionsStack;
beforeAll(async () => {
  stack = await startFunctionsStack();
});
afterAll(async () => {
  await stack?.close();
});

async function ingest(body: string, contentType = "text/plain; charset=utf-8") {
  const response = await stack.server.call("ingest-logs", {
    headers: bearer(CRON_SECRET, { "content-type": contentType }),
    body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

function sourceOf(text: string): string {
  return `sha256:${createHash("sha256").update(text).digest("hex")}`;
}

async function eventsOf(source: string) {
  return stack.sql`select * from blackbox_events where source = ${source} order by line_no`;
}

describe("ingest-logs round trip", () => {
  let path = "";
  let text = "";

  it("reads a cycle's log from Storage", async () => {
    const cycle = await stack.server.call("run-cycle", { headers: bearer(CRON_SECRET) });
    expect(cycle.status).toBe(200);
    const [row] = await stack.sql`select blackbox_path from execution_logs`;
    path = String(row?.blackbox_path);
    text = stack.storage?.objects.get(`blackbox/${path}`)?.body ?? "";
    expect(text).toMatch(/CYCLE END/);

    const { status, body } = await ingest(JSON.stringify({ path }), "application/json");
    const lines = text.trimEnd().split("\n").length;
    expect(status).toBe(200);
    expect(body).toMatchObject({
      source: sourceOf(text),
      lines,
      inserted: lines,
      already_present: 0,
      unparsed: 0,
    });
  });

  it("stores one row per line", async () => {
    const rows = await eventsOf(sourceOf(text));
    const parsed = parseLog(text);
    expect(rows.map((r) => r.line_no)).toEqual(parsed.map((_, i) => i + 1));
    expect(rows.map((r) => r.event)).toEqual(parsed.map((line) => (line.ok ? line.event : null)));
    expect(rows.map((r) => r.raw).join("\n") + "\n").toBe(text);
    expect(rows[0]?.cycle_id).toMatch(/^BTCUSD-/);
    expect(rows[0]?.level).toBe("INFO");
    expect(rows[0]?.fields.mode).toBe("PAPER");
  });

  it("stores nothing new the second time", async () => {
    const before = await eventsOf(sourceOf(text));
    const { status, body } = await ingest(JSON.stringify({ path }), "application/json");
    expect(status).toBe(200);
    expect(body.inserted).toBe(0);
    expect(body.already_present).toBe(before.length);
    expect(await eventsOf(sourceOf(text))).toHaveLength(before.length);
  });

  it("keys a body and a path by the same SHA-256", async () => {
    const source = sourceOf(text);
    const byBody = await ingest(text);
    expect(byBody.body.source).toBe(source);
    expect(byBody.body.inserted).toBe(0);
    expect(byBody.body.already_present).toBe(byBody.body.lines);
    expect(await eventsOf(source)).toHaveLength(Number(byBody.body.lines));
  });
});

describe("ingest-logs bad lines and limits", () => {
  it("keeps garbage lines marked", async () => {
    const log = [
      GOOD_LINE,
      "garbage here",
      "2024-01-15 12:15:02,000 [LOUD] EQUITY value=1",
      GOOD_LINE,
      "",
    ]
      .join("\n");
    const { status, body } = await ingest(log);
    expect(status).toBe(200);
    expect(body.lines).toBe(4);
    expect(body.unparsed).toBe(2);
    const rows = await eventsOf(String(body.source));
    expect(rows.map((r) => r.raw)).toEqual(log.split("\n").slice(0, 4));
    expect(rows.map((r) => r.parse_error === null)).toEqual([true, false, false, true]);
    expect(rows[1]?.parse_error).toMatch(/does not start with/);
    expect(rows[2]?.parse_error).toBe("unknown level LOUD");
    expect(rows[1]?.event).toBeNull();
  });

  it("rejects a body over 1 MiB with 413", async () => {
    const before = await stack.sql`select count(*)::int as n from blackbox_events`;
    const big = `${GOOD_LINE}\n`.repeat(Math.ceil((MIB + 1) / (GOOD_LINE.length + 1)));
    const { status, body } = await ingest(big);
    expect(status).toBe(413);
    expect(String(body.error)).toMatch(/limit is 1048576 bytes/);
    const after = await stack.sql`select count(*)::int as n from blackbox_events`;
    expect(after[0]?.n).toBe(before[0]?.n);
  });

  it("rejects an object over 1 MiB with 413", async () => {
    stack.storage?.objects.set("blackbox/big/log.log", {
      body: "x".repeat(MIB + 1),
      contentType: "text/plain",
    });
    const { status } = await ingest(JSON.stringify({ path: "big/log.log" }), "application/json");
    expect(status).toBe(413);
    expect(await eventsOf("big/log.log")).toHaveLength(0);
  });

  it.each([
    ["a missing object", JSON.stringify({ path: "none/such.log" }), "application/json", 404],
    ["a path with ..", JSON.stringify({ path: "../secret.log" }), "application/json", 400],
    ["an unknown key", JSON.stringify({ path: "a.log", bucket: "x" }), "application/json", 400],
    ["an empty log", "", "text/plain", 400],
    ["a NUL byte", `${GOOD_LINE}\u0000\n`, "text/plain", 400],
    ["another content type", GOOD_LINE, "application/octet-stream", 415],
  ])("answers %s with its status", async (_case, body, type, expected) => {
    const { status, body: reply } = await ingest(body, type);
    expect(status).toBe(expected);
    expect(typeof reply.error).toBe("string");
  });
});
