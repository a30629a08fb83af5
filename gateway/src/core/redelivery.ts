// Redelivery or replay of an envelope the gateway already holds (PROTOCOL.md section 4).
// The same identity with the same bytes is a harmless redelivery (MQTT QoS 1, reconnects, a second
// gateway) only while it is recent: transport repeats a reading within minutes or hours of the
// device's newest one. Byte-identical copies of readings far older than that are an attacker
// replaying captured, authentic envelopes ("all is well" weight while pallets leave, DOMAIN.md 3).
// Age is measured on the device's own clock against its latest mark, never against the gateway
// clock, so a device that was silent for days still has its last envelope redelivered harmlessly.

/** Default redelivery window: identical bytes older than this behind the device's mark replay. [ms] */
export const DEFAULT_REDELIVERY_WINDOW_MS = 6 * 3_600_000;

export type RepeatVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly code: 'PG_REPLAYED'; readonly detail: string };

/**
 * Judges a byte-identical repeat of a stored envelope.
 * @param latestDeviceTimeMs device time of the device's mark (its latest accepted reading); when
 *   unknown (a mark from before device times were recorded), the repeat cannot be dated: redelivery
 * @param repeatDeviceTimeMs device time inside the repeated envelope
 * @param windowMs how far behind the mark a repeat is still a redelivery
 */
export function judgeIdenticalRepeat(
  latestDeviceTimeMs: number | undefined,
  repeatDeviceTimeMs: number,
  windowMs: number,
): RepeatVerdict {
  if (!Number.isFinite(windowMs) || windowMs < 0)
    throw new RangeError(`windowMs must be a finite number >= 0, got ${windowMs}`);
  if (latestDeviceTimeMs === undefined) return { ok: true };
  const behindMs = latestDeviceTimeMs - repeatDeviceTimeMs;
  if (behindMs <= windowMs) return { ok: true };
  return {
    ok: false,
    code: 'PG_REPLAYED',
    detail: `identical envelope ${behindMs} ms older than the device's latest reading (redelivery window ${windowMs} ms)`,
  };
}
