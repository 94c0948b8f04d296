/**
 * A test double of the Supabase Management API: a node:http server on
 * 127.0.0.1 that accepts only `DELETE /v1/projects/<ref>/secrets` with a
 * JSON array of secret names, and records every call. It is not the
 * Management API: it checks only the request shape the kill switch sends.
 *
 * @module
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface ManagementCall {
  method: string;
  path: string;
  /** The Authorization header as received. */
  authorization: string | null;
  /** The parsed JSON body, or the raw text when it is not JSON. */
  body: unknown;
}

export interface ManagementDouble {
  /** Base URL to use as SUPABASE_MANAGEMENT_API_URL. */
  url: string;
  calls: ManagementCall[];
  /** When set, every call fails with this HTTP status. */
  failWith: number | null;
  close(): Promise<void>;
}

/** Starts the double; `token` is the access token it accepts. */
export async function startManagementDouble(token: string): Promise<ManagementDouble> {
  const double: ManagementDouble = { url: "", calls: [], failWith: null, close: async () => {} };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const authorization = request.headers.authorization ?? null;
      const path = new URL(request.url ?? "/", "http://127.0.0.1").pathname;
      double.calls.push({ method: request.method ?? "", path, authorization, body: parse(text) });
      let status = 200;
      let body: unknown = {};
      if (authorization !== `Bearer ${token}`) [status, body] = [401, { message: "Unauthorized" }];
      else if (request.method !== "DELETE" || !/^\/v1\/projects\/[^/]+\/secrets$/.test(path)) {
        [status, body] = [404, { message: "Cannot find route" }];
      } else if (double.failWith !== null) {
        [status, body] = [double.failWith, { message: "injected failure" }];
      }
      const payload = JSON.stringify(body);
      response.writeHead(status, {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(payload),
      });
      response.end(payload);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  double.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  double.close = () =>
    new Promise((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
      server.closeAllConnections();
    });
  return double;
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
