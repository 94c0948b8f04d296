/**
 * BlackboxStore on local files under a folder, standing in for the Storage
 * bucket when SUPABASE_URL is not set (`npm run serve`).
 *
 * @module
 */
import { mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { assertPlainObjectPath, BlackboxReadError, type BlackboxStore } from "./blackbox-store.ts";

/**
 * Creates the store. A write goes to a temporary file first and is renamed
 * over the target, so a reader never sees half a log.
 */
export function createFileStore(root: string): BlackboxStore {
  return {
    async put(path: string, text: string): Promise<void> {
      assertPlainObjectPath(path);
      const target = join(root, path);
      await mkdir(dirname(target), { recursive: true });
      const temporary = `${target}.tmp-${crypto.randomUUID()}`;
      await writeFile(temporary, text, "utf8");
      await rename(temporary, target);
    },

    async get(path: string, maxBytes: number): Promise<string> {
      assertPlainObjectPath(path);
      const target = join(root, path);
      let size: number;
      try {
        size = (await stat(target)).size;
      } catch (error) {
        if ((error as { code?: string }).code === "ENOENT") {
          throw new BlackboxReadError(
            "not_found",
            `Blackbox file ${path} not found under ${root}.`,
          );
        }
        throw error;
      }
      if (size > maxBytes) {
        throw new BlackboxReadError(
          "too_large",
          `Blackbox file ${path} has ${size} bytes, over the limit of ${maxBytes} bytes.`,
        );
      }
      return await readFile(target, "utf8");
    },
  };
}
