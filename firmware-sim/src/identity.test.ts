import { describe, expect, it } from 'vitest';
import { countersAfterBoot, takeSeq } from './identity.js';

describe('device identity counters', () => {
  it('increments the boot counter on every start and restarts seq at zero', () => {
    const first = countersAfterBoot(undefined);
    expect(first).toEqual({ boot: 0, nextSeq: 0 });
    expect(countersAfterBoot({ boot: 4, nextSeq: 912 })).toEqual({ boot: 5, nextSeq: 0 });
  });
  it('hands out strictly increasing sequence numbers', () => {
    let counters = countersAfterBoot(undefined);
    const seen: number[] = [];
    for (let i = 0; i < 5; i++) {
      const next = takeSeq(counters);
      seen.push(next.seq);
      counters = next.counters;
    }
    expect(seen).toEqual([0, 1, 2, 3, 4]);
  });
});
