import { describe, expect, it } from "vitest";
import { formatAsctime, formatLine, type LogEntry } from "../shared/blackbox/format.ts";
import { parseLine, parseLog } from "../shared/blackbox/parse.ts";
import { BlackboxRecorder, blackboxPath, REDACTED } from "../shared/blackbox/recorder.ts";

const T = Date.UTC(2024, 0, 15, 12, 15, 1, 234);

describe("blackbox format", () => {
  it("writes the logging layout in UTC", () => {
    expect(formatAsctime(T)).toBe("2024-01-15 12:15:01,234");
    const line = formatLine({
      time: T,
      level: "INFO",
      event: "CYCLE START",
      fields: { cycle_id: "XBTUSD-20240115T1215Z", mode: "PAPER" },
    });
    expect(line).toBe("2024-01-15 12:15:01,234 [INFO] CYCLE START cycle_id=XBTUSD-20240115T1215Z mode=PAPER");
  });

  it("quotes values with spaces and reads them back", () => {
    const line = formatLine({ time: T, level: "WARNING", event: "ABORT", fields: { message: "too late now", skew_ms: 3200 } });
    expect(line).toBe('2024-01-15 12:15:01,234 [WARNING] ABORT message="too late now" skew_ms=3200');
  });

  it("parses the design examples", () => {
    const parsed = parseLine('2024-01-15 12:15:02,412 [WARNING] ABORT reason="TIMESTAMP_MISMATCH" skew_ms=3200');
    expect(parsed).toEqual({
      ok: true,
      time: Date.UTC(2024, 0, 15, 12, 15, 2, 412),
      level: "WARNING",
      event: "ABORT",
      fields: { reason: "TIMESTAMP_MISMATCH", skew_ms: 3200 },
    });
    const idempotent = parseLine("2024-01-15 12:15:02,412 [INFO] IDEMPOTENCY: ALREADY RAN cycle_id=X-1");
    expect(idempotent.ok && idempotent.event).toBe("IDEMPOTENCY: ALREADY RAN");
  });

  it("round-trips awkward values exactly", () => {
    const entries: LogEntry[] = [
      { time: T, level: "ERROR", event: "CRASH", fields: { stack: 'Error: x\n  at "f" (a=b)', n: -0.5 } },
      { time: T, level: "INFO", event: "EQUITY", fields: { value: 10234.55, currency: "USD", big: 1e21 } },
      { time: T, level: "INFO", event: "SIGNAL", fields: { text: "123", flag: "true", nil: "null", empty: "" } },
      { time: T, level: "DEBUG", event: "X", fields: { a: true, b: false, c: null, d: "a=b", e: "üñí" } },
      { time: T, level: "CRITICAL", event: "HALT", fields: {} },
    ];
    const text = entries.map((e) => formatLine(e) + "\n").join("");
    const parsed = parseLog(text);
    expect(parsed.map((p) => (p.ok ? { time: p.time, level: p.level, event: p.event, fields: p.fields } : p)))
      .toEqual(entries);
  });

  it("keeps unparseable lines with a reason", () => {
    const [bad, worse] = parseLog("garbage here\n2024-01-15 12:15:02,412 [INFO] EVENT x=\"unterminated\n");
    expect(bad).toMatchObject({ ok: false, raw: "garbage here" });
    expect(worse?.ok).toBe(false);
  });

  it("rejects event names the parser cannot read", () => {
    expect(() => formatLine({ time: T, level: "INFO", event: "lower case", fields: {} })).toThrow(/event names/);
    expect(() => formatLine({ time: T, level: "INFO", event: "OK", fields: { "Bad-Key": 1 } })).toThrow(/keys are/);
  });
});

describe("BlackboxRecorder", () => {
  it("redacts secret keys and secret values", () => {
    const log = new BlackboxRecorder(() => T, ["s3cr3t-value"]);
    log.info("EVENT", { api_key: "abc", note: "token is s3cr3t-value here" });
    expect(log.entries[0]?.fields).toEqual({ api_key: REDACTED, note: `token is ${REDACTED} here` });
    expect(log.text()).not.toContain("s3cr3t-value");
  });

  it("builds plain object paths", () => {
    expect(blackboxPath("BTCUSD", Date.UTC(2024, 0, 15, 12, 15), "BTCUSD-20240115T1215Z"))
      .toBe("BTCUSD/2024/01/15/BTCUSD-20240115T1215Z.log");
    expect(blackboxPath("BTCUSD", 0, "C", ".dup-a b")).toMatch(/^[A-Za-z0-9/_.-]+$/);
  });
});
