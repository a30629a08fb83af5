// Evidence sets of attestations (docs/custody.md "Attestation"): the readings an attestation rests
// on, capped, in leaf order (deviceId, boot, seq), and their RFC 6962 tree hash (core/merkle.ts),
// which the attestation carries as `readingsRoot`. Anyone holding the envelopes rebuilds the root.
import { leafHash, merkleRoot } from '../merkle.js';
import { compareReadings, readingKey, type ReadingRef } from './types.js';

/**
 * The first `maxEvidence` distinct readings of `candidates` (given in priority order, as
 * LotStatus.evidence is), ordered by (deviceId, boot, seq).
 */
export function selectEvidence(
  candidates: readonly ReadingRef[],
  maxEvidence: number,
): ReadingRef[] {
  if (!Number.isInteger(maxEvidence) || maxEvidence < 1)
    throw new RangeError(`maxEvidence must be a positive integer, got ${maxEvidence}`);
  const chosen = new Map<string, ReadingRef>();
  for (const reading of candidates) {
    if (chosen.size >= maxEvidence) break;
    const key = readingKey(reading);
    if (!chosen.has(key)) chosen.set(key, reading);
  }
  return [...chosen.values()].sort(compareReadings);
}

/** RFC 6962 leaf hashes of the envelopes, in the given order. */
export function evidenceLeaves(readings: readonly ReadingRef[]): Uint8Array[] {
  return readings.map((reading) => leafHash(reading.envelope));
}

/** The readings root of an evidence set: the tree hash over its leaves in (deviceId, boot, seq) order. */
export function readingsRoot(readings: readonly ReadingRef[]): Uint8Array {
  return merkleRoot(evidenceLeaves([...readings].sort(compareReadings)));
}
