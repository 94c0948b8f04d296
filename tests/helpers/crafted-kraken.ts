/**
 * A crafted Kraken for adversarial tests: an HTTP server on 127.0.0.1 that
 * forwards every request to a running simulator, except for the endpoints a
 * test rewrites. A rewrite gets the simulator's parsed reply and returns the
 * body to send instead, so a test can corrupt one field of a real reply.
 *
 * @module
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** The reply a rewrite sends; `body` is sent as it is when it is a string. */
export interface CraftedReply {
  status?: number;
  contentType?: string;
  body: unknown;
}

/** Rewrites one endpoint's reply, given the simulator's parsed JSON reply. */
export type Rewrite = (original: unknown, query: URLSearchParams) => CraftedReply;

export interface CraftedKraken {
  /** Base URL of the crafted server, without a trailing slash. */
  url: string;
  /** Replaces or removes (with null) the rewrite of one Kraken method such as `OHLC`. */
  rewrite(endpoint: string, rewrite: Rewrite | null): void;
  close(): Promise<void>;
}

/** Starts a forwarding server in front of the simulator at `upstreamUrl`. */
export async function startCraftedKraken(upstreamUrl: string): Promise<CraftedKraken> {
  const rewrites = new Map<string, Rewrite>();
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    const endpoint = url.pathname.split("/").at(-1) ?? "";
    void forward(upstreamUrl, url, request.method ?? "GET").then(async (upstream) => {
      const rewrite = rewrites.get(endpoint);
      if (rewrite === undefined) {
        response.writeHead(upstream.status, { "content-type": upstream.contentType });
        response.end(upstream.text);
        return;
      }
      const reply = rewrite(JSON.parse(upstream.text), url.searchParams);
      const body = typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body);
      response.writeHead(reply.status ?? 200, {
        "content-type": reply.contentType ?? "application/json; charset=utf-8",
      });
      response.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    rewrite: (endpoint, rewrite) => {
      if (rewrite === null) rewrites.delete(endpoint);
      else rewrites.set(endpoint, rewrite);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function forward(upstreamUrl: string, url: URL, method: string) {
  const reply = await fetch(`${upstreamUrl}${url.pathname}${url.search}`, { method });
  return {
    status: reply.status,
    contentType: reply.headers.get("content-type") ?? "application/json",
    text: await reply.text(),
  };
}

/** Returns the one result entry of a Kraken reply (`result[pairId]`) with its key. */
export function resultEntry(original: unknown): { key: string; value: unknown } {
  const result = (original as { result: Record<string, unknown> }).result;
  const key = Object.keys(result).find((name) => name !== "last");
  if (key === undefined) throw new Error("crafted Kraken: the reply has no result entry; rewrite a reply with a pair key");
  return { key, value: result[key] };
}
