// Multi-gateway co-signing, the follower's side (docs/custody.md "Co-signing"): a gateway signs a
// peer's proposed attestation only when its own evidence gives the same readings root and its own
// lot status agrees. Like an OCR follower (ANCHORS.md), it checks a proposal against what it saw
// itself rather than trusting the proposer, so one lying gateway cannot make a quorum.
import { equalBytes, fail, ok, type Result } from '@pledgeguard/protocol';
import { merkleRoot } from './merkle.js';

/** One reading an attestation rests on: its identity and the RFC 6962 leaf hash of its envelope. */
export interface EvidenceRef {
  readonly deviceId: string;
  readonly boot: number;
  readonly seq: number;
  readonly leafHash: Uint8Array;
}

/** What a proposal claims about one lot. */
export interface ProposalClaim {
  readonly lotId: string;
  readonly sequence: bigint;
  readonly quantityGrams: bigint; // [g]
  readonly flags: number; // CustodyFlag bitset
  readonly readingsRoot: Uint8Array;
  readonly observedAtMs: number; // [ms], proposer's warehouse clock
  readonly evidence: readonly EvidenceRef[];
}

/** What this gateway knows itself, read by the caller before judging. */
export interface OwnView {
  /** Own status of the lot; undefined when this gateway does not watch it. */
  readonly lot: { readonly quantityGrams: bigint; readonly flags: number } | undefined;
  /** Leaf hash of the reading this gateway holds under that identity, if any. */
  readonly leafOf: (deviceId: string, boot: number, seq: number) => Uint8Array | undefined;
  /** Highest sequence this gateway already signed for the lot. */
  readonly lastSignedSequence: bigint | undefined;
  readonly nowMs: number;
}

export interface CosignPolicy {
  /** Largest relative quantity difference still co-signed. [bps of the larger figure] */
  readonly quantityToleranceBps: bigint;
  /** Largest distance between the proposal's observation time and this gateway's clock. [ms] */
  readonly maxClockDistanceMs: number;
  /** Largest evidence set accepted. */
  readonly maxEvidence: number;
}

export const DEFAULT_COSIGN_POLICY: CosignPolicy = {
  quantityToleranceBps: 50n,
  maxClockDistanceMs: 120_000,
  maxEvidence: 256,
};

/** Canonical evidence order: (deviceId, boot, seq) ascending, no identity twice. */
export function compareEvidence(a: EvidenceRef, b: EvidenceRef): number {
  if (a.deviceId !== b.deviceId) return a.deviceId < b.deviceId ? -1 : 1;
  if (a.boot !== b.boot) return a.boot - b.boot;
  return a.seq - b.seq;
}

/** |a - b| <= tolerance x max(a, b), for non-negative quantities. */
export function withinBps(a: bigint, b: bigint, toleranceBps: bigint): boolean {
  const larger = a > b ? a : b;
  const difference = a > b ? a - b : b - a;
  return difference * 10_000n <= larger * toleranceBps;
}

/**
 * Judges a peer's proposal. Checks run cheapest and most telling first: freshness, then the
 * evidence (bytes, then root), then the status. Missing evidence is reported apart from different
 * evidence: the first may resolve by waiting, the second is an alarm.
 */
export function judgeProposal(
  claim: ProposalClaim,
  own: OwnView,
  policy: CosignPolicy = DEFAULT_COSIGN_POLICY,
): Result<void> {
  if (own.lot === undefined) return fail('PG_COSIGN_UNKNOWN_LOT', `lot ${claim.lotId}`);
  if (own.lastSignedSequence !== undefined && claim.sequence <= own.lastSignedSequence)
    return fail(
      'PG_COSIGN_SUPERSEDED',
      `sequence ${claim.sequence} <= ${own.lastSignedSequence} already signed for ${claim.lotId}`,
    );
  const distanceMs = Math.abs(claim.observedAtMs - own.nowMs);
  if (distanceMs > policy.maxClockDistanceMs)
    return fail('PG_COSIGN_STALE', `observed ${distanceMs} ms away from this gateway's clock`);
  if (claim.evidence.length === 0 || claim.evidence.length > policy.maxEvidence)
    return fail('PG_COSIGN_MALFORMED', `evidence set of ${claim.evidence.length} readings`);
  for (let i = 1; i < claim.evidence.length; i++) {
    if (compareEvidence(claim.evidence[i - 1]!, claim.evidence[i]!) >= 0)
      return fail('PG_COSIGN_MALFORMED', 'evidence is not in (deviceId, boot, seq) order');
  }

  const ownLeaves: Uint8Array[] = [];
  const missing: string[] = [];
  for (const ref of claim.evidence) {
    const leaf = own.leafOf(ref.deviceId, ref.boot, ref.seq);
    const name = `${ref.deviceId}/${ref.boot}/${ref.seq}`;
    if (leaf === undefined) {
      missing.push(name);
      continue;
    }
    if (!equalBytes(leaf, ref.leafHash))
      return fail('PG_COSIGN_EVIDENCE_MISMATCH', `reading ${name} has other bytes here`);
    ownLeaves.push(leaf);
  }
  if (missing.length > 0)
    return fail(
      'PG_COSIGN_EVIDENCE_MISSING',
      `${missing.length} reading(s) not held here: ${missing.slice(0, 5).join(', ')}`,
    );
  if (!equalBytes(merkleRoot(ownLeaves), claim.readingsRoot))
    return fail('PG_COSIGN_ROOT_MISMATCH', 'the root of the listed readings differs');

  if (!withinBps(own.lot.quantityGrams, claim.quantityGrams, policy.quantityToleranceBps))
    return fail(
      'PG_COSIGN_QUANTITY_MISMATCH',
      `proposed ${claim.quantityGrams} g, seen here ${own.lot.quantityGrams} g`,
    );
  if (own.lot.flags !== claim.flags)
    return fail(
      'PG_COSIGN_FLAGS_MISMATCH',
      `proposed flags 0x${claim.flags.toString(16)}, seen here 0x${own.lot.flags.toString(16)}`,
    );
  return ok(undefined);
}
