import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PLAUSIBILITY_POLICY as policy,
  TraceHistory,
  checkPlausibility,
  fakedTrace,
} from './plausibility.js';

/** Feeds a series of weights one second apart; returns the verdict codes. */
function feed(values: bigint[], kind: 'weight' | 'temperature' = 'weight') {
  const history = new TraceHistory(policy.historyLength);
  return values.map((value, i) => {
    const verdict = checkPlausibility(kind, value, 1_000 * i, history, policy);
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
    const history = new TraceHistory(policy.historyLength);
    for (let i = 0; i < 50; i++) {
      const verdict = checkPlausibility('door', 0n, i * 1_000, history, policy);
      expect(verdict.ok).toBe(true);
    }
  });
  it('refuses a value beyond what a double holds exactly, whatever the policy allows', () => {
    const wide = {
      ...policy,
      kinds: { ...policy.kinds, weight: { ...policy.kinds.weight, maxValue: 2n ** 60n } },
    };
    const history = new TraceHistory(policy.historyLength);
    const verdict = checkPlausibility('weight', 2n ** 52n + 1n, 0, history, wide);
    expect(verdict.ok ? 'ok' : verdict.code).toBe('PG_IMPLAUSIBLE_RANGE');
    expect(history.length).toBe(0);
  });
});

/** A history holding `values`, one second apart. */
function historyOf(values: readonly bigint[], capacity = policy.historyLength): TraceHistory {
  const history = new TraceHistory(capacity);
  values.forEach((value, i) => history.push(value, i * 1_000));
  return history;
}

describe('fakedTrace', () => {
  it('needs a full window before judging', () => {
    expect(fakedTrace(historyOf([1n, 1n, 1n]), 30)).toBeUndefined();
  });
  it('finds a flat window and a repeated stretch, and passes real noise', () => {
    expect(fakedTrace(historyOf(Array.from({ length: 5 }, () => 7n)), 5)).toBe(
      '5 identical values',
    );
    const recording = noisy(1_000n, 10);
    expect(fakedTrace(historyOf([...recording, ...recording.slice(0, 5)]), 5)).toMatch(/repeat/);
    expect(fakedTrace(historyOf(noisy(1_000n, 40)), 5)).toBeUndefined();
  });
  it('judges only what the ring still holds once it has wrapped around', () => {
    // The recording falls out of a 12-value ring before it is played back: nothing to match.
    const recording = noisy(1_000n, 10);
    const wrapped = historyOf(
      [...recording, ...noisy(5_000n, 10, 3), ...recording.slice(0, 5)],
      12,
    );
    expect(wrapped.length).toBe(12);
    expect(wrapped.at(11)).toBe(Number(recording[4]));
    expect(fakedTrace(wrapped, 5)).toBeUndefined();
    // With room for both, the same sequence is caught.
    const roomy = historyOf([...recording, ...noisy(5_000n, 10, 3), ...recording.slice(0, 5)], 40);
    expect(fakedTrace(roomy, 5)).toMatch(/repeat/);
  });
});
