import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MerkleAccumulator,
  inclusionProof,
  leafHash,
  merkleRoot,
  verifyInclusion,
} from './merkle.js';

// The recursive definition of RFC 6962 section 2.1, as the reference for the iterative code.
function referenceRoot(leaves: Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return sha256(new Uint8Array());
  if (leaves.length === 1) return leaves[0]!;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return sha256(
    Uint8Array.from([1, ...referenceRoot(leaves.slice(0, k)), ...referenceRoot(leaves.slice(k))]),
  );
}

const leavesArb = fc
  .array(fc.uint8Array({ minLength: 1, maxLength: 40 }), { minLength: 1, maxLength: 70 })
  .map((items) => items.map(leafHash));

describe('Merkle trees (RFC 6962)', () => {
  it('matches the RFC 6962 test vector for the empty tree and a single leaf', () => {
    expect(bytesToHex(merkleRoot([]))).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    expect(bytesToHex(leafHash(new Uint8Array()))).toBe(
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    );
  });

  it('computes the same root as the recursive definition for any number of leaves', () => {
    fc.assert(
      fc.property(leavesArb, (leaves) => {
        expect(merkleRoot(leaves)).toEqual(referenceRoot(leaves));
      }),
    );
  });

  it('computes the same root leaf by leaf (the streaming accumulator) as over the whole list', () => {
    const empty = new MerkleAccumulator();
    expect(empty.root()).toEqual(referenceRoot([]));
    fc.assert(
      fc.property(leavesArb, (leaves) => {
        const accumulator = new MerkleAccumulator();
        leaves.forEach((leaf) => accumulator.add(leaf));
        expect(accumulator.size).toBe(leaves.length);
        expect(accumulator.root()).toEqual(referenceRoot(leaves));
      }),
    );
    // Every size up to a few powers of two, where the stack's shape changes.
    const many = Array.from({ length: 130 }, (_, i) => leafHash(Uint8Array.of(i)));
    const accumulator = new MerkleAccumulator();
    many.forEach((leaf, i) => {
      accumulator.add(leaf);
      expect(accumulator.root()).toEqual(merkleRoot(many.slice(0, i + 1)));
    });
  });

  it('gives every leaf an inclusion proof that verifies against the root', () => {
    fc.assert(
      fc.property(leavesArb, (leaves) => {
        const root = merkleRoot(leaves);
        leaves.forEach((leaf, index) =>
          expect(
            verifyInclusion(leaf, index, leaves.length, inclusionProof(leaves, index), root),
          ).toBe(true),
        );
      }),
      { numRuns: 60 },
    );
  });

  it('rejects a proof for another leaf, another index or with a tampered sibling', () => {
    fc.assert(
      fc.property(
        leavesArb.filter((l) => l.length >= 2),
        fc.nat(),
        (leaves, pick) => {
          const index = pick % leaves.length;
          const root = merkleRoot(leaves);
          const proof = inclusionProof(leaves, index);
          const other = (index + 1) % leaves.length;
          expect(
            verifyInclusion(leafHash(Uint8Array.of(0xff, 0xfe)), index, leaves.length, proof, root),
          ).toBe(false);
          expect(verifyInclusion(leaves[index]!, other, leaves.length, proof, root)).toBe(false);
          const tampered = proof.map((node, i) =>
            i === 0 ? Uint8Array.from(node, (b, j) => (j === 0 ? b ^ 1 : b)) : node,
          );
          expect(verifyInclusion(leaves[index]!, index, leaves.length, tampered, root)).toBe(false);
        },
      ),
      { numRuns: 100 },
    );
  });
});
