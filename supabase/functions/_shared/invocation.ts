/**
 * The steps every function shares around its own work. They give the call an
 * id, check the method and the bearer secret, and audit the call in
 * `function_invocations`. They also turn escaped errors into 500 or 503
 * replies without a stack and tag the response with the invocation id.
 *
 * @module
 */
import { type AuthCheck, checkBearer } from "./auth.ts";
import { type Caller, callerOf } from "./caller.ts";
import { failureReply } from "./failures.ts";
import type { InvocationAudit } from "./invocation-audit.ts";
import { errorReply, type Reply, toResponse } from "./responses.ts";
import type { FunctionName } from "./settings.ts";

export type Handler = (request: Request) => Promise<Response>;

/** Dependencies of the shared steps, part of every function's dependencies. */
export interface InvocationDeps {
  name: FunctionName;
  /** The secret this function accepts, or the configuration problem that leaves it without one. */
  secret: { secret: string } | { problem: string };
  /** Null when no database is configured; calls are then not audited. */
  audit: InvocationAudit | null;
  now: () => number;
  newId: () => string;
  /** Removes secret values from text. */
  scrub: (text: string) => string;
  /** Receives errors handled without failing the call, such as a failed audit write. */
  logError: (message: string) => void;
}

/** One authorized call, as passed to the function's own work. */
export interface InvocationContext {
  invocationId: string;
  receivedAt: number;
  caller: Caller;
  request: Request;
}

/**
 * Runs the shared steps around `work`. Only POST is accepted; the method is
 * checked before the secret, and both before `work` runs.
 */
export async function serveInvocation(
  deps: InvocationDeps,
  request: Request,
  work: (context: InvocationContext) => Promise<Reply>,
): Promise<Response> {
  const context: InvocationContext = {
    invocationId: deps.newId(),
    receivedAt: deps.now(),
    caller: callerOf(request.headers),
    request,
  };
  const auth = await authorize(deps, request);
  await auditSafely(deps, () =>
    deps.audit?.begin({
      invocationId: context.invocationId,
      functionName: deps.name,
      receivedAt: context.receivedAt,
      callerIp: context.caller.ip,
      userAgent: context.caller.userAgent,
      authorized: auth.authorized,
    }));

  const reply = await replyTo(deps, request, auth, () => work(context), context.invocationId);
  await auditSafely(
    deps,
    () =>
      deps.audit?.finish(context.invocationId, reply.status, deps.scrub(reply.reason), deps.now()),
  );
  return toResponse(reply, context.invocationId);
}

async function authorize(deps: InvocationDeps, request: Request): Promise<AuthCheck> {
  if (!("secret" in deps.secret)) return { authorized: false, reason: "no secret configured" };
  return await checkBearer(request.headers.get("authorization"), deps.secret.secret);
}

async function replyTo(
  deps: InvocationDeps,
  request: Request,
  auth: AuthCheck,
  work: () => Promise<Reply>,
  invocationId: string,
): Promise<Reply> {
  if (request.method !== "POST") {
    return errorReply(405, `Method ${request.method} is not allowed; use POST.`, { allow: "POST" });
  }
  if ("problem" in deps.secret) {
    return errorReply(500, `Invalid configuration: ${deps.secret.problem}`);
  }
  if (!auth.authorized) {
    return errorReply(401, `Unauthorized: ${auth.reason}. Send Authorization: Bearer <secret>.`, {
      "www-authenticate": "Bearer",
    });
  }
  try {
    return await work();
  } catch (error) {
    const stack = error instanceof Error && error.stack ? error.stack : String(error);
    deps.logError(`${deps.name} ${invocationId} failed: ${deps.scrub(stack)}`);
    return failureReply(error, deps.scrub);
  }
}

/** Runs an audit write. A failure is logged and never changes the response. */
async function auditSafely(
  deps: InvocationDeps,
  write: () => Promise<void> | undefined,
): Promise<void> {
  try {
    await write();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    deps.logError(`${deps.name}: writing function_invocations failed: ${deps.scrub(message)}`);
  }
}
