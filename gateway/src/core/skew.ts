// Clock-skew window (PROTOCOL.md section 4): the device clock is evidence, not authority.
// A reading may be older than its arrival (store-and-forward backfill) up to a horizon, but never
// from the future beyond a small tolerance, and a device clock must not step back within a boot.

export interface SkewPolicy {
  /** How far a device clock may run ahead of the gateway clock. [ms] */
  readonly maxAheadMs: number;
  /** Oldest accepted reading, relative to arrival: the store-and-forward horizon. [ms] */
  readonly maxBehindMs: number;
  /** Tighter bound for live messages (births), which cannot be backfilled. [ms] */
  readonly maxLiveBehindMs: number;
  /** How far the device clock may step back between consecutive readings of one boot. [ms] */
  readonly maxStepBackMs: number;
}

export const DEFAULT_SKEW_POLICY: SkewPolicy = {
  maxAheadMs: 60_000,
  maxBehindMs: 48 * 3_600_000,
  maxLiveBehindMs: 60_000,
  maxStepBackMs: 2_000,
};

export interface SkewInput {
  readonly deviceTimeMs: number;
  readonly receivedAtMs: number;
  /** Device time of the previous accepted reading of the same boot, if any. */
  readonly previousDeviceTimeMs?: number;
  /** A live message (birth) rather than a possibly queued reading. */
  readonly live: boolean;
}

export type SkewVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly code: 'PG_CLOCK_SKEW'; readonly detail: string };

export function checkClockSkew(input: SkewInput, policy: SkewPolicy): SkewVerdict {
  const aheadMs = input.deviceTimeMs - input.receivedAtMs;
  if (aheadMs > policy.maxAheadMs)
    return skewed(`device clock ${aheadMs} ms ahead (limit ${policy.maxAheadMs})`);
  const behindLimitMs = input.live ? policy.maxLiveBehindMs : policy.maxBehindMs;
  if (-aheadMs > behindLimitMs)
    return skewed(`device clock ${-aheadMs} ms behind (limit ${behindLimitMs})`);
  if (
    input.previousDeviceTimeMs !== undefined &&
    input.previousDeviceTimeMs - input.deviceTimeMs > policy.maxStepBackMs
  ) {
    return skewed(
      `device clock stepped back ${input.previousDeviceTimeMs - input.deviceTimeMs} ms`,
    );
  }
  return { ok: true };
}

function skewed(detail: string): SkewVerdict {
  return { ok: false, code: 'PG_CLOCK_SKEW', detail };
}
