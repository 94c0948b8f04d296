import { sendCycleAlerts } from "../alerts/cycle-alerts.ts";
import { BlackboxRecorder, blackboxPath } from "../blackbox/recorder.ts";
import { CallGuard } from "../exchange/call-guard.ts";
import { applyProtections, checkMarketHalt } from "../protections/cycle-steps.ts";
import { recordMode, resolveMode } from "../protections/mode.ts";
import { checkAbortStreak } from "../protections/streak-step.ts";
import { createTrendEvaluator } from "../strategy/trend.ts";
import { cycleId as makeCycleId, isoTime, marketKey, slotStart } from "../time/slots.ts";
import type { CycleDeps, CycleRequest, CycleResult } from "./context.ts";
import { CycleAbort } from "./reasons.ts";
import { CycleState } from "./state.ts";
import { venueFor } from "./venue.ts";
import { checkClock, readMarket } from "./steps/market-data.ts";
import { decideAndExecute, markPortfolio } from "./steps/trade.ts";

/**
 * Runs one cycle for one (market, slot): claim, kill switch, clock, market
 * data, portfolio, decision, execution (PAPER or LIVE), then the row and the
 * blackbox.
 * Never throws for an abort or a crash of a step: both end as a finished row.
 * Throws only when the journal itself cannot be written.
 */
export async function runCycle(deps: CycleDeps, request: CycleRequest): Promise<CycleResult> {
  const { config, clock, journal } = deps;
  const startedMono = clock.monotonic();
  const now = clock.now();
  const slot = request.slot ?? slotStart(now, config.cycle.intervalMs);
  const id = makeCycleId(request.market, slot);
  const log = new BlackboxRecorder(() => clock.now(), deps.secrets ?? []);
  // A PAPER override in the database lowers a LIVE market to PAPER before anything is claimed.
  const resolved = await resolveMode(config.mode, deps.protections, request.market);
  const mode = resolved.mode;
  const state = new CycleState(id, request.market, slot, mode, deps.invocationId, now, config.cycle.intervalMs);
  const guard = new CallGuard({
    clock,
    latencyBudgetMs: config.cycle.latencyBudgetMs,
    timeoutMs: config.cycle.exchangeTimeoutMs,
    deadlineAt: startedMono + config.cycle.deadlineMs,
    retryBackoffMs: config.cycle.retryBackoffMs,
  });
  log.info("CYCLE START", {
    cycle_id: id,
    market: request.market,
    mode,
    invocation_id: deps.invocationId,
    slot: isoTime(slot),
  });
  state.protections.mode = recordMode(log, resolved);

  const claim = await journal.claimCycle({
    cycleId: id,
    market: request.market,
    slot,
    mode,
    invocationId: deps.invocationId,
    invokedBy: deps.invokedBy,
    startedAt: now,
  });
  if (!claim.claimed) return alreadyRan(deps, log, state, claim.existingStatus ?? null);
  state.attempt = claim.attempt ?? 1;

  let fill: CycleResult["fill"] = null;
  try {
    fill = await runSteps(deps, guard, state, log);
  } catch (error) {
    recordFailure(state, log, error);
  }
  return finish(deps, guard, state, log, startedMono, fill);
}

async function runSteps(deps: CycleDeps, guard: CallGuard, state: CycleState, log: BlackboxRecorder) {
  const step = timeSteps(deps, state);
  await step("kill_switch", () => checkKillSwitch(deps, state, log));
  await step("market_halt", () => checkMarketHalt(deps, state));
  await step("slot", () => Promise.resolve(checkSlotAge(deps, state)));
  // LIVE reconciles the orders earlier cycles left unresolved before anything new.
  await step("recover", () => venueFor(deps, state.mode).recover({ deps, guard, state, log }));
  const exchangeNow = await step("clock", () => checkClock(deps, guard, state, log));
  const evaluator = createTrendEvaluator(deps.config.strategy);
  const snapshot = await step("market_data", () =>
    readMarket(deps, guard, state, log, exchangeNow, evaluator.requiredCandles)
  );
  const balances = await step("portfolio", () => markPortfolio(deps, state, log, snapshot, guard));
  await step("protections", () => applyProtections(deps, state, log));
  return step("decision", () =>
    decideAndExecute(deps, state, log, snapshot, balances, evaluator, guard)
  );
}

function timeSteps(deps: CycleDeps, state: CycleState) {
  return async <T>(name: string, run: () => Promise<T>): Promise<T> => {
    const started = deps.clock.monotonic();
    try {
      return await run();
    } finally {
      state.stepsMs[name] = Math.round((deps.clock.monotonic() - started) * 10) / 10;
    }
  };
}

/**
 * Aborts KILL_SWITCH while the system is halted. In `stop-entries` mode the
 * cycle goes on with BUY orders disabled, so an open position can still be sold.
 */
async function checkKillSwitch(deps: CycleDeps, state: CycleState, log: BlackboxRecorder): Promise<void> {
  const system = await deps.journal.readSystemState();
  if (!system.halted) return;
  const details = {
    halted_by: system.haltedBy,
    halt_reason: system.haltReason,
    halted_at: system.haltedAt === null ? null : isoTime(system.haltedAt),
    halt_mode: system.haltMode ?? "halt",
  };
  if (system.haltMode === "stop-entries") {
    state.entriesStopped = `Entries are stopped by the kill switch: ${system.haltReason ?? "no reason given"}.`;
    log.warning("ENTRIES STOPPED", details);
    return;
  }
  throw new CycleAbort("KILL_SWITCH", `Trading is halted: ${system.haltReason ?? "no reason given"}.`, details);
}

/** A late request (pg_cron queues late runs) or one for a future slot must not trade. */
function checkSlotAge(deps: CycleDeps, state: CycleState): void {
  const ageMs = deps.clock.now() - state.slot;
  const allowed = deps.config.cycle.maxSlotDelayMs;
  if (ageMs >= 0 && ageMs <= allowed) return;
  throw new CycleAbort(
    "STALE_SLOT",
    ageMs < 0
      ? `Slot ${isoTime(state.slot)} has not started yet (${-ageMs} ms ahead).`
      : `Request arrived ${ageMs} ms after slot ${isoTime(state.slot)} opened; allowed ${allowed} ms.`,
    { slot_age_ms: ageMs, allowed_ms: allowed },
  );
}

function recordFailure(state: CycleState, log: BlackboxRecorder, error: unknown): void {
  if (error instanceof CycleAbort) {
    state.abort = error;
    log.warning("ABORT", { reason: error.reason, message: log.scrubText(error.message) });
    return;
  }
  const err = error instanceof Error ? error : new Error(describeThrown(error));
  state.crash = { message: log.scrubText(err.message), stack: err.stack ? log.scrubText(err.stack) : null };
  log.error("CRASH", { error: state.crash.message, stack: state.crash.stack });
}

async function finish(
  deps: CycleDeps,
  guard: CallGuard,
  state: CycleState,
  log: BlackboxRecorder,
  startedMono: number,
  fill: CycleResult["fill"],
): Promise<CycleResult> {
  // The row must be finished whatever happens from here, so each late step
  // that fails is recorded as a crash instead of escaping.
  await finishingStep(state, log, () => checkAbortStreak(deps, state, log));
  await finishingStep(state, log, () => sendCycleAlerts(deps, state, log, fill));
  const totalMs = deps.clock.monotonic() - startedMono;
  const memory = deps.memoryUsage?.();
  const health = { rss_bytes: memory?.rss ?? null, heap_used_bytes: memory?.heapUsed ?? null };
  const payload = scrubPayload(log, buildPayload(state, log, guard, totalMs, deps, health));
  log.info("CYCLE END", {
    cycle_id: state.cycleId,
    status: state.status,
    reason: state.abort?.reason ?? null,
    decision: state.verdict?.decision ?? null,
    total_ms: Math.round(totalMs),
  });
  const path = blackboxPath(marketKey(state.market), state.slot, state.cycleId);
  const blackboxError = await upload(deps, path, log.text(), guard.remainingMs());
  await deps.journal.finishCycle({
    cycleId: state.cycleId,
    status: state.status,
    abortReason: state.abort?.reason ?? null,
    decision: state.verdict?.decision ?? null,
    equity: state.financials?.equity ?? null,
    payload,
    blackboxPath: path,
    blackboxError,
    finishedAt: deps.clock.now(),
  });
  return {
    cycleId: state.cycleId,
    market: state.market,
    slot: state.slot,
    mode: state.mode,
    outcome: state.status,
    abortReason: state.abort?.reason ?? null,
    message: log.scrubText(state.abort?.message ?? state.crash?.message ?? state.verdict?.reason ?? ""),
    decision: state.verdict?.decision ?? null,
    equity: state.financials?.equity ?? null,
    fill,
    payload,
    blackboxPath: path,
    blackboxError,
  };
}

async function alreadyRan(
  deps: CycleDeps,
  log: BlackboxRecorder,
  state: CycleState,
  existing: string | null,
): Promise<CycleResult> {
  log.info("IDEMPOTENCY: ALREADY RAN", { cycle_id: state.cycleId, existing_status: existing });
  const suffix = `.dup-${deps.invocationId}`;
  const path = blackboxPath(marketKey(state.market), state.slot, state.cycleId, suffix);
  const blackboxError = await upload(deps, path, log.text());
  return {
    cycleId: state.cycleId,
    market: state.market,
    slot: state.slot,
    mode: state.mode,
    outcome: "already_ran",
    abortReason: null,
    message: `Cycle ${state.cycleId} already ran (status ${existing ?? "unknown"}); nothing was done.`,
    decision: null,
    equity: null,
    fill: null,
    payload: null,
    blackboxPath: path,
    blackboxError,
  };
}

/** Maximum wait for a blackbox upload, so a hung Storage call cannot keep the row running. */
const MAX_UPLOAD_MS = 10_000;

/**
 * Uploads the blackbox within the time the cycle has left, at least one
 * second and at most MAX_UPLOAD_MS. A failure is returned as text and never
 * changes the outcome.
 */
async function upload(deps: CycleDeps, path: string, text: string, remainingMs = MAX_UPLOAD_MS) {
  const limitMs = Math.round(Math.min(MAX_UPLOAD_MS, Math.max(1_000, remainingMs)));
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`blackbox upload timed out after ${limitMs} ms`)), limitMs);
  });
  try {
    await Promise.race([deps.blackbox.put(path, text), expired]);
    return null;
  } catch (error) {
    const message = error instanceof Error ? error.message : describeThrown(error);
    return new BlackboxRecorder(() => 0, deps.secrets ?? []).scrubText(message).slice(0, 500);
  } finally {
    clearTimeout(timer);
  }
}

/** Describes any thrown value, even one whose `toString` throws. */
function describeThrown(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

async function finishingStep(state: CycleState, log: BlackboxRecorder, run: () => Promise<void>) {
  try {
    await run();
  } catch (error) {
    if (!state.crash) recordFailure(state, log, error);
    else log.error("CRASH", { error: log.scrubText(describeThrown(error)) });
  }
}

/**
 * Builds the validated payload. A step may leave a value the schema
 * rejects, such as a time beyond year 9999 or an infinite indicator. Then
 * the cycle is recorded as crashed with the schema's message, and the
 * payload keeps only the parts that validate, so the row is still finished.
 */
function buildPayload(
  state: CycleState,
  log: BlackboxRecorder,
  guard: CallGuard,
  totalMs: number,
  deps: CycleDeps,
  health: { rss_bytes: number | null; heap_used_bytes: number | null },
) {
  try {
    return state.payload(guard.calls, totalMs, deps.config, health);
  } catch (error) {
    const message = `The audit payload failed validation: ${describeThrown(error).slice(0, 400)}`;
    state.crash = { message: log.scrubText(message), stack: null };
    state.abort = null;
    log.error("CRASH", { error: state.crash.message });
    state.resetForFallback();
    return state.payload(guard.calls, totalMs, deps.config, health);
  }
}

/** Removes secret values from every string in the payload, as a last line of defence. */
function scrubPayload<T>(log: BlackboxRecorder, payload: T): T {
  const scrub = (value: unknown): unknown => {
    if (typeof value === "string") return log.scrubText(value);
    if (Array.isArray(value)) return value.map(scrub);
    if (value !== null && typeof value === "object") {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, scrub(item)]));
    }
    return value;
  };
  return scrub(payload) as T;
}
