import { CycleAbort } from "../cycle/reasons.ts";
import { SqlError } from "../journal/sql-client.ts";
import type { Clock } from "../time/clock.ts";
import { classifyExchangeError, CONSEQUENCES, ExchangeFailure } from "./errors.ts";

/** One exchange call as the audit payload records it. */
export interface CallRecord {
  name: string;
  latency_ms: number;
  ok: boolean;
  error?: string;
}

export interface CallGuardOptions {
  clock: Clock;
  /** A call slower than this aborts the cycle with `API_LAG`. */
  latencyBudgetMs: number;
  /** A call still unanswered after this is abandoned (ccxt's own timeout may not apply). */
  timeoutMs: number;
  /** Monotonic time by which the whole cycle must be done. */
  deadlineAt: number;
  /** Wait before the one retry a rate limit allows. */
  retryBackoffMs: number;
}

/** Options of one guarded call. */
export interface CallOptions {
  /**
   * Most retries this call may make, below what the error map allows. Order
   * placement passes 0, because a resend needs a lookup first.
   */
  maxRetries?: number;
}

/** The result of `CallGuard.attempt`: the value, or the classified failure. */
export type CallOutcome<T> =
  | { ok: true; value: T; latencyMs: number }
  | { ok: false; failure: ExchangeFailure; latencyMs: number; attempts: number };

/**
 * Runs every exchange call of a cycle: times it, abandons it at the
 * timeout, retries what the error map allows inside the deadline, and turns
 * any failure into a `CycleAbort` with the values behind it.
 */
export class CallGuard {
  readonly calls: CallRecord[] = [];

  constructor(private readonly options: CallGuardOptions) {}

  /**
   * Runs `run` and returns its value. Throws a `CycleAbort` for a failure
   * with no retry left, and `API_LAG` for a reply over the latency budget.
   */
  async call<T>(
    name: string,
    run: (signal: AbortSignal) => Promise<T>,
    options: CallOptions = {},
  ): Promise<T> {
    const outcome = await this.attempt(name, run, options);
    if (!outcome.ok) throw this.abortFor(outcome.failure, outcome.latencyMs, outcome.attempts);
    this.#checkLatency(name, outcome.latencyMs);
    return outcome.value;
  }

  /**
   * Runs `run` with the retries the error map allows and returns the value
   * or the failure, without aborting. A reply over the latency budget is
   * returned like any other, so an order's reply is never dropped for being
   * slow. `run` receives a signal that aborts when the call is abandoned.
   */
  async attempt<T>(
    name: string,
    run: (signal: AbortSignal) => Promise<T>,
    options: CallOptions = {},
  ): Promise<CallOutcome<T>> {
    for (let attempt = 0; ; attempt++) {
      const started = this.options.clock.monotonic();
      try {
        const value = await this.#withTimeout(name, run);
        const latencyMs = round(this.options.clock.monotonic() - started);
        this.calls.push({ name, latency_ms: latencyMs, ok: true });
        return { ok: true, value, latencyMs };
      } catch (error) {
        // A database error inside a call (the API key's lock) is no exchange failure.
        if (error instanceof CycleAbort || error instanceof SqlError) throw error;
        const failure = classifyExchangeError(error, name);
        const latencyMs = round(this.options.clock.monotonic() - started);
        this.calls.push({ name, latency_ms: latencyMs, ok: false, error: failure.kind });
        if (!(await this.#mayRetry(failure, attempt, options))) {
          return { ok: false, failure, latencyMs, attempts: attempt + 1 };
        }
      }
    }
  }

  /** Milliseconds left before the cycle's deadline. */
  remainingMs(): number {
    return this.options.deadlineAt - this.options.clock.monotonic();
  }

  /** Builds the abort a failure ends the cycle with, carrying the values behind it. */
  abortFor(failure: ExchangeFailure, latencyMs: number, attempts: number): CycleAbort {
    return abortFor(failure, latencyMs, attempts - 1);
  }

  async #withTimeout<T>(name: string, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const abandon = new AbortController();
    const limit = Math.min(this.options.timeoutMs, Math.max(0, this.remainingMs()));
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        abandon.abort();
        reject(new ExchangeFailure("timeout", name, `no reply within ${Math.round(limit)} ms`));
      }, limit);
    });
    const running = run(abandon.signal);
    // A call abandoned at the timeout may still settle later; nothing awaits it then.
    running.catch(() => {});
    try {
      return await Promise.race([running, expired]);
    } finally {
      clearTimeout(timer);
    }
  }

  #checkLatency(name: string, latency: number): void {
    if (latency <= this.options.latencyBudgetMs) return;
    throw new CycleAbort(
      "API_LAG",
      `${name} took ${Math.round(latency)} ms, over the latency budget of ` +
        `${this.options.latencyBudgetMs} ms.`,
      { call: name, latency_ms: round(latency), budget_ms: this.options.latencyBudgetMs },
    );
  }

  async #mayRetry(failure: ExchangeFailure, attempt: number, options: CallOptions) {
    const allowed = Math.min(CONSEQUENCES[failure.kind].retries, options.maxRetries ?? Infinity);
    if (attempt >= allowed) return false;
    const backoff = this.options.retryBackoffMs * 2 ** attempt;
    if (this.remainingMs() < backoff + this.options.timeoutMs) return false;
    await this.options.clock.sleep(backoff);
    return true;
  }
}

function abortFor(failure: ExchangeFailure, latency: number, attempt: number): CycleAbort {
  const reason = CONSEQUENCES[failure.kind].abort;
  return new CycleAbort(reason, failure.message, {
    call: failure.call,
    kind: failure.kind,
    latency_ms: round(latency),
    attempts: attempt + 1,
    http_status: failure.httpStatus,
    body_start: failure.bodyStart,
    exchange_text: failure.exchangeText,
  });
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
