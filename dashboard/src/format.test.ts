import { describe, expect, it } from 'vitest';
import { formatBps } from './format.js';

describe('formatBps', () => {
  it('prints basis points as an exact percentage with two decimals', () => {
    expect(formatBps(7950n)).toBe('79.50 %');
    expect(formatBps(7000n)).toBe('70.00 %');
    expect(formatBps(5n)).toBe('0.05 %');
    expect(formatBps(-125n)).toBe('-1.25 %');
  });
});
