/**
 * Serializes the private calls of one Kraken API key across every process
 * that uses it. Kraken rejects a nonce that is not above the last one it
 * accepted for the key (`EAPI:Invalid nonce`), so two invocations that
 * overlap, or two markets of one invocation, must not both be inside a
 * private call.
 *
 * Each call runs in its own database transaction that takes
 * `pg_advisory_xact_lock` on a number derived from a SHA-256 of the key
 * (never the key itself). The transaction form works through Supabase's
 * transaction pooler, which hands each transaction one server connection
 * and may give the next one another. Inside the lock the call reads the
 * key's last nonce from `api_key_nonces`, sends a larger one, and stores it.
 *
 * @module
 */
import { ExchangeFailure } from "../exchange/errors.ts";
import type { SqlClient } from "../journal/sql-client.ts";

/** Runs calls one at a time for one API key. */
export interface KeyLock {
  /**
   * Runs `call` while holding the key's lock. When `signal` aborts before
   * the lock is taken, `call` never runs. When it aborts during the call,
   * the lock is released and the call's result is dropped.
   */
  run<T>(call: () => Promise<T>, signal?: AbortSignal): Promise<T>;
}

/** The exchange client's nonce counter, as the lock reads and raises it. */
export interface NonceSource {
  raiseNonceFloor(nonce: number): void;
  lastNonce(): number;
}

/** Identifiers derived from an API key: the stored id and the advisory lock number. */
export interface KeyIds {
  /** First 16 hex digits of SHA-256 over a prefix and the key. */
  keyId: string;
  /** The same 64 bits as a signed integer in decimal, for `pg_advisory_xact_lock`. */
  lockKey: string;
}

/** Derives the stored id and the lock number of an API key. */
export async function apiKeyIds(apiKey: string): Promise<KeyIds> {
  const data = new TextEncoder().encode(`titan-omni/kraken-api-key/${apiKey}`);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", data));
  const hex = [...digest.subarray(0, 8)].map((b) => b.toString(16).padStart(2, "0")).join("");
  const lockKey = BigInt.asIntN(64, BigInt(`0x${hex}`)).toString();
  return { keyId: hex, lockKey };
}

type Settled<T> =
  | { kind: "value"; value: T }
  | { kind: "error"; error: unknown }
  | { kind: "abandoned" };

/** SQLSTATE of a lock wait that passed `lock_timeout`. */
const LOCK_NOT_AVAILABLE = "55P03";

/** The key lock on a Postgres or PGlite database. */
export class SqlKeyLock implements KeyLock {
  #ids: Promise<KeyIds> | null = null;

  /**
   * @param apiKey read once to derive the ids; the lock keeps only them.
   * @param waitMs longest wait for the lock before the call fails as a timeout.
   */
  constructor(
    private readonly client: SqlClient,
    private readonly apiKey: () => string,
    private readonly nonces: NonceSource,
    private readonly waitMs: number,
  ) {}

  async run<T>(call: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    this.#ids ??= apiKeyIds(this.apiKey());
    const ids = await this.#ids;
    let settled: Settled<T>;
    try {
      settled = await this.client.transaction((tx) => this.#locked(tx, ids, call, signal));
    } catch (error) {
      throw lockFailure(error, this.waitMs);
    }
    if (settled.kind === "value") return settled.value;
    if (settled.kind === "error") throw settled.error;
    throw new ExchangeFailure("timeout", "key lock", "the call was abandoned at its timeout");
  }

  /** Holds the lock, runs the call, stores the nonce; commits whatever the call did. */
  async #locked<T>(
    tx: SqlClient,
    ids: KeyIds,
    call: () => Promise<T>,
    signal?: AbortSignal,
  ): Promise<Settled<T>> {
    await tx.query("select set_config('lock_timeout', $1, true)", [`${this.waitMs}ms`]);
    await tx.query("select pg_advisory_xact_lock($1::bigint)", [ids.lockKey]);
    if (signal?.aborted) return { kind: "abandoned" };
    const rows = await tx.query<{ last_nonce: string }>(
      "select last_nonce from public.api_key_nonces where key_id = $1",
      [ids.keyId],
    );
    this.nonces.raiseNonceFloor(Number(rows[0]?.last_nonce ?? 0));
    const settled = await settle(call(), signal);
    const used = this.nonces.lastNonce();
    if (used > 0) {
      await tx.query(
        "insert into public.api_key_nonces as n (key_id, last_nonce, updated_at) " +
          "values ($1, $2::numeric, now()) on conflict (key_id) do update " +
          "set last_nonce = greatest(n.last_nonce, excluded.last_nonce), updated_at = now()",
        [ids.keyId, String(used)],
      );
    }
    return settled;
  }
}

/** Waits for `promise`, or for `signal` to abort, whichever comes first. */
function settle<T>(promise: Promise<T>, signal?: AbortSignal): Promise<Settled<T>> {
  const outcome = promise.then(
    (value): Settled<T> => ({ kind: "value", value }),
    (error: unknown): Settled<T> => ({ kind: "error", error }),
  );
  if (signal === undefined) return outcome;
  const abandoned = new Promise<Settled<T>>((resolve) => {
    if (signal.aborted) resolve({ kind: "abandoned" });
    signal.addEventListener("abort", () => resolve({ kind: "abandoned" }), { once: true });
  });
  return Promise.race([outcome, abandoned]);
}

/** Turns a lock wait past `lock_timeout` into a call timeout; returns other errors unchanged. */
function lockFailure(error: unknown, waitMs: number): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (code !== LOCK_NOT_AVAILABLE) return error;
  return new ExchangeFailure(
    "timeout",
    "key lock",
    `another process held the API key's lock for more than ${waitMs} ms`,
  );
}
