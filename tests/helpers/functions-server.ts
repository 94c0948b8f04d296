/**
 * Starts the Deno dev router (`supabase/functions/_dev/router.ts`) as a child
 * process on a free loopback port, the way the functions run in tests.
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import { resolve } from "node:path";

export const REPO_ROOT = resolve(import.meta.dirname, "../..");
const DENO = resolve(REPO_ROOT, "node_modules/.bin/deno");
const ROUTER = "supabase/functions/_dev/router.ts";
const START_TIMEOUT_MS = 60_000;

export interface FunctionsServer {
  /** Base URL such as `http://127.0.0.1:40123`. */
  url: string;
  /** Standard output and error lines so far. */
  output: string[];
  /** POSTs (or sends `method`) to `/functions/v1/<name>`. */
  call(name: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

/**
 * Starts the router with exactly `env` (plus PATH and HOME), so nothing from
 * the developer's shell or `.env` leaks in. `home` is TITAN_HOME, the only
 * folder it may write. `entry` replaces the router with another Deno script
 * and its arguments.
 */
export async function startFunctionsServer(
  env: Record<string, string>,
  home: string,
  entry: string[] = [ROUTER, "--port", "0"],
): Promise<FunctionsServer> {
  const child = spawn(
    DENO,
    [
      "run",
      "--no-prompt",
      "--allow-net=127.0.0.1",
      "--allow-env",
      "--allow-sys",
      `--allow-read=${REPO_ROOT},${home}`,
      `--allow-write=${home}`,
      ...entry,
    ],
    {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? "/tmp",
        TITAN_HOME: home,
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const output: string[] = [];
  const url = await waitForListening(child, output);
  return {
    url,
    output,
    call: (name, init = {}) => fetch(`${url}/functions/v1/${name}`, { method: "POST", ...init }),
    close: () => stop(child),
  };
}

function waitForListening(child: ChildProcess, output: string[]): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new Error(
          `The dev router did not start within ${START_TIMEOUT_MS} ms:\n${output.join("\n")}`,
        ),
      );
    }, START_TIMEOUT_MS);
    const collect = (chunk: Buffer) => {
      for (const line of String(chunk).split("\n").filter(Boolean)) {
        output.push(line);
        const url = /^\{"event":"listening","url":"([^"]+)"\}$/.exec(line)?.[1];
        if (url) {
          clearTimeout(timer);
          resolvePromise(url);
        }
      }
    };
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(
        new Error(`The dev router exited with ${code} before listening:\n${output.join("\n")}`),
      );
    });
  });
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolvePromise) => {
    const force = setTimeout(() => child.kill("SIGKILL"), 5_000);
    child.once("exit", () => {
      clearTimeout(force);
      resolvePromise();
    });
    child.kill("SIGTERM");
  });
}
