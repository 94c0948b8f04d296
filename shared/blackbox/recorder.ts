import { type Fields, type FieldValue, formatLine, type LogEntry, type LogLevel } from "./format.ts";

/** Destination of finished blackbox logs: a Storage bucket or local files. */
export interface BlackboxSink {
  /**
   * Stores `text` at `path`, replacing what is there. Throws when the write
   * fails; the cycle records the error and keeps its outcome.
   */
  put(path: string, text: string): Promise<void>;
}

const SECRET_KEY = /secret|password|token|authorization|api_key|apikey|signature/i;
export const REDACTED = "[REDACTED]";

/**
 * Collects one cycle's blackbox lines in memory. Every value is scrubbed
 * before it is stored: a field whose key names a secret, or whose text
 * contains one of the configured secret values, becomes `[REDACTED]`.
 */
export class BlackboxRecorder {
  readonly entries: LogEntry[] = [];
  readonly #secrets: string[];

  constructor(
    private readonly now: () => number,
    secrets: readonly (string | undefined)[] = [],
  ) {
    const plain = secrets.filter((s): s is string => typeof s === "string" && s.length >= 4);
    // A secret inside a JSON text (an exchange reply quoted in an error) is escaped.
    const escaped = plain.map((s) => JSON.stringify(s).slice(1, -1)).filter((s) => !plain.includes(s));
    this.#secrets = [...plain, ...escaped];
  }

  info(event: string, fields: Fields = {}): void {
    this.log("INFO", event, fields);
  }

  warning(event: string, fields: Fields = {}): void {
    this.log("WARNING", event, fields);
  }

  error(event: string, fields: Fields = {}): void {
    this.log("ERROR", event, fields);
  }

  log(level: LogLevel, event: string, fields: Fields): void {
    const clean: Fields = {};
    for (const [key, value] of Object.entries(fields)) clean[key] = this.#scrub(key, value);
    this.entries.push({ time: this.now(), level, event, fields: clean });
  }

  /** Returns the whole log, one line per entry, ending with a newline. */
  text(): string {
    return this.entries.map((entry) => formatLine(entry) + "\n").join("");
  }

  /** Removes configured secret values from any text, for errors and payloads. */
  scrubText(text: string): string {
    let result = text;
    for (const secret of this.#secrets) result = result.split(secret).join(REDACTED);
    return result;
  }

  #scrub(key: string, value: FieldValue): FieldValue {
    if (SECRET_KEY.test(key)) return REDACTED;
    return typeof value === "string" ? this.scrubText(value) : value;
  }
}

/** Object path of a cycle's blackbox log; only `[A-Za-z0-9/_.-]` characters. */
export function blackboxPath(marketKey: string, slotMs: number, cycleId: string, suffix = ""): string {
  const day = new Date(slotMs).toISOString().slice(0, 10).replace(/-/g, "/");
  const name = `${cycleId}${suffix}.log`.replace(/[^A-Za-z0-9/_.-]/g, "_");
  return `${marketKey}/${day}/${name}`;
}
