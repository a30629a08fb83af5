import { describe, expect, it } from 'vitest';
import { attestPolicyOf, custodyConfigSchema, lotPolicyOf } from './custody-config.js';

describe('custodyConfigSchema', () => {
  it('an empty section gives the DOMAIN.md defaults', () => {
    const config = custodyConfigSchema.parse({});
    expect(attestPolicyOf(config)).toEqual({
      heartbeatMs: 60_000,
      deviationBps: 50,
      validForS: 900,
      minIntervalMs: 0,
    });
    expect(lotPolicyOf(config, 'LOT-7')).toEqual({
      tareGrams: 0n,
      medianWindow: 5,
      disagreementToleranceBps: 200,
      dropToleranceBps: 50,
      missedBeats: 3,
      temperature: { min: -10_000n, max: 30_000n },
      humidity: { max: 700n },
      excursionMs: 1_800_000,
      maxEvidence: 256,
    });
    expect(config.reconcileToleranceBps).toBe(50);
  });

  it('the release margin and settle count are unset by default (the core derives them) and settable per lot', () => {
    const config = custodyConfigSchema.parse({
      defaults: { releaseSettleReadings: 8 },
      lots: { 'LOT-12': { releaseMatchBps: 20 } },
    });
    expect(lotPolicyOf(config, 'LOT-12')).toMatchObject({
      releaseMatchBps: 20,
      releaseSettleReadings: 8,
    });
    expect(lotPolicyOf(config, 'LOT-7').releaseMatchBps).toBeUndefined();
    expect(() => custodyConfigSchema.parse({ defaults: { releaseSettleReadings: 0 } })).toThrow();
  });

  it('a per-lot override replaces only the fields it names', () => {
    const config = custodyConfigSchema.parse({
      defaults: { tareGrams: '2500000', missedBeats: 5 },
      lots: { 'LOT-12': { temperature: { maxMilliC: 25_000 }, excursionMs: 600_000 } },
    });
    expect(lotPolicyOf(config, 'LOT-12')).toMatchObject({
      tareGrams: 2_500_000n,
      missedBeats: 5,
      temperature: { max: 25_000n },
      excursionMs: 600_000,
    });
    expect(lotPolicyOf(config, 'LOT-12').temperature.min).toBeUndefined();
    expect(lotPolicyOf(config, 'LOT-7').temperature).toEqual({ min: -10_000n, max: 30_000n });
  });

  it('refuses bad values, naming the path', () => {
    const result = custodyConfigSchema.safeParse({
      attest: { deviationBps: 20_000, heartbeat: 5 },
      defaults: { tareGrams: '-1' },
    });
    expect(result.success).toBe(false);
    const paths = result.error!.issues.map((issue) => issue.path.join('.'));
    expect(paths).toEqual(
      expect.arrayContaining(['attest.deviationBps', 'attest', 'defaults.tareGrams']),
    );
  });
});
