/**
 * The simulator's clock: simulated time in ms since the epoch, either
 * standing still until set or running at the pace of a real clock.
 *
 * @module
 */

/** `fixed`: moves only when set. `running`: advances with the real clock. */
export type ClockMode = "fixed" | "running";

export class SimulatedClock {
  readonly mode: ClockMode;
  readonly #realNow: () => number;
  /** Simulated time at `#anchorRealMs`. */
  #anchorMs: number;
  #anchorRealMs: number;

  /**
   * @param startMs simulated time at creation.
   * @param realNow the real clock, in ms; `Date.now` unless a test passes one.
   */
  constructor(startMs: number, mode: ClockMode, realNow: () => number = Date.now) {
    checkTime(startMs);
    this.mode = mode;
    this.#realNow = realNow;
    this.#anchorMs = startMs;
    this.#anchorRealMs = realNow();
  }

  /** Simulated time in ms since the epoch. */
  now(): number {
    if (this.mode === "fixed") return this.#anchorMs;
    return this.#anchorMs + (this.#realNow() - this.#anchorRealMs);
  }

  /** Moves simulated time to `timeMs`; a running clock keeps running from there. */
  set(timeMs: number): void {
    checkTime(timeMs);
    this.#anchorMs = timeMs;
    this.#anchorRealMs = this.#realNow();
  }
}

function checkTime(timeMs: number): void {
  if (!Number.isFinite(timeMs) || !Number.isInteger(timeMs) || timeMs < 0) {
    throw new RangeError(
      `set simulator clock: ${timeMs} is invalid; expected whole ms since the epoch, >= 0`,
    );
  }
}
