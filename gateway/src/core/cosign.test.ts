import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareEvidence,
  judgeProposal,
  withinBps,
  type EvidenceRef,
  type OwnView,
  type ProposalClaim,
} from './cosign.js';
import { leafHash, merkleRoot } from './merkle.js';

const NOW_MS = 1_790_000_000_000;

function world(count: number, salt = 0) {
  const refs: EvidenceRef[] = [];
  for (let i = 0; i < count; i++) {
    const envelope = Uint8Array.of(i, salt, 7, 7);
    refs.push({ deviceId: `dev-${String(i % 3)}`, boot: 1, seq: i, leafHash: leafHash(envelope) });
  }
  refs.sort(compareEvidence);
  const held = new Map(refs.map((r) => [`${r.deviceId}/${r.boot}/${r.seq}`, r.leafHash]));
  const claim: ProposalClaim = {
    lotId: 'LOT-7',
    sequence: 10n,
    quantityGrams: 1_000_000_000n,
    flags: 0,
    readingsRoot: merkleRoot(refs.map((r) => r.leafHash)),
    observedAtMs: NOW_MS,
    evidence: refs,
  };
  const own: OwnView = {
    lot: { quantityGrams: 1_000_000_000n, flags: 0 },
    leafOf: (d, b, s) => held.get(`${d}/${b}/${s}`),
    lastSignedSequence: 9n,
    nowMs: NOW_MS,
  };
  return { claim, own, held };
}

describe('judgeProposal', () => {
  it('signs a proposal whose evidence, root, quantity and flags match its own view', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), (count) => {
        const { claim, own } = world(count);
        expect(judgeProposal(claim, own)).toEqual({ ok: true, value: undefined });
      }),
    );
  });

  it('refuses any proposal in which one listed reading has other bytes than its own', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.nat(), (count, pick) => {
        const { claim, own } = world(count);
        const index = pick % count;
        const evidence = claim.evidence.map((ref, i) =>
          i === index ? { ...ref, leafHash: leafHash(Uint8Array.of(255, 1)) } : ref,
        );
        const verdict = judgeProposal({ ...claim, evidence }, own);
        expect(verdict.ok || verdict.code).toBe('PG_COSIGN_EVIDENCE_MISMATCH');
      }),
    );
  });

  it('refuses a root that its listed readings do not give', () => {
    const { claim, own } = world(5);
    const readingsRoot = merkleRoot(claim.evidence.slice(1).map((r) => r.leafHash));
    const verdict = judgeProposal({ ...claim, readingsRoot }, own);
    expect(verdict.ok || verdict.code).toBe('PG_COSIGN_ROOT_MISMATCH');
  });

  it('tells missing evidence apart from different evidence', () => {
    const { claim, held, own } = world(4);
    held.delete(`${claim.evidence[2]!.deviceId}/1/${claim.evidence[2]!.seq}`);
    const verdict = judgeProposal(claim, own);
    expect(verdict.ok || verdict.code).toBe('PG_COSIGN_EVIDENCE_MISSING');
  });

  it('refuses a quantity beyond the tolerance and signs one within it', () => {
    const { claim, own } = world(3);
    const lying = judgeProposal({ ...claim, quantityGrams: 1_040_000_000n }, own);
    expect(lying.ok || lying.code).toBe('PG_COSIGN_QUANTITY_MISMATCH');
    expect(judgeProposal({ ...claim, quantityGrams: 1_004_000_000n }, own).ok).toBe(true);
  });

  it('refuses flags that differ from its own', () => {
    const { claim, own } = world(3);
    const verdict = judgeProposal({ ...claim, flags: 0x08 }, own);
    expect(verdict.ok || verdict.code).toBe('PG_COSIGN_FLAGS_MISMATCH');
    const hiding = judgeProposal(claim, {
      ...own,
      lot: { quantityGrams: 1_000_000_000n, flags: 1 },
    });
    expect(hiding.ok || hiding.code).toBe('PG_COSIGN_FLAGS_MISMATCH');
  });

  it('answers superseded for a sequence it already signed, and stale for an observation far from its clock', () => {
    const { claim, own } = world(3);
    const replayed = judgeProposal({ ...claim, sequence: 9n }, own);
    expect(replayed.ok || replayed.code).toBe('PG_COSIGN_SUPERSEDED');
    const late = judgeProposal({ ...claim, observedAtMs: NOW_MS - 600_000 }, own);
    expect(late.ok || late.code).toBe('PG_COSIGN_STALE');
  });

  it('refuses evidence out of canonical order or listed twice', () => {
    const { claim, own } = world(4);
    const reversed = [...claim.evidence].reverse();
    const shuffled = judgeProposal({ ...claim, evidence: reversed }, own);
    expect(shuffled.ok || shuffled.code).toBe('PG_COSIGN_MALFORMED');
    const doubled = [claim.evidence[0]!, ...claim.evidence];
    const twice = judgeProposal({ ...claim, evidence: doubled }, own);
    expect(twice.ok || twice.code).toBe('PG_COSIGN_MALFORMED');
  });

  it('refuses a lot it does not watch', () => {
    const { claim, own } = world(2);
    const verdict = judgeProposal(claim, { ...own, lot: undefined });
    expect(verdict.ok || verdict.code).toBe('PG_COSIGN_UNKNOWN_LOT');
  });
});

describe('withinBps', () => {
  it('is symmetric and exact at the boundary', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 15n }),
        fc.bigInt({ min: 0n, max: 10n ** 15n }),
        (a, b) => {
          expect(withinBps(a, b, 50n)).toBe(withinBps(b, a, 50n));
        },
      ),
    );
    expect(withinBps(10_000n, 9_950n, 50n)).toBe(true);
    expect(withinBps(10_000n, 9_949n, 50n)).toBe(false);
  });
});
