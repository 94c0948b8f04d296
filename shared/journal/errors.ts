/**
 * Errors the journal raises for rule violations that callers may want to tell
 * apart from a database failure. One raised for a database error keeps that SqlError as
 * `cause`.
 *
 * @module
 */

/** A paper fill that would make a balance negative. Nothing was written. */
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
