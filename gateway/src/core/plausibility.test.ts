import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PLAUSIBILITY_POLICY as policy,
  EMPTY_HISTORY,
  checkPlausibility,
  fakedTrace,
  type TraceHistory,
} from './plausibility.js';

/** Feeds a series of weights one second apart; returns the verdict codes. */
function feed(values: bigint[], kind: 'weight' | 'temperature' = 'weight') {
  let history: TraceHistory = EMPTY_HISTORY;
  return values.map((value, i) => {
    const verdict = checkPlausibility(kind, value, 1_000 * i, history, policy);
    history = verdict.history;
    return verdict.ok ? 'ok' : verdict.code;
  });
}

/** Load-cell noise: deterministic pseudo-random grams around a level. */
function noisy(level: bigint, count: number, seed = 7): bigint[] {
  let state = seed;
  return Array.from({ length: count }, () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return level + BigInt((state % 2_001) - 1_000);
  });
}

describe('checkPlausibility', () => {
  it('accepts a noisy load-cell trace, including a pallet leaving', () => {
    const trace = [...noisy(1_000_000_000n, 50), ...noisy(999_000_000n, 50, 99)];
    expect(feed(trace).every((code) => code === 'ok')).toBe(true);
  });
  it('rejects a value outside the physical range of the sensor', () => {
    expect(feed([6_000_000_000n])).toEqual(['PG_IMPLAUSIBLE_RANGE']);
    expect(feed([80_000n], 'temperature')).toEqual(['PG_IMPLAUSIBLE_RANGE']);
  });
  it('does not let an out-of-range glitch make the next normal value look like a jump', () => {
    expect(feed([1_000_000_000n, 9_000_000_000n, 1_000_000_100n])).toEqual([
      'ok',
      'PG_IMPLAUSIBLE_RANGE',
      'ok',
    ]);
  });
  it('rejects a change faster than physically possible', () => {
    expect(feed([1_000_000_000n, 900_000_000n]).at(-1)).toBe('PG_IMPLAUSIBLE_RATE');
    expect(feed([4_000n, 9_000n], 'temperature').at(-1)).toBe('PG_IMPLAUSIBLE_RATE');
  });
  it('rejects a perfectly flat trace from a noisy sensor', () => {
    const codes = feed(Array.from({ length: 40 }, () => 1_000_000_000n));
    expect(codes.slice(0, 29).every((code) => code === 'ok')).toBe(true);
    expect(codes[29]).toBe('PG_IMPLAUSIBLE_FLAT');
  });
  it('rejects recorded noise played back (the replayed "all is well" trace)', () => {
    const recording = noisy(1_000_000_000n, 60);
    const codes = feed([...recording, ...recording.slice(0, 40)]);
    expect(codes.slice(0, 60).every((code) => code === 'ok')).toBe(true);
    expect(codes.slice(60).includes('PG_IMPLAUSIBLE_FLAT')).toBe(true);
  });
  it('does not judge traces of non-noisy kinds such as a door contact', () => {
    let history: TraceHistory = EMPTY_HISTORY;
    for (let i = 0; i < 50; i++) {
      const verdict = checkPlausibility('door', 0n, i * 1_000, history, policy);
      expect(verdict.ok).toBe(true);
      history = verdict.history;
    }
  });
});

describe('fakedTrace', () => {
  it('needs a full window before judging', () => {
    expect(fakedTrace([1n, 1n, 1n], 30)).toBeUndefined();
  });
});
