/**
 * Blackbox log storage, written by cycles and read back by ingest-logs: the
 * Storage bucket on Supabase, or files under TITAN_HOME locally.
 *
 * @module
 */
import type { BlackboxSink } from "../../../shared/blackbox/recorder.ts";

/** The private bucket the blackbox migration creates. */
export const BLACKBOX_BUCKET = "blackbox";

/** A log that cannot be read: missing, or larger than the caller accepts. */
export class BlackboxReadError extends Error {
  override readonly name = "BlackboxReadError";
  constructor(readonly kind: "not_found" | "too_large", message: string) {
    super(message);
  }
}

export interface BlackboxStore extends BlackboxSink {
  /**
   * Reads the log at `path` as text. Throws BlackboxReadError when it does not
   * exist or has more than `maxBytes` bytes, and Error when the read fails.
   */
  get(path: string, maxBytes: number): Promise<string>;
}

const PLAIN_PATH = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/;

/**
 * True for an object name Storage accepts as it is (`[A-Za-z0-9/_.-]`, no
 * empty, `.` or `..` segment), at most 1024 characters.
 */
export function isPlainObjectPath(path: string): boolean {
  if (path.length > 1024 || !PLAIN_PATH.test(path)) return false;
  return path.split("/").every((segment) => segment !== "." && segment !== "..");
}

/** Throws when `path` is not a plain object name; see `isPlainObjectPath`. */
export function assertPlainObjectPath(path: string): void {
  if (!isPlainObjectPath(path)) {
    throw new Error(
      `Invalid blackbox path ${JSON.stringify(path.slice(0, 200))}: use letters, digits and ` +
        "/_.- only, without empty, . or .. segments.",
    );
  }
}
