import { readFileSync } from "node:fs";
import { parseCandleFile } from "../../shared/market/candle-file.ts";
import type { Candle } from "../../shared/market/types.ts";
import { slotStart } from "../../shared/time/slots.ts";
import { fail } from "./cli.ts";

/**
 * Reads and parses a `--candles` file. Exits with status 2 when the file
 * cannot be read; throws `CandleFileError` for a file in neither format.
 */
export function readCandleFile(file: string): Candle[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    fail(`cannot read --candles ${file}: ${(error as NodeJS.ErrnoException).code ?? error}.`);
  }
  return parseCandleFile(text, file);
}

/** Parses a `--from` or `--to` time into the start of its slot; exits with status 2 when invalid. */
export function parseSlotOption(option: string, text: string, intervalMs: number): number {
  const time = Date.parse(text);
  if (Number.isNaN(time)) {
    fail(`invalid ${option} ${text}: expected an ISO time like 2023-03-01T00:00Z.`);
  }
  return slotStart(time, intervalMs);
}
