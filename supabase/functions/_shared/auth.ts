/**
 * Bearer secret checks. A function that trades checks a secret of its own
 * because the platform's JWT check would also accept the public anon key.
 *
 * @module
 */

export type AuthCheck = { authorized: true } | { authorized: false; reason: string };

/**
 * Checks `Authorization: Bearer <secret>`. Both values are hashed with
 * SHA-256 first and the digests compared in constant time, so the time taken
 * depends neither on where the first differing character is nor on the
 * length of the secret.
 */
export async function checkBearer(header: string | null, secret: string): Promise<AuthCheck> {
  if (header === null || header.trim() === "") {
    return { authorized: false, reason: "missing Authorization header" };
  }
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header.trim());
  if (match === null) {
    return { authorized: false, reason: "Authorization header is not a Bearer token" };
  }
  const equal = await digestsEqual(match[1]!, secret);
  return equal ? { authorized: true } : { authorized: false, reason: "wrong secret" };
}

async function digestsEqual(a: string, b: string): Promise<boolean> {
  const encoder = new TextEncoder();
  const [left, right] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(a)),
    crypto.subtle.digest("SHA-256", encoder.encode(b)),
  ]);
  const x = new Uint8Array(left);
  const y = new Uint8Array(right);
  let difference = 0;
  for (let i = 0; i < x.length; i++) difference |= x[i]! ^ y[i]!;
  return difference === 0;
}
