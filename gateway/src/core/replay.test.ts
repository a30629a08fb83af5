import { describe, expect, it } from 'vitest';
import { checkReplay } from './replay.js';

describe('checkReplay', () => {
  it('accepts the first reading of a device without a gap', () => {
    expect(checkReplay(undefined, { boot: 3, seq: 17 })).toEqual({ ok: true, gap: false });
  });
  it('rejects an identity at or below the high-water mark as replayed', () => {
    const last = { boot: 2, seq: 10 };
    expect(checkReplay(last, { boot: 2, seq: 10 })).toEqual({ ok: false, code: 'PG_REPLAYED' });
    expect(checkReplay(last, { boot: 2, seq: 9 })).toEqual({ ok: false, code: 'PG_REPLAYED' });
    expect(checkReplay(last, { boot: 1, seq: 99 })).toEqual({ ok: false, code: 'PG_REPLAYED' });
  });
  it('reports a skipped sequence number or boot as an evidence gap', () => {
    const last = { boot: 2, seq: 10 };
    expect(checkReplay(last, { boot: 2, seq: 11 })).toEqual({ ok: true, gap: false });
    expect(checkReplay(last, { boot: 2, seq: 13 })).toEqual({ ok: true, gap: true });
    expect(checkReplay(last, { boot: 3, seq: 0 })).toEqual({ ok: true, gap: false });
    expect(checkReplay(last, { boot: 3, seq: 4 })).toEqual({ ok: true, gap: true });
    expect(checkReplay(last, { boot: 5, seq: 0 })).toEqual({ ok: true, gap: true });
  });
});
