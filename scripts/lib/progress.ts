import cliProgress from "cli-progress";

export interface Progress {
  update(done: number, total: number): void;
  stop(): void;
}

/**
 * A progress bar on standard error that appears only when a run lasts
 * longer than a second, and never when standard error is not a terminal or
 * `enabled` is false (for example with `--json`).
 */
export function createProgress(enabled: boolean, delayMs = 1_000): Progress {
  if (!enabled || !process.stderr.isTTY) return { update() {}, stop() {} };
  const started = Date.now();
  let bar: cliProgress.SingleBar | null = null;
  return {
    update(done, total) {
      if (!bar) {
        if (Date.now() - started < delayMs) return;
        bar = new cliProgress.SingleBar(
          { stream: process.stderr, format: "{bar} {percentage}% | {value}/{total} | eta {eta}s" },
          cliProgress.Presets.shades_classic,
        );
        bar.start(total, done);
      }
      bar.update(done);
    },
    stop() {
      bar?.stop();
      bar = null;
    },
  };
}
