import { existsSync } from "node:fs";
import { resolve } from "node:path";

/**
 * Returns the environment for a local command: `.env` in the working
 * directory when it exists, with variables already set in the shell taking
 * precedence, as in most `.env` tools.
 */
export function localEnv(envFile = ".env"): Record<string, string | undefined> {
  const path = resolve(envFile);
  const fromFile: Record<string, string> = {};
  if (existsSync(path)) {
    const before = { ...process.env };
    process.loadEnvFile(path);
    for (const [key, value] of Object.entries(process.env)) {
      if (before[key] === undefined && value !== undefined) fromFile[key] = value;
    }
  }
  return { ...fromFile, ...process.env };
}

/** Folder for local state: the embedded database and blackbox files. */
export function titanHome(env: Record<string, string | undefined>): string {
  return resolve(env.TITAN_HOME || ".titan");
}
