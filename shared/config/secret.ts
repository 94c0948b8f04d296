/**
 * A secret value that does not print itself. `String(secret)`, template
 * literals, `JSON.stringify` and Node's `util.inspect` all give
 * `[REDACTED]`. Only `reveal()` returns the value, so a secret reaches a log
 * line or a row only through an explicit call.
 *
 * @module
 */

const REDACTED = "[REDACTED]";

export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** Returns the value, for the one place that must send it (the exchange client). */
  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return REDACTED;
  }
}
