/**
 * Starts `npm run sim` (scripts/sim.ts under tsx) as a child process on a
 * free loopback port, so the simulator's CPU time is not counted with the
 * process being measured.
 *
 * @module
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { stopChild, waitForLine } from "./child-process.ts";

export interface SimulatorProcess {
  /** Base URL such as `http://127.0.0.1:40123`. */
  url: string;
  close(): Promise<void>;
}

/**
 * Starts the simulator on `candlesFile` with its running clock at `clock`:
 * `now` shifts the candles so the file's last candle is the one open now,
 * an ISO time starts the clock there. Rejects when it does not listen within
 * 60 s, with its output.
 */
export async function startSimulatorProcess(
  root: string,
  candlesFile: string,
  clock: string,
): Promise<SimulatorProcess> {
  const child = spawn(
    join(root, "node_modules/.bin/tsx"),
    ["scripts/sim.ts", "--candles", candlesFile, "--port", "0", "--clock", clock],
    { cwd: root, stdio: ["ignore", "pipe", "pipe"] },
  );
  const url = await waitForLine(child, {
    label: "the simulator to listen",
    pattern: /^Kraken simulator listening on (http:\/\/127\.0\.0\.1:\d+)$/,
    timeoutMs: 60_000,
    // The banner prints the API secret it generated; it stays out of messages.
    keep: (line) => !line.startsWith("Generated credentials"),
  });
  return { url, close: () => stopChild(child) };
}
