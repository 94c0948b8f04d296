/**
 * The reference a LIVE order carries on Kraken, derived from its cycle so
 * that a retry, a later cycle or an operator finds it again:
 *
 * - `userref` (a signed 32-bit integer): the slot start in seconds divided
 *   by 900. Slot 12:15 of 2024-01-15 (1705320900 s) gives 1894801. Every
 *   market's order of a slot shares it, so lookups match the pair as well.
 * - `cl_ord_id`: a UUID derived from the cycle id and the attempt. Kraken
 *   limits a free-text `cl_ord_id` to 18 characters, shorter than a cycle
 *   id, and accepts a UUID.
 *
 * NOTE: Kraken does not de-duplicate on either field, so these only make
 * an order findable; the bot itself must look before it resends.
 *
 * @module
 */

const SLOT_SECONDS = 900;
const INT32_MAX = 2 ** 31 - 1;

/**
 * Returns the `userref` of a slot. Throws a `RangeError` for a slot start
 * that is not on the 15-minute grid, or one past 2031 whose userref no
 * longer fits Kraken's signed 32 bits.
 */
export function userrefForSlot(slotMs: number): number {
  const seconds = slotMs / 1000;
  if (!Number.isInteger(seconds) || seconds % SLOT_SECONDS !== 0 || seconds < 0) {
    throw new RangeError(
      `Deriving the userref failed: slot ${slotMs} ms is not a 15-minute slot start.`,
    );
  }
  const userref = seconds / SLOT_SECONDS;
  if (userref > INT32_MAX) {
    throw new RangeError(
      `Deriving the userref failed: slot ${slotMs} ms gives ${userref}, above Kraken's ` +
        `limit ${INT32_MAX}.`,
    );
  }
  return userref;
}

/**
 * Returns the `cl_ord_id` of a cycle's order: the first 128 bits of
 * SHA-256 over the cycle id (and `#<attempt>` after a release), formatted as
 * an RFC 9562 version 8 UUID. The same cycle and attempt always give the
 * same id.
 */
export async function clientOrderUuid(cycleId: string, attempt = 1): Promise<string> {
  const name = attempt <= 1 ? cycleId : `${cycleId}#${attempt}`;
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(name));
  const bytes = new Uint8Array(digest.slice(0, 16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x80;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-` +
    hex.slice(20);
}
