/**
 * Time as the core reads it. Production passes `systemClock`; replay and
 * tests pass a clock they control, so no test waits in real time.
 */
export interface Clock {
  /** Wall-clock time, ms since the epoch (UTC). */
  now(): number;
  /** A monotonic reading in ms, for measuring durations. */
  monotonic(): number;
  /** Resolves after `ms` milliseconds of this clock's time. */
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * A wall clock that does not move until set. `sleep` advances it at once,
 * so a backoff in a test or a replay costs no real time. Durations still use
 * the real monotonic clock, because exchange latency is physical.
 */
export class ManualClock implements Clock {
  constructor(private current: number) {}

  now(): number {
    return this.current;
  }

  monotonic(): number {
    return performance.now();
  }

  sleep(ms: number): Promise<void> {
    this.current += ms;
    return Promise.resolve();
  }

  set(timeMs: number): void {
    this.current = timeMs;
  }

  advance(ms: number): void {
    this.current += ms;
  }
}
