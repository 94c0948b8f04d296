/**
 * The caller of a function, as far as the request headers tell.
 *
 * @module
 */

/** Maximum user agent length stored; longer ones are cut. */
const MAX_USER_AGENT_CHARS = 256;
/** An IPv6 address with a zone is at most 45 + 1 + zone characters. */
const MAX_ADDRESS_CHARS = 64;

export interface Caller {
  /** First address of `x-forwarded-for`; null when the header is absent or empty. */
  ip: string | null;
  userAgent: string | null;
}

/**
 * Reads the caller from the headers.
 *
 * NOTE: the first `x-forwarded-for` hop is the address the platform's proxy
 * received the request from only when that proxy overwrites the header. A
 * caller reaching the function another way can write any value there, so
 * the address is evidence, not proof.
 */
export function callerOf(headers: Headers): Caller {
  const first = headers.get("x-forwarded-for")?.split(",")[0]?.trim() ?? "";
  const agent = headers.get("user-agent")?.trim() ?? "";
  return {
    ip: first === "" ? null : first.slice(0, MAX_ADDRESS_CHARS),
    userAgent: agent === "" ? null : agent.slice(0, MAX_USER_AGENT_CHARS),
  };
}
