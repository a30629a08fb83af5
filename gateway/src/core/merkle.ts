// Merkle trees over accepted readings, as in RFC 6962 section 2.1 (Certificate Transparency):
// leaf hash = SHA-256(0x00 || envelope bytes), node hash = SHA-256(0x01 || left || right), the
// split at the largest power of two below n. Pure and browser-safe: the dashboard re-checks proofs.

import { sha256 } from '@noble/hashes/sha2.js';
import { equalBytes } from '@pledgeguard/protocol';

export const LEAF_PREFIX = Uint8Array.of(0x00);

export function leafHash(envelope: Uint8Array): Uint8Array {
  return sha256.create().update(LEAF_PREFIX).update(envelope).digest();
}

export const NODE_PREFIX = Uint8Array.of(0x01);

/** SHA-256(0x01 || left || right); an adapter may pass a native implementation of the same. */
export type NodeHasher = (left: Uint8Array, right: Uint8Array) => Uint8Array;

export const nodeHash: NodeHasher = (left, right) =>
  sha256.create().update(NODE_PREFIX).update(left).update(right).digest();

/** Largest power of two strictly below n (n >= 2). */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** [RFC 6962 2.1] MTH over leaf hashes; the root of no leaves is SHA-256 of the empty string. */
export function merkleRoot(
  leaves: readonly Uint8Array[],
  hashNode: NodeHasher = nodeHash,
): Uint8Array {
  if (leaves.length === 0) return sha256(new Uint8Array());
  // Bottom-up, level by level, carrying an odd last node up unchanged: the same tree as the
  // recursive definition, without recursion.
  let level = leaves.slice();
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(hashNode(level[i]!, level[i + 1]!));
    if (level.length % 2 === 1) next.push(level[level.length - 1]!);
    level = next;
  }
  return level[0]!;
}

/**
 * [RFC 6962 2.1] MTH computed leaf by leaf in O(log n) memory: a stack of complete subtrees whose
 * sizes are distinct powers of two, largest first; equal neighbours merge as leaves arrive, and the
 * root folds the stack from the right. Same root as merkleRoot, for trees too large to hold.
 */
export class MerkleAccumulator {
  readonly #hashes: Uint8Array[] = [];
  readonly #sizes: number[] = [];
  readonly #hashNode: NodeHasher;
  #count = 0;

  constructor(hashNode: NodeHasher = nodeHash) {
    this.#hashNode = hashNode;
  }

  /** Leaves added so far. */
  get size(): number {
    return this.#count;
  }

  add(leaf: Uint8Array): void {
    let hash = leaf;
    let size = 1;
    while (this.#sizes.length > 0 && this.#sizes[this.#sizes.length - 1] === size) {
      hash = this.#hashNode(this.#hashes.pop()!, hash);
      size += this.#sizes.pop()!;
    }
    this.#hashes.push(hash);
    this.#sizes.push(size);
    this.#count++;
  }

  root(): Uint8Array {
    if (this.#hashes.length === 0) return sha256(new Uint8Array());
    let hash = this.#hashes[this.#hashes.length - 1]!;
    for (let i = this.#hashes.length - 2; i >= 0; i--)
      hash = this.#hashNode(this.#hashes[i]!, hash);
    return hash;
  }
}

/** [RFC 6962 2.1.1] audit path of leaf `index` in a tree of `leaves`, bottom first. */
export function inclusionProof(
  leaves: readonly Uint8Array[],
  index: number,
  hashNode: NodeHasher = nodeHash,
): Uint8Array[] {
  if (!Number.isInteger(index) || index < 0 || index >= leaves.length) {
    throw new RangeError(`leaf index ${index} outside a tree of ${leaves.length}`);
  }
  if (leaves.length === 1) return [];
  const k = split(leaves.length);
  return index < k
    ? [
        ...inclusionProof(leaves.slice(0, k), index, hashNode),
        merkleRoot(leaves.slice(k), hashNode),
      ]
    : [
        ...inclusionProof(leaves.slice(k), index - k, hashNode),
        merkleRoot(leaves.slice(0, k), hashNode),
      ];
}

/** [RFC 9162 2.1.3.2] checks an audit path; false for any mismatch or malformed proof. */
export function verifyInclusion(
  leaf: Uint8Array,
  index: number,
  treeSize: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (!Number.isInteger(index) || index < 0 || index >= treeSize) return false;
  let fn = index;
  let sn = treeSize - 1;
  let hash = leaf;
  for (const sibling of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      hash = nodeHash(sibling, hash);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      hash = nodeHash(hash, sibling);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn === 0 && equalBytes(hash, root);
}
