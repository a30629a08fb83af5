import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inclusionProof, leafHash, merkleRoot, verifyInclusion } from '../merkle.js';
import { evidenceLeaves, readingsRoot, selectEvidence } from './evidence.js';
import { ReadingFactory, T0 } from './testing.js';
import { compareReadings, type ReadingRef } from './types.js';

function readings(count: number): ReadingRef[] {
  const factory = new ReadingFactory();
  return Array.from({ length: count }, (_, i) =>
    factory.make(`dev-${i % 3}`, 'weight', BigInt(i), T0 + i),
  );
}

describe('evidence sets', () => {
  it('the readings root does not depend on the order the readings are given in', () => {
    const all = readings(20);
    const expected = readingsRoot(all);
    fc.assert(
      fc.property(fc.shuffledSubarray(all, { minLength: 20, maxLength: 20 }), (shuffled) =>
        Buffer.from(readingsRoot(shuffled)).equals(Buffer.from(expected)),
      ),
    );
  });

  it('the root is the RFC 6962 tree hash of the envelopes in (deviceId, boot, seq) order, and every reading has an inclusion proof', () => {
    const set = selectEvidence(readings(7).reverse(), 256);
    expect(set.map((r) => `${r.deviceId}/${r.seq}`)).toEqual(
      [...set].sort(compareReadings).map((r) => `${r.deviceId}/${r.seq}`),
    );
    const leaves = set.map((r) => leafHash(r.envelope));
    const root = readingsRoot(set);
    expect(root).toEqual(merkleRoot(leaves));
    expect(evidenceLeaves(set)).toEqual(leaves);
    set.forEach((_, i) =>
      expect(verifyInclusion(leaves[i]!, i, leaves.length, inclusionProof(leaves, i), root)).toBe(
        true,
      ),
    );
  });

  it('is capped at maxEvidence, keeping the first candidates (priority order) and no duplicate', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 0, max: 30 }), (max, n) => {
        const candidates = readings(n);
        const withDuplicates = [...candidates, ...candidates];
        const set = selectEvidence(withDuplicates, max);
        const keep = candidates.slice(0, max);
        return (
          set.length === Math.min(max, n) &&
          keep.every((r) => set.includes(r)) &&
          new Set(set.map((r) => `${r.deviceId}/${r.seq}`)).size === set.length
        );
      }),
    );
    expect(() => selectEvidence([], 0)).toThrow(RangeError);
  });
});
