/**
 * Parameters of Kraken's private REST calls: the POST body, form-encoded as
 * ccxt sends most calls, or JSON as ccxt sends batch calls.
 *
 * @module
 */

import type { RequestRecord } from "./routes.ts";

/** Path prefix of Kraken's private REST methods. */
export const PRIVATE_PREFIX = "/0/private/";

/** Smallest and largest `userref`: Kraken takes a signed 32-bit integer. */
const USERREF_MIN = -(2 ** 31);
const USERREF_MAX = 2 ** 31 - 1;

/**
 * Parses a private request body into parameters. A body that starts with
 * `{` or has a JSON content type is read as a JSON object whose values are
 * turned into text. Returns undefined for a body that is not valid JSON.
 */
export function parsePrivateBody(
  body: string,
  contentType: string | undefined,
): URLSearchParams | undefined {
  const json = (contentType ?? "").includes("json") || body.trimStart().startsWith("{");
  if (!json) return new URLSearchParams(body);

  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
  const params = new URLSearchParams();
  for (const [name, item] of Object.entries(value as Record<string, unknown>)) {
    params.set(name, typeof item === "object" ? JSON.stringify(item) : String(item));
  }
  return params;
}

/**
 * Adds the Kraken method name and the `userref` and `cl_ord_id` a private
 * request carried to its log record. Headers and the nonce are not copied,
 * so `API-Sign` never reaches the log.
 */
export function describePrivateRequest(
  record: RequestRecord,
  body: string,
  contentType: string | undefined,
): void {
  if (!record.path.startsWith(PRIVATE_PREFIX)) return;
  record.endpoint = record.path.slice(PRIVATE_PREFIX.length);
  const params = parsePrivateBody(body, contentType);
  const userref = params?.get("userref");
  const clOrdId = params?.get("cl_ord_id");
  if (userref !== null && userref !== undefined) record.userref = userref;
  if (clOrdId !== null && clOrdId !== undefined) record.clOrdId = clOrdId;
}

/** A parameter that is absent, valid, or present but invalid. */
export type Parsed<T> = { ok: true; value: T | undefined } | { ok: false };

/** Reads a `userref` parameter: a signed 32-bit integer. */
export function readUserref(params: URLSearchParams, name = "userref"): Parsed<number> {
  const text = params.get(name);
  if (text === null || text === "") return { ok: true, value: undefined };
  if (!/^-?\d+$/.test(text)) return { ok: false };
  const value = Number(text);
  if (value < USERREF_MIN || value > USERREF_MAX) return { ok: false };
  return { ok: true, value };
}

/**
 * Reads a `cl_ord_id`: a UUID with or without hyphens, or free text of 1 to
 * 18 printable ASCII characters, the formats Kraken's documentation lists.
 */
export function readClientOrderId(params: URLSearchParams): Parsed<string> {
  const text = params.get("cl_ord_id");
  if (text === null || text === "") return { ok: true, value: undefined };
  const uuid = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(text);
  const freeText = /^[\x21-\x7e]{1,18}$/.test(text);
  return uuid || freeText ? { ok: true, value: text } : { ok: false };
}

/** Reads a boolean flag such as `trades` or `validate`: `true` or `1` is true. */
export function readFlag(params: URLSearchParams, name: string): boolean {
  const text = params.get(name)?.toLowerCase();
  return text === "true" || text === "1";
}
