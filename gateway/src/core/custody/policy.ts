// When a lot is attested, and what its timing fields are (docs/custody.md "Attestation"): like a
// price feed, on deviation or heartbeat, whichever comes first. Attest at once when the flags
// change, the quantity moves by more than `deviationBps` from the last attested quantity, or a
// release order is matched (so its confirmation is prompt); otherwise every `heartbeatMs`.
import type { AttestedSnapshot, LotStatus } from './types.js';

export interface AttestPolicy {
  /** Longest time between two attestations of a lot [ms]. */
  readonly heartbeatMs: number;
  /** Quantity move that triggers an attestation at once [bps of the last attested quantity]. */
  readonly deviationBps: number;
  /** validUntil = observedAt + validForS [s]. */
  readonly validForS: number;
  /** Shortest time between two attestations of a lot, except on a flag change [ms]. */
  readonly minIntervalMs: number;
}

export type AttestReason = 'first' | 'flags' | 'deviation' | 'release' | 'heartbeat';

export type AttestDecision =
  { readonly due: false } | { readonly due: true; readonly reason: AttestReason };

export function attestationDue(
  status: LotStatus,
  last: AttestedSnapshot | undefined,
  nowMs: number,
  policy: AttestPolicy,
): AttestDecision {
  // Without any quantity evidence there is nothing to attest yet.
  if (!status.quantityKnown) return { due: false };
  if (last === undefined) return { due: true, reason: 'first' };
  if (status.flags !== last.flags) return { due: true, reason: 'flags' };
  const sinceMs = nowMs - last.observedAtMs;
  if (sinceMs < policy.minIntervalMs) return { due: false };
  const moveGrams = status.quantityGrams - last.quantityGrams;
  const absMoveGrams = moveGrams < 0n ? -moveGrams : moveGrams;
  // |move| / last > deviationBps / 10,000, in integers; any move from 0 counts.
  if (absMoveGrams * 10_000n > BigInt(policy.deviationBps) * last.quantityGrams)
    return { due: true, reason: 'deviation' };
  if (status.releaseOrderId !== undefined && status.releaseOrderId !== last.releaseOrderId)
    return { due: true, reason: 'release' };
  if (sinceMs >= policy.heartbeatMs) return { due: true, reason: 'heartbeat' };
  return { due: false };
}

export interface AttestationTiming {
  /** Strictly increasing per lot: observation time [ms], or the last sequence + 1. */
  readonly sequence: bigint;
  readonly observedAtMs: number;
  /** [unix s] */
  readonly observedAtS: bigint;
  /** [unix s] */
  readonly validUntilS: bigint;
}

/** sequence = observedAt in ms (warehouse clock), never at or below the last one. */
export function attestationTiming(
  nowMs: number,
  last: AttestedSnapshot | undefined,
  policy: AttestPolicy,
): AttestationTiming {
  if (!Number.isSafeInteger(nowMs) || nowMs < 0) throw new RangeError(`nowMs ${nowMs}`);
  const atMs = BigInt(nowMs);
  const sequence = last !== undefined && atMs <= last.sequence ? last.sequence + 1n : atMs;
  const observedAtS = atMs / 1000n;
  return {
    sequence,
    observedAtMs: nowMs,
    observedAtS,
    validUntilS: observedAtS + BigInt(policy.validForS),
  };
}
