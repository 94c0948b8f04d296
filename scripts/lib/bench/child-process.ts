/**
 * Helpers for the child processes the bench starts: wait for a line of their
 * output, and stop them.
 *
 * @module
 */
import type { ChildProcess } from "node:child_process";

export interface LineWait {
  /** Description of the awaited event for messages, such as "the simulator to listen". */
  label: string;
  /** The awaited line; the first capture group is the result. */
  pattern: RegExp;
  timeoutMs: number;
  /** Whether a line may appear in an error message; default every line. */
  keep?: (line: string) => boolean;
}

/**
 * Resolves with the first capture of the first stdout or stderr line that
 * matches. Rejects with the output so far when the process exits first or
 * the time runs out; on a timeout the process is killed.
 */
export function waitForLine(child: ChildProcess, wait: LineWait): Promise<string> {
  const output: string[] = [];
  return new Promise((resolveLine, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new Error(
          `Waiting for ${wait.label} timed out after ${wait.timeoutMs} ms:\n` +
            output.join("\n"),
        ),
      );
    }, wait.timeoutMs);
    const onExit = (code: number | null, signal: string | null) => {
      clearTimeout(timer);
      reject(
        new Error(
          `Waiting for ${wait.label} failed: the process exited with ` +
            `${code ?? signal}:\n${output.join("\n")}`,
        ),
      );
    };
    const collect = (chunk: Buffer) => {
      for (const line of String(chunk).split("\n").filter(Boolean)) {
        const match = wait.pattern.exec(line);
        if (match === null) {
          if (wait.keep?.(line) ?? true) output.push(line);
          continue;
        }
        clearTimeout(timer);
        child.off("exit", onExit);
        resolveLine(match[1] ?? line);
      }
    };
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);
    child.once("exit", onExit);
  });
}

/** Resolves once the process has exited. */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolveExit) => child.once("exit", () => resolveExit()));
}

/** Resolves true once the process has exited, or false after `timeoutMs`. */
export async function exitedWithin(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolveTimeout) => {
    timer = setTimeout(() => resolveTimeout(false), timeoutMs);
  });
  try {
    return await Promise.race([exited(child).then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Sends SIGTERM and resolves once the process has exited; SIGKILL after 5 s. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const force = setTimeout(() => child.kill("SIGKILL"), 5_000);
  child.kill("SIGTERM");
  await exited(child);
  clearTimeout(force);
}
