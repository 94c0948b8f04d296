/**
 * Per-market protection limits from the `TITAN_PROTECTIONS` JSON object:
 * `{"default": {...}, "BTC/USD": {...}}`. Each market entry is merged over
 * `default`, which is merged over `DEFAULT_LIMITS`. Unknown keys are
 * rejected so that a misspelled limit cannot be silently ignored.
 *
 * @module
 */
import { z } from "zod";

/** The limits that apply to one market. A null limit is off. */
export interface ProtectionLimits {
  /** Largest position value in the quote currency, marked at the bid. */
  maxPositionQuote: number | null;
  /** Largest position in the base currency. */
  maxPositionBase: number | null;
  /** Largest loss in one UTC day, in the quote currency, from the day's first equity. */
  maxDailyLossQuote: number | null;
  /** Largest fall of the equity below its peak, in percent of the peak. */
  maxDrawdownPct: number | null;
  /** Minutes during which BUY is skipped after a losing exit; 0 turns it off. */
  cooldownMinutes: number;
  /** Maximum abort streak a LIVE market tolerates before it switches to PAPER. */
  maxAbortStreak: number;
}

/** Parsed `TITAN_PROTECTIONS`: the defaults and the per-market overrides. */
export interface ProtectionConfig {
  default: ProtectionLimits;
  markets: Record<string, Partial<ProtectionLimits>>;
}

/** The limits used when `TITAN_PROTECTIONS` does not set them. */
export const DEFAULT_LIMITS: Readonly<ProtectionLimits> = Object.freeze({
  maxPositionQuote: null,
  maxPositionBase: null,
  maxDailyLossQuote: null,
  maxDrawdownPct: 20,
  cooldownMinutes: 60,
  maxAbortStreak: 4,
});

/** One week: a longer cooldown is more likely a unit mistake than a wish. */
const MAX_COOLDOWN_MINUTES = 7 * 24 * 60;
/** One day of 15-minute slots. */
const MAX_ABORT_STREAK = 96;
const SYMBOL = /^[A-Z0-9]{2,10}\/[A-Z0-9]{2,10}$/;

const positiveOrOff = (unit: string) =>
  z.number({ error: `must be a number in ${unit}, or null to turn the limit off` })
    .positive({ error: `must be above 0 (${unit}), or null to turn the limit off` })
    .max(Number.MAX_SAFE_INTEGER, { error: "must be a finite number" })
    .nullable();

const limitsSchema = z.object({
  maxPositionQuote: positiveOrOff("the quote currency"),
  maxPositionBase: positiveOrOff("the base currency"),
  maxDailyLossQuote: positiveOrOff("the quote currency"),
  maxDrawdownPct: z.number({ error: "must be a percent of the equity peak, or null" })
    .positive({ error: "must be above 0 percent, or null to turn the limit off" })
    .max(100, { error: "must be at most 100 percent" })
    .nullable(),
  cooldownMinutes: z.number({ error: "must be a whole number of minutes" })
    .int({ error: "must be a whole number of minutes" })
    .min(0, { error: "must be 0 (off) or more minutes" })
    .max(MAX_COOLDOWN_MINUTES, { error: `must be at most ${MAX_COOLDOWN_MINUTES} minutes` }),
  maxAbortStreak: z.number({ error: "must be a whole number of cycles" })
    .int({ error: "must be a whole number of cycles" })
    .min(1, { error: "must be at least 1 cycle" })
    .max(MAX_ABORT_STREAK, { error: `must be at most ${MAX_ABORT_STREAK} cycles` }),
}).partial().strict();

export type ProtectionParseResult =
  | { ok: true; config: ProtectionConfig }
  | { ok: false; problems: string[] };

/**
 * Parses the `TITAN_PROTECTIONS` text. Returns every problem, each naming
 * the entry, the key and the rejected value, instead of throwing.
 */
export function parseProtections(text: string): ProtectionParseResult {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return {
      ok: false,
      problems: [
        `TITAN_PROTECTIONS is not JSON (${JSON.stringify(text.slice(0, 80))}); expected an ` +
          'object such as {"default": {"maxDrawdownPct": 15}}.',
      ],
    };
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return {
      ok: false,
      problems: [`TITAN_PROTECTIONS must be a JSON object of market to limits, got ${text}.`],
    };
  }
  return parseEntries(raw as Record<string, unknown>);
}

function parseEntries(raw: Record<string, unknown>): ProtectionParseResult {
  const problems: string[] = [];
  const entries: Record<string, Partial<ProtectionLimits>> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (key !== "default" && !SYMBOL.test(key)) {
      problems.push(
        `TITAN_PROTECTIONS key ${JSON.stringify(key)} is neither "default" nor a market ` +
          "symbol like BTC/USD.",
      );
      continue;
    }
    const parsed = limitsSchema.safeParse(value);
    if (parsed.success) {
      entries[key] = withoutUndefined(parsed.data);
      continue;
    }
    for (const issue of parsed.error.issues) problems.push(describeIssue(key, value, issue));
  }
  if (problems.length > 0) return { ok: false, problems };
  const { default: defaults = {}, ...markets } = entries;
  return { ok: true, config: { default: { ...DEFAULT_LIMITS, ...defaults }, markets } };
}

/** Returns the limits of `market`: its entry merged over the defaults. */
export function limitsFor(config: ProtectionConfig, market: string): ProtectionLimits {
  return { ...config.default, ...config.markets[market] };
}

/** Returns the defaults alone, for callers that build a config without the environment. */
export function defaultProtections(): ProtectionConfig {
  return { default: { ...DEFAULT_LIMITS }, markets: {} };
}

function describeIssue(entry: string, value: unknown, issue: z.core.$ZodIssue): string {
  const where = `TITAN_PROTECTIONS[${JSON.stringify(entry)}]`;
  if (issue.code === "unrecognized_keys") {
    const known = Object.keys(DEFAULT_LIMITS).join(", ");
    return `${where} has unknown key(s) ${issue.keys.join(", ")}; known keys: ${known}.`;
  }
  const key = issue.path.map(String).join(".");
  if (key === "") return `${where} must be an object of limits, got ${JSON.stringify(value)}.`;
  const rejected = (value as Record<string, unknown>)[key];
  return `${where}.${key} = ${JSON.stringify(rejected)}: ${issue.message}.`;
}

/** `partial()` types absent keys as undefined; a spread must not erase a default with them. */
function withoutUndefined(limits: Partial<ProtectionLimits>): Partial<ProtectionLimits> {
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(limits)) {
    if (value !== undefined) result[key] = value;
  }
  return result as Partial<ProtectionLimits>;
}
