import type { CycleOutcome, CycleResult } from "../../shared/cycle/context.ts";
import { isoTime } from "../../shared/time/slots.ts";

/** Process exit status of a cycle command for each outcome. */
export function exitCodeOf(outcome: CycleOutcome): number {
  if (outcome === "aborted") return 3;
  if (outcome === "crashed") return 4;
  return 0;
}

/** A person-readable summary of one cycle. */
export function describeResult(result: CycleResult, location: string, blackboxRoot: string): string {
  const lines = [`cycle    ${result.cycleId} (${result.market}, slot ${isoTime(result.slot)}, ${result.mode})`];
  lines.push(`outcome  ${result.outcome}`);
  if (result.outcome === "aborted") {
    lines.push(`reason   ${result.abortReason}: ${result.message}`);
    const details = result.payload?.abort?.details ?? {};
    for (const [key, value] of Object.entries(details)) {
      if (value !== null && value !== undefined) lines.push(`         ${key} = ${JSON.stringify(value)}`);
    }
  } else if (result.outcome === "already_ran") {
    lines.push(`reason   ${result.message}`);
  } else if (result.outcome === "crashed") {
    lines.push(`error    ${result.message}`);
  } else {
    lines.push(`decision ${result.decision}`);
    lines.push(`reason   ${result.message}`);
    const outcome = result.payload?.verdict?.order_outcome;
    if (outcome?.status === "skipped") lines.push(`order    skipped: ${outcome.reason}`);
    if (result.fill) {
      const f = result.fill;
      lines.push(`fill     ${f.side} ${f.amount} at ${f.price}, cost ${f.cost.toFixed(2)}, fee ${f.fee.toFixed(4)}`);
    }
  }
  const fin = result.payload?.financials;
  if (fin && fin.equity !== null) {
    lines.push(
      `equity   ${fin.equity.toFixed(2)} ${fin.quote_currency} ` +
        `(cash ${fin.cash}, position ${fin.position} ${fin.base_currency} at ${fin.price})`,
    );
  }
  lines.push(`records  ${location}; blackbox ${blackboxRoot}/${result.blackboxPath ?? "(none)"}`);
  if (result.blackboxError) lines.push(`warning  blackbox upload failed: ${result.blackboxError}`);
  return lines.join("\n");
}
