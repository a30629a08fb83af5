import { describe, expect, it } from 'vitest';
import { DEFAULT_SKEW_POLICY as policy, checkClockSkew } from './skew.js';

const now = 1_795_000_000_000;

describe('checkClockSkew', () => {
  it('accepts a live reading within the window and a backfilled reading within the horizon', () => {
    expect(
      checkClockSkew({ deviceTimeMs: now - 1_500, receivedAtMs: now, live: true }, policy).ok,
    ).toBe(true);
    expect(
      checkClockSkew({ deviceTimeMs: now - 2 * 3_600_000, receivedAtMs: now, live: false }, policy)
        .ok,
    ).toBe(true);
  });
  it('rejects a device clock running ahead of the gateway beyond the tolerance', () => {
    expect(
      checkClockSkew({ deviceTimeMs: now + 61_000, receivedAtMs: now, live: false }, policy),
    ).toMatchObject({ ok: false, code: 'PG_CLOCK_SKEW' });
  });
  it('rejects a live message from a clock set back, and a reading older than the horizon', () => {
    expect(
      checkClockSkew({ deviceTimeMs: now - 3_600_000, receivedAtMs: now, live: true }, policy).ok,
    ).toBe(false);
    expect(
      checkClockSkew({ deviceTimeMs: now - 49 * 3_600_000, receivedAtMs: now, live: false }, policy)
        .ok,
    ).toBe(false);
  });
  it('rejects a device clock that steps back between readings of one boot', () => {
    expect(
      checkClockSkew(
        {
          deviceTimeMs: now - 10_000,
          receivedAtMs: now,
          previousDeviceTimeMs: now - 1_000,
          live: false,
        },
        policy,
      ).ok,
    ).toBe(false);
    expect(
      checkClockSkew(
        {
          deviceTimeMs: now - 1_500,
          receivedAtMs: now,
          previousDeviceTimeMs: now - 1_000,
          live: false,
        },
        policy,
      ).ok,
    ).toBe(true);
  });
});
