// Reconnect delay: capped exponential backoff with full jitter (AWS architecture blog, "Exponential
// Backoff And Jitter"). Full jitter spreads 10,000 clients over the whole window after a broker
// restart instead of letting them reconnect in synchronised waves (ANCHORS.md complaint 5).

export interface BackoffPolicy {
  /** First retry window [ms]. */
  readonly initialMs: number;
  /** Largest window [ms]. */
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 500, maxMs: 30_000 };

/** Delay before reconnect attempt `attempt` (0-based), given a uniform draw in [0, 1). */
export function backoffDelayMs(policy: BackoffPolicy, attempt: number, uniform: number): number {
  const windowMs = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(attempt, 30));
  // Never 0: a zero delay would hammer a broker that refuses us.
  return Math.max(50, Math.floor(windowMs * uniform));
}
