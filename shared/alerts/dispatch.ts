/**
 * Sends a cycle's alerts without letting them change its outcome: each
 * send starts at once, a failure becomes an `ALERT FAILED` blackbox line,
 * and the cycle waits for them at most `maxWaitMs` before it uploads its log.
 *
 * @module
 */
import type { BlackboxRecorder } from "../blackbox/recorder.ts";
import type { AlertEvent, Alerter } from "./alerter.ts";
import { scrubEvent } from "./scrub.ts";

/** How long a cycle waits for its alerts by default: the webhook timeout plus a margin. */
export const DEFAULT_ALERT_WAIT_MS = 2_500;

export class AlertDispatcher {
  readonly #pending: Promise<void>[] = [];

  constructor(
    private readonly alerter: Alerter | undefined,
    private readonly log: BlackboxRecorder,
    private readonly maxWaitMs = DEFAULT_ALERT_WAIT_MS,
  ) {}

  /** Starts sending `event`; never throws. */
  dispatch(event: AlertEvent): void {
    const alerter = this.alerter;
    if (alerter === undefined) return;
    const clean = scrubEvent(event, (text) => this.log.scrubText(text));
    this.log.info("ALERT", { kind: clean.kind, market: clean.market });
    const sent = Promise.resolve()
      .then(() => alerter.send(clean))
      .then(
        () => {},
        (error: unknown) => {
          const message = error instanceof Error ? error.message : String(error);
          this.log.warning("ALERT FAILED", {
            kind: clean.kind,
            market: clean.market,
            error: this.log.scrubText(message),
          });
        },
      );
    this.#pending.push(sent);
  }

  /**
   * Waits until every alert settled or `maxWaitMs` passed, whichever is
   * first. Alerts still running are logged as `ALERT PENDING` and left to finish.
   */
  async settle(): Promise<void> {
    if (this.#pending.length === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), this.maxWaitMs);
    });
    const done = Promise.all(this.#pending).then(() => false);
    const late = await Promise.race([done, timedOut]);
    clearTimeout(timer);
    if (late) this.log.warning("ALERT PENDING", { wait_ms: this.maxWaitMs });
  }
}
