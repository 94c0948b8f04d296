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
}

export const CONSEQUENCES: Record<ExchangeErrorKind, Consequence> = {
  timeout: { retries: 0, abort: "API_LAG" },
  unavailable: { retries: 0, abort: "EXCHANGE_UNAVAILABLE" },
  rate_limited: { retries: 1, abort: "RATE_LIMITED" },
  nonce: { retries: 1, abort: "EXCHANGE_ERROR" },
  funds: { retries: 0, abort: "EXCHANGE_ERROR" },
  order_rejected: { retries: 0, abort: "EXCHANGE_ERROR" },
  order_not_found: { retries: 0, abort: "EXCHANGE_ERROR" },
  operator: { retries: 0, abort: "EXCHANGE_ERROR" },
  invalid_response: { retries: 0, abort: "EXCHANGE_UNAVAILABLE" },
  unknown: { retries: 0, abort: "EXCHANGE_ERROR" },
};

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
  const kind = kindOf(error);
  const status = httpStatusIn(text);
  const bodyStart = htmlBodyStart(text);
  return new ExchangeFailure(kind, call, text.slice(0, 500), status, bodyStart, { cause: error });
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
