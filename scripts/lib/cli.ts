/** Prints a usage or configuration error and exits with status 2. */
export function fail(message: string, usage?: string): never {
  console.error(`error: ${message}`);
  if (usage) console.error(`\nRun with --help for usage.`);
  process.exit(2);
}

/** True for the errors `node:util` parseArgs throws for unknown or malformed options. */
export function usageError(error: unknown): error is Error {
  const code = (error as { code?: string } | null)?.code ?? "";
  return code.startsWith("ERR_PARSE_ARGS");
}
