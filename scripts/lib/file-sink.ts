import { mkdir, rename, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import type { BlackboxSink } from "../../shared/blackbox/recorder.ts";

/**
 * Writes blackbox logs as files under `root`, standing in for the Storage
 * bucket when no Storage URL is configured. A write goes to a temporary file
 * first, so a reader never sees half a log, and replaces any earlier file.
 */
export class FileSink implements BlackboxSink {
  constructor(readonly root: string) {}

  async put(path: string, text: string): Promise<void> {
    if (!/^[A-Za-z0-9/_.-]+$/.test(path) || path.split("/").includes("..")) {
      throw new Error(`Invalid blackbox path ${JSON.stringify(path)}: use [A-Za-z0-9/_.-] only.`);
    }
    const target = resolve(join(this.root, path));
    await mkdir(dirname(target), { recursive: true });
    const temporary = `${target}.tmp-${process.pid}`;
    await writeFile(temporary, text, "utf8");
    await rename(temporary, target);
  }
}
