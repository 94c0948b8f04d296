/**
 * BlackboxStore on the Supabase Storage bucket `blackbox`, through supabase-js.
 *
 * @module
 */
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import {
  assertPlainObjectPath,
  BLACKBOX_BUCKET,
  BlackboxReadError,
  type BlackboxStore,
} from "./blackbox-store.ts";
import type { StorageSettings } from "./settings.ts";

/** Creates the store with a service-side client that keeps no session. */
export function createStorageStore(settings: StorageSettings): BlackboxStore {
  const client = createClient(settings.url, settings.key, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
  });
  return new StorageStore(client);
}

class StorageStore implements BlackboxStore {
  constructor(private readonly client: SupabaseClient, private readonly bucket = BLACKBOX_BUCKET) {}

  /** Uploads with `upsert`, because a re-run of a cycle writes the same path again. */
  async put(path: string, text: string): Promise<void> {
    assertPlainObjectPath(path);
    const { error } = await this.client.storage.from(this.bucket).upload(path, text, {
      upsert: true,
      contentType: "text/plain; charset=utf-8",
    });
    if (error) {
      throw new Error(
        `Uploading ${path} to the Storage bucket ${this.bucket} failed: ${describe(error)}`,
      );
    }
  }

  async get(path: string, maxBytes: number): Promise<string> {
    assertPlainObjectPath(path);
    const { data, error } = await this.client.storage.from(this.bucket).download(path);
    if (error) {
      if (isNotFound(error)) {
        throw new BlackboxReadError(
          "not_found",
          `Object ${path} not found in the Storage bucket ${this.bucket}.`,
        );
      }
      throw new Error(
        `Downloading ${path} from the Storage bucket ${this.bucket} failed: ${describe(error)}`,
      );
    }
    if (data.size > maxBytes) {
      throw new BlackboxReadError(
        "too_large",
        `Object ${path} has ${data.size} bytes, over the limit of ${maxBytes} bytes.`,
      );
    }
    return await data.text();
  }
}

/** A missing object comes back as HTTP 404, or with statusCode "404" in the error body. */
function isNotFound(error: Error): boolean {
  const fields = error as Error & { status?: number; statusCode?: string };
  return fields.status === 404 || fields.statusCode === "404";
}

function describe(error: Error): string {
  const fields = error as Error & { status?: number; statusCode?: string };
  const status = fields.status === undefined ? "" : ` (HTTP ${fields.status})`;
  return `${error.message}${status}`;
}
