import {
  FIELD_KEY,
  type FieldValue,
  type Fields,
  LOG_LEVELS,
  type LogEntry,
  type LogLevel,
} from "./format.ts";

/** A line that did not parse, kept whole with the reason. */
export interface UnparsedLine {
  raw: string;
  error: string;
}

export type ParsedLine = ({ ok: true } & LogEntry) | ({ ok: false } & UnparsedLine);

const HEAD = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}),(\d{3}) \[([A-Z]+)\] (.*)$/s;
const NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

/** Parses one blackbox line; never throws. */
export function parseLine(raw: string): ParsedLine {
  const head = HEAD.exec(raw);
  if (!head) return { ok: false, raw, error: "line does not start with `YYYY-MM-DD HH:MM:SS,mmm [LEVEL]`" };
  const [, y, mo, d, h, mi, s, ms, level, message] = head as unknown as string[];
  if (!(LOG_LEVELS as readonly string[]).includes(level!)) {
    return { ok: false, raw, error: `unknown level ${level}` };
  }
  const time = Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +s!, +ms!);
  if (Number.isNaN(time)) return { ok: false, raw, error: "invalid timestamp" };
  try {
    const { event, fields } = parseMessage(message!);
    return { ok: true, time, level: level as LogLevel, event, fields };
  } catch (error) {
    return { ok: false, raw, error: (error as Error).message };
  }
}

/** Splits a whole log into lines and parses each; a trailing newline adds no line. */
export function parseLog(text: string): ParsedLine[] {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines.map((line) => parseLine(line.endsWith("\r") ? line.slice(0, -1) : line));
}

function parseMessage(message: string): { event: string; fields: Fields } {
  const fields: Fields = {};
  const firstField = message.search(/ [a-z_][a-z0-9_]*=/);
  const event = firstField < 0 ? message : message.slice(0, firstField);
  if (event.length === 0) throw new Error("missing event name");
  let rest = firstField < 0 ? "" : message.slice(firstField + 1);
  while (rest.length > 0) {
    const eq = rest.indexOf("=");
    const key = rest.slice(0, eq);
    if (eq < 0 || !FIELD_KEY.test(key)) throw new Error(`invalid field near ${JSON.stringify(rest.slice(0, 20))}`);
    const { value, length } = readValue(rest.slice(eq + 1));
    fields[key] = value;
    rest = rest.slice(eq + 1 + length);
    if (rest.length > 0) {
      if (rest[0] !== " ") throw new Error(`expected a space after field ${key}`);
      rest = rest.slice(1);
    }
  }
  return { event, fields };
}

function readValue(text: string): { value: FieldValue; length: number } {
  if (text.startsWith('"')) {
    const end = closingQuote(text);
    return { value: JSON.parse(text.slice(0, end + 1)) as string, length: end + 1 };
  }
  const space = text.indexOf(" ");
  const token = space < 0 ? text : text.slice(0, space);
  return { value: bareValue(token), length: token.length };
}

function closingQuote(text: string): number {
  for (let i = 1; i < text.length; i++) {
    if (text[i] === "\\") i++;
    else if (text[i] === '"') return i;
  }
  throw new Error("unterminated quoted value");
}

function bareValue(token: string): FieldValue {
  if (token === "null") return null;
  if (token === "true") return true;
  if (token === "false") return false;
  if (NUMBER.test(token)) return Number(token);
  return token;
}
