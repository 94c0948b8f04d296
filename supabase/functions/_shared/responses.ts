/**
 * The reply every function builds: a status, a JSON body and the line the
 * invocation audit stores, turned into a Response tagged with the invocation id.
 *
 * @module
 */

/** Response header that carries the invocation id; the body carries it too. */
export const INVOCATION_HEADER = "x-titan-invocation-id";

export interface Reply {
  status: number;
  /** JSON body; `invocation_id` is added to it. */
  body: Record<string, unknown>;
  /** One line for `function_invocations.reason`; never contains a secret. */
  reason: string;
  headers?: Record<string, string>;
}

/** Builds an error reply whose body is `{ "error": message }`. */
export function errorReply(
  status: number,
  message: string,
  headers?: Record<string, string>,
): Reply {
  return { status, body: { error: message }, reason: message, ...(headers ? { headers } : {}) };
}

/** Turns a reply into a JSON Response with the invocation id in the body and a header. */
export function toResponse(reply: Reply, invocationId: string): Response {
  const body = JSON.stringify({ invocation_id: invocationId, ...reply.body });
  return new Response(body, {
    status: reply.status,
    headers: {
      "content-type": "application/json; charset=utf-8",
      "cache-control": "no-store",
      [INVOCATION_HEADER]: invocationId,
      ...reply.headers,
    },
  });
}
