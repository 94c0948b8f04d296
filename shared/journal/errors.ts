/**
 * Errors the journal raises for rule violations that callers may want to tell
 * apart from a database failure. Each keeps the SqlError it came from as `cause`.
 *
 * @module
 */

/** A paper fill would make a balance negative; nothing was written. */
export class InsufficientPaperBalanceError extends Error {
  override readonly name = "InsufficientPaperBalanceError";
}

/**
 * A write that needs a cycle in a given state found it missing or in another
 * state, e.g. finishing a cycle that already finished.
 */
export class CycleStateError extends Error {
  override readonly name = "CycleStateError";
}
