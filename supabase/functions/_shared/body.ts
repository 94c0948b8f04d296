/**
 * Request body reading with a size limit, for every function.
 *
 * @module
 */
import type { z } from "zod";
import { errorReply, type Reply } from "./responses.ts";

export type BodyText = { ok: true; text: string } | { ok: false; reply: Reply };

/**
 * Reads the body as UTF-8 text of at most `maxBytes` bytes. A declared or
 * actual size over the limit is a 413 reply, read no further; bytes that are
 * not UTF-8 are a 400 reply.
 */
export async function readBodyText(request: Request, maxBytes: number): Promise<BodyText> {
  const declared = Number(request.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > maxBytes) return tooLarge(declared, maxBytes);
  if (request.body === null) return { ok: true, text: "" };

  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      return tooLarge(size, maxBytes, true);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  try {
    return { ok: true, text: new TextDecoder("utf-8", { fatal: true }).decode(bytes) };
  } catch {
    return { ok: false, reply: errorReply(400, "Invalid request body: it is not UTF-8 text.") };
  }
}

function tooLarge(size: number, maxBytes: number, atLeast = false): BodyText {
  const amount = atLeast ? `more than ${maxBytes}` : String(size);
  return {
    ok: false,
    reply: errorReply(
      413,
      `Request body too large: ${amount} bytes, the limit is ${maxBytes} bytes. ` +
        "Send a smaller body.",
    ),
  };
}

export type ParsedBody<T> = { ok: true; value: T } | { ok: false; reply: Reply };

/**
 * Parses a JSON body with a zod schema. An empty body parses as `{}` when
 * `emptyAsObject` is true. Bad JSON and schema failures are 400 replies whose
 * message names the field.
 */
export function parseJsonBody<T>(
  text: string,
  schema: z.ZodType<T>,
  emptyAsObject: boolean,
): ParsedBody<T> {
  let raw: unknown;
  if (text.trim() === "" && emptyAsObject) {
    raw = {};
  } else {
    try {
      raw = JSON.parse(text);
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      return { ok: false, reply: errorReply(400, `Invalid request body: not JSON (${detail}).`) };
    }
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return { ok: true, value: parsed.data };
  return {
    ok: false,
    reply: errorReply(400, `Invalid request body: ${describeIssues(parsed.error)}`),
  };
}

/** Formats zod issues as `field: problem` sentences, naming unknown keys. */
export function describeIssues(error: z.ZodError): string {
  const parts = error.issues.map((issue) => {
    const where = fieldPath(issue.path);
    if (issue.code === "unrecognized_keys") {
      const keys = issue.keys.map((key) => JSON.stringify(key)).join(", ");
      return `${where}: unknown field ${keys}; remove it`;
    }
    return `${where}: ${issue.message}`;
  });
  return `${parts.join("; ")}.`;
}

function fieldPath(path: readonly PropertyKey[]): string {
  let text = "body";
  for (const key of path) text += typeof key === "number" ? `[${key}]` : `.${String(key)}`;
  return text;
}
