import { CycleAbort } from "../cycle/reasons.ts";
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

/**
 * Runs every exchange call of a cycle: times it, abandons it at the
 * timeout, retries what the error map allows inside the deadline, and turns
 * any failure into a `CycleAbort` with the values behind it.
 */
export class CallGuard {
  readonly calls: CallRecord[] = [];

  constructor(private readonly options: CallGuardOptions) {}

  async call<T>(name: string, run: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const started = this.options.clock.monotonic();
      try {
        const value = await this.#withTimeout(name, run);
        const latency = this.options.clock.monotonic() - started;
        this.calls.push({ name, latency_ms: round(latency), ok: true });
        this.#checkLatency(name, latency);
        return value;
      } catch (error) {
        if (error instanceof CycleAbort) throw error;
        const failure = classifyExchangeError(error, name);
        const latency = this.options.clock.monotonic() - started;
        this.calls.push({ name, latency_ms: round(latency), ok: false, error: failure.kind });
        if (!(await this.#mayRetry(failure, attempt))) throw abortFor(failure, latency, attempt);
      }
    }
  }

  /** Milliseconds left before the cycle's deadline. */
  remainingMs(): number {
    return this.options.deadlineAt - this.options.clock.monotonic();
  }

  async #withTimeout<T>(name: string, run: () => Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const limit = Math.min(this.options.timeoutMs, Math.max(0, this.remainingMs()));
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new ExchangeFailure("timeout", name, `no reply within ${Math.round(limit)} ms`));
      }, limit);
    });
    try {
      return await Promise.race([run(), expired]);
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

  async #mayRetry(failure: ExchangeFailure, attempt: number): Promise<boolean> {
    if (attempt >= CONSEQUENCES[failure.kind].retries) return false;
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
