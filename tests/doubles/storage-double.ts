/**
 * A test double of Supabase Storage: a node:http server on 127.0.0.1 that
 * serves the object routes supabase-js (storage-js 2.119) calls, keeping
 * objects in memory. It is not Storage: it checks only what the tests rely on.
 *
 * - `POST /storage/v1/object/<bucket>/<path>` uploads the raw body. Without
 *   `x-upsert: true` an existing object is rejected with Storage's
 *   `{"statusCode":"409","error":"Duplicate","message":"The resource already exists"}`
 *   (HTTP 409 by default; older Storage versions sent HTTP 400 with the same body).
 * - `PUT` on the same path replaces the object.
 * - `GET /storage/v1/object/<bucket>/<path>` and
 *   `GET /storage/v1/object/authenticated/<bucket>/<path>` download it, or
 *   answer 404 with statusCode "404" and "Object not found".
 * - Every request needs `Authorization: Bearer <key>`; otherwise 403.
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface StoredObject {
  body: string;
  contentType: string;
}

export interface StorageRequest {
  method: string;
  /** URL path, for example `/storage/v1/object/blackbox/BTCUSD/...log`. */
  path: string;
  /** The `x-upsert` header, or null. */
  upsert: string | null;
  status: number;
}

export interface StorageDoubleOptions {
  /** The key callers must send as a Bearer token. */
  key: string;
  /** Buckets that exist; default `["blackbox"]`. */
  buckets?: string[];
  /** HTTP status of a duplicate upload without upsert; default 409. */
  duplicateStatus?: 400 | 409;
}

export interface StorageDouble {
  /** Base URL to use as SUPABASE_URL, without a trailing slash. */
  url: string;
  /** Objects by `<bucket>/<path>`. */
  objects: Map<string, StoredObject>;
  requests: StorageRequest[];
  /** When set, every upload fails with this HTTP status and a Storage error body. */
  failUploadsWith: number | null;
  close(): Promise<void>;
}

const OBJECT_PREFIX = "/storage/v1/object/";

/** Starts the double on a free loopback port. */
export async function startStorageDouble(options: StorageDoubleOptions): Promise<StorageDouble> {
  const buckets = new Set(options.buckets ?? ["blackbox"]);
  const double: StorageDouble = {
    url: "",
    objects: new Map(),
    requests: [],
    failUploadsWith: null,
    close: async () => {},
  };
  const server = createServer((request, response) => {
    readBody(request).then(
      (body) => {
        const reply = handle(double, buckets, options, request, body);
        double.requests.push({
          method: request.method ?? "",
          path: new URL(request.url ?? "/", "http://127.0.0.1").pathname,
          upsert: header(request, "x-upsert"),
          status: reply.status,
        });
        send(response, reply);
      },
      () => send(response, storageError(400, "400", "InvalidRequest", "could not read the body")),
    );
  });
  await listen(server);
  double.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  double.close = () => closeServer(server);
  return double;
}

interface Reply {
  status: number;
  contentType: string;
  body: string;
}

function handle(
  double: StorageDouble,
  buckets: Set<string>,
  options: StorageDoubleOptions,
  request: IncomingMessage,
  body: string,
): Reply {
  if (header(request, "authorization") !== `Bearer ${options.key}`) {
    return storageError(403, "403", "Unauthorized", "invalid or missing Authorization header");
  }
  const target = objectOf(request);
  if ("status" in target) return target;
  if (!buckets.has(target.bucket)) {
    return storageError(404, "404", "Bucket not found", "Bucket not found");
  }
  const id = `${target.bucket}/${target.key}`;
  if (request.method === "GET") {
    const stored = double.objects.get(id);
    if (!stored) return storageError(404, "404", "not_found", "Object not found");
    return { status: 200, contentType: stored.contentType, body: stored.body };
  }
  if (request.method === "POST" || request.method === "PUT") {
    return upload(double, options, request, id, body);
  }
  return storageError(405, "405", "MethodNotAllowed", `method ${request.method} not allowed`);
}

/** Returns the bucket and object name of an object route, or the error reply. */
function objectOf(request: IncomingMessage): { bucket: string; key: string } | Reply {
  const path = decodeURIComponent(new URL(request.url ?? "/", "http://127.0.0.1").pathname);
  if (!path.startsWith(OBJECT_PREFIX)) {
    return storageError(404, "404", "not_found", "Route not found");
  }
  let rest = path.slice(OBJECT_PREFIX.length);
  if (request.method === "GET" && rest.startsWith("authenticated/")) {
    rest = rest.slice("authenticated/".length);
  }
  const slash = rest.indexOf("/");
  const key = rest.slice(slash + 1);
  if (slash <= 0 || key === "") {
    return storageError(400, "400", "InvalidKey", "missing object name");
  }
  return { bucket: rest.slice(0, slash), key };
}

function upload(
  double: StorageDouble,
  options: StorageDoubleOptions,
  request: IncomingMessage,
  id: string,
  body: string,
): Reply {
  if (double.failUploadsWith !== null) {
    const status = double.failUploadsWith;
    return storageError(status, String(status), "internal", "injected upload failure");
  }
  const exists = double.objects.has(id);
  if (request.method === "POST" && exists && header(request, "x-upsert") !== "true") {
    const status = options.duplicateStatus ?? 409;
    return storageError(status, "409", "Duplicate", "The resource already exists");
  }
  const contentType = header(request, "content-type") ?? "application/octet-stream";
  double.objects.set(id, { body, contentType });
  return json(200, { Key: id, Id: randomUUID() });
}

function storageError(status: number, statusCode: string, error: string, message: string): Reply {
  return json(status, { statusCode, error, message });
}

function json(status: number, body: unknown): Reply {
  return { status, contentType: "application/json", body: JSON.stringify(body) };
}

function header(request: IncomingMessage, name: string): string | null {
  const value = request.headers[name];
  return typeof value === "string" ? value : null;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

function send(response: ServerResponse, reply: Reply): void {
  response.writeHead(reply.status, {
    "content-type": reply.contentType,
    "content-length": Buffer.byteLength(reply.body),
  });
  response.end(reply.body);
}

function listen(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}
