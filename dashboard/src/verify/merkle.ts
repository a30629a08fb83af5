// RFC 6962 section 2.1 Merkle tree hashes, re-implemented for the browser so the verdict does not
// rest on the gateway's code: leaf = SHA-256(0x00 || envelope), node = SHA-256(0x01 || l || r).
// Inclusion proofs are checked by recomputing the root, as in RFC 9162 section 2.1.3.2.

import { sha256 } from '@noble/hashes/sha2.js';

const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;

export function leafHash(envelope: Uint8Array): Uint8Array {
  const input = new Uint8Array(1 + envelope.length);
  input[0] = LEAF_PREFIX;
  input.set(envelope, 1);
  return sha256(input);
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  const input = new Uint8Array(1 + left.length + right.length);
  input[0] = NODE_PREFIX;
  input.set(left, 1);
  input.set(right, 1 + left.length);
  return sha256(input);
}

/** [RFC 6962 2.1] MTH(D[n]) over leaf hashes; the empty tree hashes to SHA-256(""). */
export function treeRoot(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return sha256(new Uint8Array(0));
  if (leaves.length === 1) return leaves[0]!;
  // k = the largest power of two strictly below n.
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return nodeHash(treeRoot(leaves.slice(0, k)), treeRoot(leaves.slice(k)));
}

/**
 * [RFC 9162 2.1.3.2] the root an audit path leads to from leaf `index` of a tree of `treeSize`
 * leaves, or null when the path is malformed (wrong length or index outside the tree).
 */
export function rootFromInclusionProof(
  leaf: Uint8Array,
  index: number,
  treeSize: number,
  proof: readonly Uint8Array[],
): Uint8Array | null {
  if (!Number.isInteger(index) || !Number.isInteger(treeSize) || index < 0 || index >= treeSize) {
    return null;
  }
  let fn = index;
  let sn = treeSize - 1;
  let hash = leaf;
  for (const sibling of proof) {
    if (sibling.length !== 32 || sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      hash = nodeHash(sibling, hash);
      // Climb past the levels where this node is a right-edge node carried up unchanged.
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      hash = nodeHash(hash, sibling);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? hash : null;
}
