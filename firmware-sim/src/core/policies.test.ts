import { describe, expect, it } from 'vitest';
import { backoffDelayMs, DEFAULT_BACKOFF } from './backoff.js';
import { parseDurationMs } from './duration.js';
import { chooseDrop, priorityOf } from './queue-policy.js';
import { createTokenBucket, msUntilToken, takeTokens } from './token-bucket.js';

describe('reconnect backoff', () => {
  it('grows exponentially, is capped, and is jittered over the whole window', () => {
    expect(backoffDelayMs(DEFAULT_BACKOFF, 0, 0.999)).toBeLessThan(500);
    expect(backoffDelayMs(DEFAULT_BACKOFF, 3, 0.999)).toBeGreaterThan(3900);
    expect(backoffDelayMs(DEFAULT_BACKOFF, 40, 0.999)).toBeLessThanOrEqual(30_000);
    expect(backoffDelayMs(DEFAULT_BACKOFF, 10, 0.1)).toBe(3000);
    expect(backoffDelayMs(DEFAULT_BACKOFF, 10, 0)).toBe(50);
  });
});

describe('replay token bucket', () => {
  it('limits replay to its rate after the burst', () => {
    const bucket = createTokenBucket(100, 10, 0);
    expect(takeTokens(bucket, 50, 0)).toBe(10);
    expect(takeTokens(bucket, 50, 0)).toBe(0);
    expect(msUntilToken(bucket)).toBe(10);
    expect(takeTokens(bucket, 50, 100)).toBe(10);
    expect(takeTokens(bucket, 50, 1000)).toBe(10); // capped at the burst
  });
});

describe('full-queue policy', () => {
  it('events are never chosen; the oldest routine entry is', () => {
    expect(priorityOf('door')).toBe('event');
    expect(priorityOf('tamper')).toBe('event');
    expect(priorityOf('rfid-event')).toBe('event');
    expect(priorityOf('weight')).toBe('routine');
    const queue = [
      { priority: 'event' as const },
      { priority: 'routine' as const },
      { priority: 'routine' as const },
    ];
    expect(chooseDrop(queue, 0, 2, 2, 'routine')).toBe(1);
    expect(chooseDrop(queue, 0, 2, 2, 'event')).toBe(-1);
    expect(chooseDrop(queue, 0, 1, 2, 'routine')).toBe(-1);
  });
});

describe('scenario durations', () => {
  it('parses warehouse-time offsets', () => {
    expect(parseDurationMs('90s')).toBe(90_000);
    expect(parseDurationMs('1h30m')).toBe(5_400_000);
    expect(parseDurationMs('2d')).toBe(172_800_000);
    expect(parseDurationMs('500ms')).toBe(500);
    expect(parseDurationMs('0')).toBe(0);
    expect(parseDurationMs('')).toBeUndefined();
    expect(parseDurationMs('2 hours')).toBeUndefined();
  });
});
