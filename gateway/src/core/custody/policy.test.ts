import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { attestationDue, attestationTiming, type AttestPolicy } from './policy.js';
import { CustodyFlag, type AttestedSnapshot, type LotStatus } from './types.js';

const POLICY: AttestPolicy = {
  heartbeatMs: 60_000,
  deviationBps: 50,
  validForS: 120,
  minIntervalMs: 0,
};
const T0 = 1_795_000_000_000;

const status = (quantityGrams: bigint, flags = 0, extra: Partial<LotStatus> = {}): LotStatus => ({
  lotId: 'LOT-7',
  quantityGrams,
  quantityKnown: true,
  flags,
  reasons: [],
  offlineDevices: [],
  evidence: [],
  revision: 1,
  ...extra,
});

const last: AttestedSnapshot = {
  revision: 0,
  sequence: BigInt(T0),
  observedAtMs: T0,
  quantityGrams: 1_000_000_000n,
  flags: 0,
};

describe('attestationDue', () => {
  it('attests the first time once a quantity is known, never before', () => {
    expect(attestationDue(status(0n, 0, { quantityKnown: false }), undefined, T0, POLICY)).toEqual({
      due: false,
    });
    expect(attestationDue(status(5n), undefined, T0, POLICY)).toEqual({
      due: true,
      reason: 'first',
    });
  });

  it('a flag change attests at once, even inside the minimum interval', () => {
    const policy = { ...POLICY, minIntervalMs: 10_000 };
    expect(
      attestationDue(status(1_000_000_000n, CustodyFlag.tamper), last, T0 + 1, policy),
    ).toEqual({ due: true, reason: 'flags' });
    expect(attestationDue(status(900_000_000n), last, T0 + 1, policy)).toEqual({ due: false });
  });

  it('a quantity move above deviationBps attests at once; at or below it waits for the heartbeat', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -10_000_000n, max: 10_000_000n }), (moveGrams) => {
        const decision = attestationDue(
          status(1_000_000_000n + moveGrams),
          last,
          T0 + 1_000,
          POLICY,
        );
        const above = (moveGrams < 0n ? -moveGrams : moveGrams) > 5_000_000n; // 50 bps of 1,000 t
        return above ? decision.due && decision.reason === 'deviation' : !decision.due;
      }),
    );
  });

  it('the heartbeat attests an unchanged lot every heartbeatMs', () => {
    expect(attestationDue(status(1_000_000_000n), last, T0 + 59_999, POLICY).due).toBe(false);
    expect(attestationDue(status(1_000_000_000n), last, T0 + 60_000, POLICY)).toEqual({
      due: true,
      reason: 'heartbeat',
    });
  });

  it('a newly matched release order attests at once', () => {
    expect(
      attestationDue(status(1_000_000_000n, 0, { releaseOrderId: 3n }), last, T0 + 1, POLICY),
    ).toEqual({ due: true, reason: 'release' });
  });
});

describe('attestationTiming', () => {
  it('sequence is the observation time in ms, strictly increasing even when the clock is not', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 2 }), (steps) => {
        let previous: AttestedSnapshot | undefined;
        let nowMs = T0;
        for (const step of steps) {
          nowMs += step - 500_000; // the clock may step back
          const timing = attestationTiming(nowMs, previous, POLICY);
          if (previous && timing.sequence <= previous.sequence) return false;
          if (!previous || BigInt(nowMs) > previous.sequence) {
            if (timing.sequence !== BigInt(nowMs)) return false;
          }
          previous = { ...last, sequence: timing.sequence, observedAtMs: nowMs };
        }
        return true;
      }),
    );
  });

  it('validUntil is observedAt + validForS, in unix seconds', () => {
    const timing = attestationTiming(T0 + 1_999, undefined, POLICY);
    expect(timing.observedAtS).toBe(BigInt(T0 / 1000 + 1));
    expect(timing.validUntilS).toBe(timing.observedAtS + 120n);
  });
});
