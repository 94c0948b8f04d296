/**
 * Writes `function_invocations`: one row per call, inserted when the call
 * arrives and completed with the HTTP status of its response.
 *
 * @module
 */
import type { SqlClient } from "../../../shared/journal/sql-client.ts";
import type { FunctionName } from "./settings.ts";

const MAX_REASON_CHARS = 1_000;

export interface InvocationStart {
  invocationId: string;
  functionName: FunctionName;
  receivedAt: number;
  callerIp: string | null;
  userAgent: string | null;
  authorized: boolean;
}

export interface InvocationAudit {
  begin(start: InvocationStart): Promise<void>;
  finish(
    invocationId: string,
    httpStatus: number,
    reason: string,
    finishedAt: number,
  ): Promise<void>;
}

/** Creates the audit over a SQL client. */
export function createInvocationAudit(sql: SqlClient): InvocationAudit {
  return {
    async begin(start) {
      await sql.query(
        `insert into public.function_invocations
           (invocation_id, function_name, received_at, caller_ip, user_agent, authorized)
         values ($1, $2, $3::timestamptz, $4, $5, $6)`,
        [
          start.invocationId,
          start.functionName,
          new Date(start.receivedAt).toISOString(),
          start.callerIp,
          start.userAgent,
          start.authorized,
        ],
      );
    },
    async finish(invocationId, httpStatus, reason, finishedAt) {
      await sql.query(
        `update public.function_invocations
         set http_status = $2, reason = $3, finished_at = $4::timestamptz
         where invocation_id = $1`,
        [
          invocationId,
          httpStatus,
          reason.slice(0, MAX_REASON_CHARS),
          new Date(finishedAt).toISOString(),
        ],
      );
    },
  };
}
