/**
 * Kraken's authentication of private REST calls, from the server's side.
 *
 * A client sends `API-Key` and `API-Sign` headers with a POST body that
 * contains a `nonce`. `API-Sign` is base64(HMAC-SHA512(key = base64-decoded
 * secret, message = URL path + SHA256(nonce + body))). Each nonce must be
 * greater than the last one accepted for the key.
 *
 * @module
 */

import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** Kraken's reply to a missing or unknown `API-Key`. */
export const INVALID_KEY = "EAPI:Invalid key";
/** Kraken's reply to an `API-Sign` that does not match the request. */
export const INVALID_SIGNATURE = "EAPI:Invalid signature";
/** Kraken's reply to a missing nonce, or one not above the last accepted. */
export const INVALID_NONCE = "EAPI:Invalid nonce";

/** Bytes in a generated secret, as in the secrets Kraken issues. */
const SECRET_BYTES = 64;
/** Bytes in a generated key: 42 bytes give 56 base64 characters, the length of Kraken's keys. */
const KEY_BYTES = 42;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** An API key and its secret, base64 as Kraken issues it. */
export interface ApiCredentials {
  apiKey: string;
  apiSecret: string;
}

/** Generates a random key and secret. */
export function generateCredentials(): ApiCredentials {
  return {
    apiKey: randomBytes(KEY_BYTES).toString("base64"),
    apiSecret: randomBytes(SECRET_BYTES).toString("base64"),
  };
}

/** True when `secret` is non-empty, well-formed base64. */
export function isBase64Secret(secret: string): boolean {
  return secret.length % 4 === 0 && BASE64.test(secret);
}

/**
 * Computes `API-Sign` for a request to `path` (such as `/0/private/Balance`)
 * whose body is `body` and contains `nonce`.
 */
export function signKrakenRequest(
  path: string,
  nonce: string,
  body: string,
  apiSecret: string,
): string {
  const digest = createHash("sha256").update(nonce + body).digest();
  return createHmac("sha512", Buffer.from(apiSecret, "base64"))
    .update(Buffer.concat([Buffer.from(path), digest]))
    .digest("base64");
}

/** The parts of a private request that authentication reads. */
export interface SignedRequest {
  path: string;
  body: string;
  /** The `nonce` parameter of the body, or undefined when it is missing. */
  nonce: string | undefined;
  headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** Checks keys, signatures and nonces for one simulated account. */
export class PrivateAuthenticator {
  readonly #credentials: ApiCredentials;
  /** Last accepted nonce by API key. */
  readonly #lastNonce = new Map<string, bigint>();

  /**
   * @throws {Error} when the key is empty or the secret is not base64. The
   *   message gives the secret's length, never the secret.
   */
  constructor(credentials: ApiCredentials) {
    if (credentials.apiKey.trim() === "") {
      throw new Error("start simulator: apiKey is empty; pass the key Kraken clients will send");
    }
    if (!isBase64Secret(credentials.apiSecret)) {
      throw new Error(
        `start simulator: apiSecret (${credentials.apiSecret.length} characters) is not ` +
          "base64; pass the secret as Kraken issues it, for example 88 base64 characters",
      );
    }
    this.#credentials = credentials;
  }

  /**
   * Authenticates a request in Kraken's order: key, then signature, then
   * nonce. Returns undefined and records the nonce when all pass, else the
   * Kraken error text.
   */
  authenticate(request: SignedRequest): string | undefined {
    const key = headerValue(request.headers, "api-key");
    if (key === undefined || !sameText(key, this.#credentials.apiKey)) return INVALID_KEY;

    const signature = headerValue(request.headers, "api-sign");
    if (signature === undefined || request.nonce === undefined) return INVALID_SIGNATURE;
    const expected = signKrakenRequest(
      request.path,
      request.nonce,
      request.body,
      this.#credentials.apiSecret,
    );
    if (!sameText(signature, expected)) return INVALID_SIGNATURE;

    const nonce = parseNonce(request.nonce);
    const last = this.#lastNonce.get(key);
    if (nonce === undefined || (last !== undefined && nonce <= last)) return INVALID_NONCE;
    this.#lastNonce.set(key, nonce);
    return undefined;
  }
}

/** Parses a nonce: a positive whole number that fits Kraken's unsigned 64 bits. */
function parseNonce(text: string): bigint | undefined {
  if (!/^\d{1,20}$/.test(text)) return undefined;
  const value = BigInt(text);
  return value > 0n && value < 2n ** 64n ? value : undefined;
}

function headerValue(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  name: string,
): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Compares in constant time for equal lengths, so a reply's timing leaks no prefix. */
function sameText(actual: string, expected: string): boolean {
  const a = Buffer.from(actual);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
