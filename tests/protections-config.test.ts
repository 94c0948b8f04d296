import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../shared/config/config.ts";
import { DEFAULT_LIMITS, limitsFor, parseProtections } from "../shared/protections/config.ts";

function parse(text: string) {
  const result = parseProtections(text);
  if (!result.ok) throw new Error(result.problems.join("\n"));
  return result.config;
}

function problems(text: string): string {
  const result = parseProtections(text);
  return result.ok ? "" : result.problems.join("\n");
}

describe("parseProtections defaults", () => {
  it("uses the defaults for {}", () => {
    expect(limitsFor(parse("{}"), "BTC/USD")).toEqual(DEFAULT_LIMITS);
  });

  it("documents the default values", () => {
    expect(DEFAULT_LIMITS).toEqual({
      maxPositionQuote: null,
      maxPositionBase: null,
      maxDailyLossQuote: null,
      maxDrawdownPct: 20,
      cooldownMinutes: 60,
      maxAbortStreak: 4,
    });
  });

  it("merges a market over default over built-ins", () => {
    const config = parse(
      '{"default": {"maxDrawdownPct": 10, "cooldownMinutes": 30},' +
        ' "BTC/USD": {"cooldownMinutes": 0, "maxPositionQuote": 5000}}',
    );
    const btc = limitsFor(config, "BTC/USD");
    expect(btc.maxDrawdownPct).toBe(10);
    expect(btc.cooldownMinutes).toBe(0);
    expect(btc.maxPositionQuote).toBe(5000);
    expect(btc.maxAbortStreak).toBe(4);
  });

  it("gives other markets the default entry", () => {
    const config = parse('{"default": {"maxDrawdownPct": 10}, "BTC/USD": {"maxDrawdownPct": 5}}');
    expect(limitsFor(config, "ETH/USD").maxDrawdownPct).toBe(10);
  });

  it("turns a default limit off with null", () => {
    const config = parse('{"ETH/USD": {"maxDrawdownPct": null}}');
    expect(limitsFor(config, "ETH/USD").maxDrawdownPct).toBeNull();
    expect(limitsFor(config, "BTC/USD").maxDrawdownPct).toBe(20);
  });
});

describe("parseProtections rejects", () => {
  const cases: [string, string, RegExp][] = [
    ["not JSON", "{maxDrawdownPct: 5}", /TITAN_PROTECTIONS is not JSON/],
    ["an array", "[1]", /must be a JSON object/],
    ["a bad market key", '{"btc-usd": {}}', /key "btc-usd" is neither "default" nor a market/],
    ["an entry that is no object", '{"default": 5}', /\["default"\] must be an object.*got 5/],
    ["an unknown key", '{"default": {"maxDrawdown": 5}}', /unknown key\(s\) maxDrawdown/],
    ["drawdown above 100", '{"BTC/USD": {"maxDrawdownPct": 150}}',
      /\["BTC\/USD"\]\.maxDrawdownPct = 150: must be at most 100/],
    ["drawdown of 0", '{"default": {"maxDrawdownPct": 0}}', /maxDrawdownPct = 0: must be above 0/],
    ["a negative daily loss", '{"default": {"maxDailyLossQuote": -50}}',
      /maxDailyLossQuote = -50: must be above 0/],
    ["a position as text", '{"default": {"maxPositionQuote": "5000"}}',
      /maxPositionQuote = "5000": must be a number/],
    ["a zero base position", '{"default": {"maxPositionBase": 0}}', /maxPositionBase = 0/],
    ["a fractional cooldown", '{"default": {"cooldownMinutes": 1.5}}',
      /cooldownMinutes = 1.5: must be a whole number/],
    ["a cooldown over a week", '{"default": {"cooldownMinutes": 20000}}',
      /cooldownMinutes = 20000: must be at most 10080/],
    ["a streak of 0", '{"default": {"maxAbortStreak": 0}}', /maxAbortStreak = 0: must be at least 1/],
    ["a streak over a day", '{"default": {"maxAbortStreak": 500}}',
      /maxAbortStreak = 500: must be at most 96/],
  ];

  it.each(cases)("%s", (_name, text, message) => {
    expect(problems(text)).toMatch(message);
  });

  it("lists every bad value at once", () => {
    const text = problems('{"default": {"maxDrawdownPct": 101}, "ETH/USD": {"maxAbortStreak": 0}}');
    expect(text).toContain("maxDrawdownPct = 101");
    expect(text).toContain("maxAbortStreak = 0");
  });
});

describe("loadConfig TITAN_PROTECTIONS", () => {
  it("parses the variable into config.protections", () => {
    const config = loadConfig({ TITAN_PROTECTIONS: '{"BTC/USD": {"maxDailyLossQuote": 250}}' });
    expect(limitsFor(config.protections, "BTC/USD").maxDailyLossQuote).toBe(250);
  });

  it("throws ConfigError naming the value", () => {
    const load = () => loadConfig({ TITAN_PROTECTIONS: '{"default": {"maxDrawdownPct": -1}}' });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/maxDrawdownPct = -1/);
  });
});
