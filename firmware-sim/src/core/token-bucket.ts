// Token bucket for rate-limited replay after reconnect (as Eclipse Kura does): a device that
// comes back with two hours of spooled readings must not flood the broker or starve live traffic.

export interface TokenBucket {
  /** Tokens available now. */
  tokens: number;
  /** Time of the last refill [ms, caller's clock]. */
  lastRefillMs: number;
  readonly ratePerS: number;
  readonly burst: number;
}

export function createTokenBucket(ratePerS: number, burst: number, nowMs: number): TokenBucket {
  if (!(ratePerS > 0) || !(burst >= 1)) throw new RangeError('ratePerS > 0 and burst >= 1');
  return { tokens: burst, lastRefillMs: nowMs, ratePerS, burst };
}

/** Takes up to `wanted` tokens at `nowMs`; returns how many were granted. Mutates the bucket. */
export function takeTokens(bucket: TokenBucket, wanted: number, nowMs: number): number {
  const elapsedMs = Math.max(0, nowMs - bucket.lastRefillMs);
  bucket.tokens = Math.min(bucket.burst, bucket.tokens + (elapsedMs * bucket.ratePerS) / 1000);
  bucket.lastRefillMs = nowMs;
  const granted = Math.min(wanted, Math.floor(bucket.tokens));
  bucket.tokens -= granted;
  return granted;
}

/** Milliseconds until at least one token is available. */
export function msUntilToken(bucket: TokenBucket): number {
  if (bucket.tokens >= 1) return 0;
  return Math.ceil(((1 - bucket.tokens) * 1000) / bucket.ratePerS);
}
