/**
 * The mode a market's cycle runs in: SYSTEM_MODE, unless the market has a
 * PAPER override in the database (set by the bot after a LIVE abort streak,
 * removed by an operator with titan_enable_live).
 *
 * @module
 */
import type { BlackboxRecorder } from "../blackbox/recorder.ts";
import type { TradingMode } from "../journal/journal.ts";
import type { ProtectionsAudit } from "./audit.ts";
import type { ModeOverride, ProtectionStore } from "./store.ts";

export interface ResolvedMode {
  configured: TradingMode;
  /** The mode the cycle runs in. */
  mode: TradingMode;
  override: ModeOverride | null;
}

/**
 * Resolves the mode of one market. Only a LIVE configuration reads the
 * override, because an override can only lower LIVE to PAPER.
 */
export async function resolveMode(
  configured: TradingMode,
  store: ProtectionStore | undefined,
  market: string,
): Promise<ResolvedMode> {
  if (configured !== "LIVE" || store === undefined) {
    return { configured, mode: configured, override: null };
  }
  const override = await store.readModeOverride(market);
  return { configured, mode: override === null ? "LIVE" : "PAPER", override };
}

/** Logs an override in force and returns the audit's `mode` section. */
export function recordMode(log: BlackboxRecorder, resolved: ResolvedMode): ProtectionsAudit["mode"] {
  const override = resolved.override;
  if (override !== null) {
    log.warning("MODE OVERRIDE", {
      market: override.market,
      configured: resolved.configured,
      mode: resolved.mode,
      set_by: override.setBy,
      reason: override.reason,
    });
  }
  return {
    configured: resolved.configured,
    effective: resolved.mode,
    override: override === null ? null : {
      set_by: override.setBy,
      reason: override.reason,
      set_at: new Date(override.setAt).toISOString(),
    },
  };
}
