/**
 * A clock for local runs and tests that starts at a chosen time and then
 * runs at real speed, so the functions can trade recorded candles from a
 * past date against a simulator started at the same time.
 *
 * @module
 */
import { type Clock, systemClock } from "../../../shared/time/clock.ts";

/**
 * Returns the system clock, or with `TITAN_DEV_CLOCK_START` (an ISO time) a
 * clock that reads that time at startup and advances with real time. Throws
 * when the value is not a time. Only the dev router reads this variable; the
 * deployed functions always use the system clock.
 */
export function devClock(start: string | undefined): Clock {
  if (start === undefined || start === "") return systemClock;
  const startMs = Date.parse(start);
  if (Number.isNaN(startMs)) {
    throw new Error(
      `Invalid TITAN_DEV_CLOCK_START ${JSON.stringify(start)}: expected an ISO time such as ` +
        "2024-01-15T12:15:05Z.",
    );
  }
  const origin = performance.now();
  return {
    now: () => startMs + Math.round(performance.now() - origin),
    monotonic: () => performance.now(),
    sleep: systemClock.sleep,
  };
}
