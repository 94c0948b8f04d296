/**
 * The one map from exchange errors to what the bot does next. Every ccxt
 * error class (ccxt 4.5, `base/errors.js`) and every failure of our own call
 * guard becomes one `ExchangeErrorKind`; the kind alone decides the
 * consequence. The exchange's own text is kept as the cause.
 */
import type { AbortReason } from "../cycle/reasons.ts";

export type ExchangeErrorKind =
  | "timeout" // no reply within the exchange timeout
  | "unavailable" // outage page, 5xx, maintenance, connection failure
  | "rate_limited" // EGeneral:Too many requests, EAPI:Rate limit exceeded
  | "nonce" // EAPI:Invalid nonce
  | "funds" // EOrder:Insufficient funds
  | "order_rejected" // the order itself is invalid for the market
  | "order_not_found" // the exchange does not know the order
  | "operator" // bad key, permission, unknown market: a person must act
  | "invalid_response" // a reply that is not the data it claims to be
  | "unknown"; // any other exchange error

/** What the cycle does with a failed call of each kind. */
export interface Consequence {
  /** Retries allowed inside the cycle's deadline (0 = abort at once). */
  retries: number;
  /** Abort reason when no retry is left. */
  abort: AbortReason;
  /**
   * True when an order call that failed this way may still have reached the
   * exchange (no reply, an outage page, a reply that is not data). Such an
   * order is looked up and never sent again in the same cycle.
   */
  ambiguous: boolean;
  /** True when the failure halts the market until an operator re-arms it. */
  halt: boolean;
}

export const CONSEQUENCES: Record<ExchangeErrorKind, Consequence> = {
  timeout: { retries: 0, abort: "API_LAG", ambiguous: true, halt: false },
  unavailable: { retries: 0, abort: "EXCHANGE_UNAVAILABLE", ambiguous: true, halt: false },
  rate_limited: { retries: 1, abort: "RATE_LIMITED", ambiguous: false, halt: false },
  nonce: { retries: 1, abort: "NONCE_ERROR", ambiguous: false, halt: false },
  funds: { retries: 0, abort: "INSUFFICIENT_FUNDS", ambiguous: false, halt: false },
  order_rejected: { retries: 0, abort: "ORDER_REJECTED", ambiguous: false, halt: false },
  order_not_found: { retries: 0, abort: "ORDER_UNKNOWN", ambiguous: false, halt: true },
  operator: { retries: 0, abort: "OPERATOR_NEEDED", ambiguous: false, halt: false },
  invalid_response: { retries: 0, abort: "EXCHANGE_UNAVAILABLE", ambiguous: true, halt: false },
  unknown: { retries: 0, abort: "EXCHANGE_ERROR", ambiguous: true, halt: false },
};

/**
 * Kraken's error texts, matched before the ccxt class, because ccxt 4.5
 * maps some of them to classes of another kind (`EOrder:Unknown order` is an
 * `InvalidOrder`) and sends others (`EOrder:Invalid order`,
 * `EOrder:Cost minimum not met`) to its generic `ExchangeError`. A text
 * matches when the exchange's message contains it.
 */
const KRAKEN_TEXT_KINDS: ReadonlyArray<[string, ExchangeErrorKind]> = [
  ["EAPI:Invalid nonce", "nonce"],
  ["EGeneral:Too many requests", "rate_limited"],
  ["EAPI:Rate limit exceeded", "rate_limited"],
  ["EOrder:Rate limit exceeded", "rate_limited"],
  ["EGeneral:Temporary lockout", "rate_limited"],
  ["EOrder:Insufficient funds", "funds"],
  ["EOrder:Unknown order", "order_not_found"],
  ["EOrder:Invalid order", "order_not_found"],
  ["EOrder:Order minimum not met", "order_rejected"],
  ["EOrder:Cost minimum not met", "order_rejected"],
  ["EOrder:Invalid price", "order_rejected"],
  ["EOrder:Orders limit exceeded", "order_rejected"],
  ["EOrder:Positions limit exceeded", "order_rejected"],
  ["EOrder:Duplicate cl_ord_id", "order_rejected"],
  ["EAPI:Invalid key", "operator"],
  ["EAPI:Invalid signature", "operator"],
  ["EAPI:Feature disabled", "operator"],
  ["EGeneral:Permission denied", "operator"],
  ["ETrade:User Locked", "operator"],
  ["EService:Unavailable", "unavailable"],
  ["EService:Busy", "unavailable"],
  ["EService:Market in cancel_only mode", "unavailable"],
  ["EService:Market in post_only mode", "unavailable"],
  ["EGeneral:Internal error", "unavailable"],
  ["EDatabase:Internal error", "unavailable"],
];

const CCXT_KINDS: Record<string, ExchangeErrorKind> = {
  RequestTimeout: "timeout",
  ExchangeNotAvailable: "unavailable",
  OnMaintenance: "unavailable",
  NetworkError: "unavailable",
  OperationFailed: "unavailable",
  DDoSProtection: "rate_limited",
  RateLimitExceeded: "rate_limited",
  InvalidNonce: "nonce",
  ChecksumError: "invalid_response",
  BadResponse: "invalid_response",
  NullResponse: "invalid_response",
  InsufficientFunds: "funds",
  OrderNotFound: "order_not_found",
  InvalidOrder: "order_rejected",
  OrderNotCached: "order_rejected",
  OrderImmediatelyFillable: "order_rejected",
  OrderNotFillable: "order_rejected",
  DuplicateOrderId: "order_rejected",
  OperationRejected: "order_rejected",
  MarketClosed: "unavailable",
  AuthenticationError: "operator",
  PermissionDenied: "operator",
  AccountNotEnabled: "operator",
  AccountSuspended: "operator",
  ArgumentsRequired: "operator",
  BadRequest: "operator",
  BadSymbol: "operator",
  NotSupported: "operator",
  RestrictedLocation: "operator",
  ManualInteractionNeeded: "operator",
  ExchangeError: "unknown",
  BaseError: "unknown",
};

const BODY_START_CHARS = 200;

/** A failed exchange call, classified. `message` starts with the call name. */
export class ExchangeFailure extends Error {
  override readonly name = "ExchangeFailure";
  constructor(
    readonly kind: ExchangeErrorKind,
    readonly call: string,
    /** The exchange's or the library's own text, secrets removed. */
    readonly exchangeText: string,
    readonly httpStatus: number | null = null,
    /** The first characters of a non-JSON reply body, for the audit. */
    readonly bodyStart: string | null = null,
    options?: { cause?: unknown },
  ) {
    super(`${call} failed (${kind}): ${exchangeText}`, options);
  }
}

/** Classifies anything a ccxt call threw. Non-ccxt errors are invalid responses. */
export function classifyExchangeError(error: unknown, call: string): ExchangeFailure {
  if (error instanceof ExchangeFailure) {
    if (error.call === call) return error;
    return new ExchangeFailure(error.kind, call, error.exchangeText, error.httpStatus, error.bodyStart, {
      cause: error,
    });
  }
  const text = error instanceof Error ? error.message : String(error);
  const kind = krakenTextKind(text) ?? kindOf(error);
  const status = httpStatusIn(text);
  const bodyStart = htmlBodyStart(text);
  return new ExchangeFailure(kind, call, text.slice(0, 500), status, bodyStart, { cause: error });
}

function krakenTextKind(text: string): ExchangeErrorKind | undefined {
  return KRAKEN_TEXT_KINDS.find(([pattern]) => text.includes(pattern))?.[1];
}

function kindOf(error: unknown): ExchangeErrorKind {
  if (!(error instanceof Error)) return "invalid_response";
  const byName = CCXT_KINDS[error.name];
  if (byName) return byName;
  for (let proto = Object.getPrototypeOf(error); proto; proto = Object.getPrototypeOf(proto)) {
    const inherited = CCXT_KINDS[proto.constructor?.name as string];
    if (inherited) return inherited;
  }
  // A TypeError or SyntaxError from parsing means the reply was not the data it claimed.
  return "invalid_response";
}

/** ccxt puts `<METHOD> <url> <status> <statusText> <body>` in HTTP error messages. */
function httpStatusIn(text: string): number | null {
  const match = / (\d{3}) [^ ]/.exec(text.replace(/https?:\/\/\S+/, "URL"));
  return match ? Number(match[1]) : null;
}

function htmlBodyStart(text: string): string | null {
  const start = text.search(/<(!doctype|html)/i);
  return start < 0 ? null : text.slice(start, start + BODY_START_CHARS);
}
