import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  inclusionProof,
  leafHash as gatewayLeafHash,
  merkleRoot,
} from '../../../gateway/src/core/merkle.js';
import { bytesToHex } from './hex.js';
import { leafHash, rootFromInclusionProof, treeRoot } from './merkle.js';

const envelopes = fc.array(fc.uint8Array({ minLength: 1, maxLength: 40 }), {
  minLength: 1,
  maxLength: 40,
});

describe('browser Merkle code (RFC 6962)', () => {
  it('computes the same leaf hashes and root as the gateway', () => {
    fc.assert(
      fc.property(envelopes, (items) => {
        const leaves = items.map(leafHash);
        expect(leaves.map(bytesToHex)).toEqual(items.map(gatewayLeafHash).map(bytesToHex));
        expect(bytesToHex(treeRoot(leaves))).toBe(bytesToHex(merkleRoot(leaves)));
      }),
    );
  });

  it('every gateway inclusion proof leads back to the gateway root', () => {
    fc.assert(
      fc.property(envelopes, fc.nat(), (items, pick) => {
        const leaves = items.map(leafHash);
        const index = pick % leaves.length;
        const root = rootFromInclusionProof(
          leaves[index]!,
          index,
          leaves.length,
          inclusionProof(leaves, index),
        );
        expect(root && bytesToHex(root)).toBe(bytesToHex(merkleRoot(leaves)));
      }),
    );
  });

  it('an altered byte in a leaf or a proof leads to another root or none', () => {
    fc.assert(
      fc.property(envelopes, fc.nat(), fc.nat(), (items, pick, flip) => {
        const leaves = items.map(leafHash);
        const index = pick % leaves.length;
        const proof = inclusionProof(leaves, index);
        const expected = bytesToHex(merkleRoot(leaves));
        const badLeaf = Uint8Array.from(leaves[index]!);
        badLeaf[flip % 32] = badLeaf[flip % 32]! ^ 0x80;
        const fromBadLeaf = rootFromInclusionProof(badLeaf, index, leaves.length, proof);
        expect(fromBadLeaf && bytesToHex(fromBadLeaf)).not.toBe(expected);
        if (proof.length > 0) {
          const badProof = proof.map((p) => Uint8Array.from(p));
          const target = badProof[flip % badProof.length]!;
          target[flip % 32] = target[flip % 32]! ^ 0x01;
          const fromBadProof = rootFromInclusionProof(
            leaves[index]!,
            index,
            leaves.length,
            badProof,
          );
          expect(fromBadProof && bytesToHex(fromBadProof)).not.toBe(expected);
        }
      }),
    );
  });

  it('rejects an index outside the tree and a proof of the wrong length', () => {
    const leaves = [1, 2, 3, 4, 5].map((n) => leafHash(Uint8Array.of(n)));
    const proof = inclusionProof(leaves, 2);
    expect(rootFromInclusionProof(leaves[2]!, 5, 5, proof)).toBeNull();
    expect(rootFromInclusionProof(leaves[2]!, 2, 5, [...proof, proof[0]!])).toBeNull();
    expect(rootFromInclusionProof(leaves[2]!, 2, 5, proof.slice(1))).toBeNull();
  });
});
