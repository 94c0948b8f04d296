/**
 * Strategy and risk parameters set from the command line (`--param
 * name=value`), validated by the same zod schemas and history rule as the
 * configuration the live cycle loads.
 *
 * @module
 */

import type { TitanConfig } from "../config/config.ts";
import { assertHistoryConfig, MAX_HISTORY_CANDLES } from "../market/history-config.ts";
import { riskParamsSchema } from "../risk/risk-params.ts";
import { trendParamsSchema, trendRequiredCandles } from "../strategy/trend-params.ts";

/** An invalid parameter assignment; the message names the parameter and the fix. */
export class ParamError extends Error {
  override readonly name = "ParamError";
}

export const STRATEGY_PARAM_NAMES: readonly string[] = Object.keys(trendParamsSchema.shape);
export const RISK_PARAM_NAMES: readonly string[] = Object.keys(riskParamsSchema.shape);

/** Parameter values by name; a number for every parameter the schemas know. */
export type ParamValues = Record<string, number>;

/**
 * Splits `name=value` assignments into values by name. Throws `ParamError`
 * for a malformed assignment, an unknown name, a value that is not a finite
 * number, or a name given twice.
 */
export function parseParamAssignments(assignments: readonly string[]): ParamValues {
  const values: ParamValues = {};
  for (const assignment of assignments) {
    const match = /^\s*([A-Za-z]+)\s*=\s*(\S+)\s*$/.exec(assignment);
    if (!match) {
      throw new ParamError(
        `Invalid --param ${JSON.stringify(assignment)}: expected name=value, for example ` +
          `fastPeriod=10.`,
      );
    }
    const [, name = "", text = ""] = match;
    assertKnownName(name);
    const value = Number(text);
    if (!Number.isFinite(value)) {
      throw new ParamError(`Invalid --param ${name}=${text}: the value must be a finite number.`);
    }
    if (name in values) throw new ParamError(`Invalid --param ${name}: it is given twice.`);
    values[name] = value;
  }
  return values;
}

/**
 * Returns a copy of `config` with the parameters applied, checked by
 * `trendParamsSchema`, `riskParamsSchema` and the rule that the candle
 * history covers what the strategy needs. Throws `ParamError` naming the
 * parameter and the rule it breaks.
 */
export function applyParams(config: TitanConfig, values: ParamValues): TitanConfig {
  const strategyInput: Record<string, unknown> = { ...config.strategy };
  const riskInput: Record<string, unknown> = { ...config.risk };
  for (const [name, value] of Object.entries(values)) {
    assertKnownName(name);
    if (STRATEGY_PARAM_NAMES.includes(name)) strategyInput[name] = value;
    else riskInput[name] = value;
  }
  const strategy = trendParamsSchema.safeParse(strategyInput);
  if (!strategy.success) throw new ParamError(describeIssues("strategy", strategy.error.issues));
  const risk = riskParamsSchema.safeParse(riskInput);
  if (!risk.success) throw new ParamError(describeIssues("risk", risk.error.issues));
  const required = trendRequiredCandles(strategy.data);
  try {
    assertHistoryConfig(config.cycle.historyCandles, required);
  } catch {
    throw new ParamError(
      `Invalid strategy parameters: they need ${required} closed candles, but ` +
        `TITAN_HISTORY_CANDLES is ${config.cycle.historyCandles}. Raise TITAN_HISTORY_CANDLES ` +
        `to at least ${required} (at most ${MAX_HISTORY_CANDLES}), or choose shorter periods.`,
    );
  }
  return { ...config, strategy: strategy.data, risk: risk.data };
}

/** Formats parameter values as `name=value` pairs in a stable order. */
export function formatParams(values: ParamValues): string {
  return Object.entries(values).map(([name, value]) => `${name}=${value}`).join(" ");
}

function assertKnownName(name: string): void {
  if (STRATEGY_PARAM_NAMES.includes(name) || RISK_PARAM_NAMES.includes(name)) return;
  throw new ParamError(
    `Unknown parameter ${JSON.stringify(name)}: expected a strategy parameter ` +
      `(${STRATEGY_PARAM_NAMES.join(", ")}) or a risk parameter (${RISK_PARAM_NAMES.join(", ")}).`,
  );
}

function describeIssues(
  kind: string,
  issues: readonly { path: PropertyKey[]; message: string }[],
): string {
  const details = issues.map((issue) => {
    const name = issue.path.map(String).join(".") || "(all)";
    return `${name}: ${issue.message}`;
  });
  return `Invalid ${kind} parameters: ${details.join("; ")}.`;
}
