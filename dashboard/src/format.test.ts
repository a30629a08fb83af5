import { describe, expect, it } from 'vitest';
import { formatBps, formatCountdown, formatTonnes, formatUsd, shortHex } from './format.js';

describe('formatBps', () => {
  it('prints basis points as an exact percentage with two decimals', () => {
    expect(formatBps(7950n)).toBe('79.50 %');
    expect(formatBps(7000n)).toBe('70.00 %');
    expect(formatBps(5n)).toBe('0.05 %');
    expect(formatBps(-125n)).toBe('-1.25 %');
  });
});

describe('display formats', () => {
  it('prints grams as tonnes with grouped digits, exact to the hundredth', () => {
    expect(formatTonnes(1_000_250_000n)).toBe('1,000.25 t');
    expect(formatTonnes(999_999n)).toBe('0.99 t');
    expect(formatTonnes(-350n)).toBe('-0.00 t');
    expect(formatTonnes(12_345_678_900_000_000n)).toBe('12,345,678,900.00 t');
  });

  it('prints settlement units as dollars with cents', () => {
    expect(formatUsd(6_300_000_000_000n)).toBe('$6,300,000.00');
    expect(formatUsd(1n)).toBe('$0.00');
    expect(formatUsd(1_234_567n)).toBe('$1.23');
  });

  it('counts down in days, hours, minutes and seconds, and says overdue after', () => {
    expect(formatCountdown(93_784)).toBe('1d 02h 03m 04s');
    expect(formatCountdown(59)).toBe('00h 00m 59s');
    expect(formatCountdown(-1)).toBe('overdue');
  });

  it('shortens long hex and leaves short hex alone', () => {
    expect(shortHex('0x' + 'ab'.repeat(32))).toBe('0xababab…ababab');
    expect(shortHex('0x1234')).toBe('0x1234');
  });
});
