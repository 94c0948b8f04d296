/**
 * The parameter grid of `npm run sweep`: parsing `name=a,b,c` options,
 * expanding them into every combination, and ranking the results.
 *
 * @module
 */

import { ParamError, type ParamValues, parseParamAssignments } from "./params.ts";
import type { BacktestSummary } from "./summary.ts";

/** Metrics a sweep can rank by, each with the direction that counts as better. */
export const RANKING_METRICS = {
  sharpe: "higher",
  sortino: "higher",
  total_return: "higher",
  cagr: "higher",
  win_rate: "higher",
  max_drawdown: "lower",
} as const;

export type RankingMetric = keyof typeof RANKING_METRICS;

export interface GridAxis {
  name: string;
  values: number[];
}

/** Largest number of combinations a sweep runs; a bigger grid is almost always a typo. */
export const MAX_COMBINATIONS = 10_000;

/**
 * Parses `--grid name=a,b,c` options. Throws `ParamError` for an unknown
 * name, a value that is not a number, a name given twice or an empty list.
 */
export function parseGrid(specs: readonly string[]): GridAxis[] {
  if (specs.length === 0) {
    throw new ParamError(
      "Missing --grid: give at least one, for example --grid fastPeriod=5,10,20.",
    );
  }
  const axes: GridAxis[] = [];
  for (const spec of specs) {
    const [name = "", list = ""] = spec.split("=", 2);
    const items = list.split(",").map((item) => item.trim()).filter((item) => item !== "");
    if (items.length === 0) {
      throw new ParamError(
        `Invalid --grid ${JSON.stringify(spec)}: expected name=a,b,c, for example fastPeriod=5,10.`,
      );
    }
    // Each value goes through the same checks as a --param assignment.
    const values = items.map((item) => parseParamAssignments([`${name}=${item}`])[name] as number);
    if (axes.some((axis) => axis.name === name)) {
      throw new ParamError(`Invalid --grid ${name}: the parameter is given twice.`);
    }
    axes.push({ name, values: [...new Set(values)] });
  }
  const count = axes.reduce((product, axis) => product * axis.values.length, 1);
  if (count > MAX_COMBINATIONS) {
    throw new ParamError(
      `Invalid --grid: ${count} combinations, more than the ${MAX_COMBINATIONS} a sweep runs. ` +
        `Use fewer values.`,
    );
  }
  return axes;
}

/** Returns every combination of the axes, the first axis varying slowest. */
export function expandGrid(axes: readonly GridAxis[]): ParamValues[] {
  let combinations: ParamValues[] = [{}];
  for (const axis of axes) {
    combinations = combinations.flatMap((partial) =>
      axis.values.map((value) => ({ ...partial, [axis.name]: value }))
    );
  }
  return combinations;
}

/** One evaluated combination: its parameters and the summaries of both periods. */
export interface SweepResult {
  params: ParamValues;
  inSample: BacktestSummary;
  outOfSample: BacktestSummary;
}

/**
 * Sorts results best first by the in-sample value of `metric`. A result
 * without a value (no trade, so no Sharpe ratio) ranks last.
 */
export function rankResults(results: readonly SweepResult[], metric: RankingMetric): SweepResult[] {
  const sign = RANKING_METRICS[metric] === "higher" ? -1 : 1;
  return [...results].sort((left, right) => {
    const a = left.inSample[metric];
    const b = right.inSample[metric];
    if (a === null && b === null) return 0;
    if (a === null) return 1;
    if (b === null) return -1;
    return sign * (a - b);
  });
}

/** Returns `text` as a ranking metric, or throws `ParamError` listing the choices. */
export function parseRankingMetric(text: string): RankingMetric {
  if (text in RANKING_METRICS) return text as RankingMetric;
  throw new ParamError(
    `Invalid --metric ${JSON.stringify(text)}: expected one of ` +
      `${Object.keys(RANKING_METRICS).join(", ")}.`,
  );
}
