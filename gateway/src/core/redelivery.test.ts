import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_REDELIVERY_WINDOW_MS, judgeIdenticalRepeat } from './redelivery.js';

const HOUR_MS = 3_600_000;
const NOW_MS = 1_795_000_000_000;
const time = fc.integer({ min: NOW_MS - 30 * 24 * HOUR_MS, max: NOW_MS + 30 * 24 * HOUR_MS });
const window = fc.integer({ min: 0, max: 7 * 24 * HOUR_MS });

describe('judgeIdenticalRepeat', () => {
  it('a repeat no further behind the latest reading than the window is a redelivery', () => {
    fc.assert(
      fc.property(time, window, fc.double({ min: 0, max: 1, noNaN: true }), (latest, w, share) => {
        const repeat = latest - Math.floor(w * share);
        expect(judgeIdenticalRepeat(latest, repeat, w)).toEqual({ ok: true });
      }),
    );
  });

  it('a repeat further behind than the window is a replay', () => {
    fc.assert(
      fc.property(time, window, fc.integer({ min: 1, max: 60 * 24 * HOUR_MS }), (latest, w, x) => {
        const verdict = judgeIdenticalRepeat(latest, latest - w - x, w);
        expect(verdict).toMatchObject({ ok: false, code: 'PG_REPLAYED' });
      }),
    );
  });

  it('is monotonic: an envelope older than one judged a replay is a replay too', () => {
    fc.assert(
      fc.property(time, time, time, window, (latest, a, b, w) => {
        const [older, newer] = a <= b ? [a, b] : [b, a];
        if (!judgeIdenticalRepeat(latest, newer, w).ok)
          expect(judgeIdenticalRepeat(latest, older, w).ok).toBe(false);
      }),
    );
  });

  it('a repeat cannot be dated without the mark time: redelivery', () => {
    fc.assert(
      fc.property(time, window, (repeat, w) => {
        expect(judgeIdenticalRepeat(undefined, repeat, w)).toEqual({ ok: true });
      }),
    );
  });

  it('DOMAIN.md 3 and 9 under the default window: 22 h old is a replay, 2 h old a redelivery', () => {
    expect(
      judgeIdenticalRepeat(NOW_MS, NOW_MS - 22 * HOUR_MS, DEFAULT_REDELIVERY_WINDOW_MS),
    ).toEqual({
      ok: false,
      code: 'PG_REPLAYED',
      detail: `identical envelope ${22 * HOUR_MS} ms older than the device's latest reading (redelivery window ${DEFAULT_REDELIVERY_WINDOW_MS} ms)`,
    });
    expect(
      judgeIdenticalRepeat(NOW_MS, NOW_MS - 2 * HOUR_MS, DEFAULT_REDELIVERY_WINDOW_MS),
    ).toEqual({ ok: true });
  });

  it('refuses a negative or non-finite window as misuse', () => {
    expect(() => judgeIdenticalRepeat(NOW_MS, NOW_MS, -1)).toThrow(RangeError);
    expect(() => judgeIdenticalRepeat(NOW_MS, NOW_MS, Number.NaN)).toThrow(RangeError);
  });
});
