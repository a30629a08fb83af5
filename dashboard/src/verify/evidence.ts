// "Verify this status": the pure half. Given the evidence an API served for one attestation and
// the CustodyAttested event read from the chain, re-check every device signature, every RFC 6962
// leaf and inclusion proof, rebuild the root, and compare it with the chain's. Each step is
// reported, so the page can show what was checked, not only the verdict.

import { ALGS, type Alg } from '@pledgeguard/protocol';
import { AbiCoder, keccak256 } from 'ethers';
import { bytesToHex, hexToBytes, sameBytes } from './hex.js';
import { leafHash, rootFromInclusionProof, treeRoot } from './merkle.js';
import { checkEnvelopeSignature } from './signature.js';

/** `GET /api/v1/attestations/:id/evidence` (docs/api.md). */
export interface EvidenceResponse {
  attestation: {
    id: string | number;
    sequence: string;
    quantityGrams: string;
    flags: number;
    readingsRoot: string;
    observedAtS: number;
    lotKey: string;
    warehouseId: string;
    bayIdBytes32?: string;
    lotIdBytes32?: string;
    txHash: string | null;
  };
  chain: {
    chainId: string | number;
    custodyOracle: string;
    txHash: string | null;
    blockNumber: number | null;
  };
  readings: EvidenceReading[];
  leafCount: number;
}

export interface EvidenceReading {
  readingId: string | number;
  deviceId: string;
  alg: string;
  publicKeyHex: string;
  envelopeHex: string;
  leafIndex: number;
  proof: string[];
}

/** The CustodyAttested event as read from the chain (chain.ts). */
export interface ChainAttestation {
  lotKey: string;
  warehouseId: bigint;
  sequence: bigint;
  quantityGrams: bigint;
  flags: number;
  readingsRoot: string;
  observedAtS: bigint;
  validUntilS: bigint;
  blockNumber: number;
  txHash: string;
}

export type CheckStatus = 'pass' | 'fail';

export interface Check {
  /** Stable id for tests and the page: 'signature', 'leaf', 'proof', 'root', 'chain-*'. */
  kind: string;
  subject: string;
  status: CheckStatus;
  detail: string;
}

export interface ReadingVerdict {
  readingId: string | number;
  deviceId: string;
  leafIndex: number;
  signature: Check;
  proof: Check;
  /** Decoded reading (kind, value) when the envelope decodes. */
  summary: string | null;
}

export interface Verdict {
  ok: boolean;
  readings: ReadingVerdict[];
  /** Tree-wide and chain checks, in the order they ran. */
  checks: Check[];
  rebuiltRoot: string | null;
}

/**
 * Verifies `evidence` against `chain`, the event read from the chain (or the reason it could not
 * be read). Pure: no I/O, no clock.
 */
export function verifyEvidence(
  evidence: EvidenceResponse,
  chain: ChainAttestation | { error: string },
): Verdict {
  const readings: ReadingVerdict[] = [];
  const leaves = new Map<number, Uint8Array>();
  const proofRoots: Uint8Array[] = [];
  for (const item of evidence.readings) {
    const { verdict, leaf, proofRoot } = verifyReading(item, evidence.leafCount);
    readings.push(verdict);
    if (leaf) leaves.set(item.leafIndex, leaf);
    if (proofRoot) proofRoots.push(proofRoot);
  }

  const checks: Check[] = [];
  const complete =
    evidence.readings.length === evidence.leafCount &&
    Array.from({ length: evidence.leafCount }, (_, i) => leaves.has(i)).every(Boolean);
  const rebuilt = complete
    ? treeRoot(Array.from({ length: evidence.leafCount }, (_, i) => leaves.get(i)!))
    : null;
  checks.push({
    kind: 'root',
    subject: `tree of ${evidence.leafCount} leaves`,
    status: rebuilt ? 'pass' : 'fail',
    detail: rebuilt
      ? `rebuilt ${bytesToHex(rebuilt)}`
      : `evidence holds ${leaves.size} usable leaves of ${evidence.leafCount}`,
  });
  const proofsAgree =
    proofRoots.length === evidence.readings.length &&
    proofRoots.every((root) => rebuilt !== null && sameBytes(root, rebuilt));
  checks.push({
    kind: 'proofs-agree',
    subject: 'every inclusion proof',
    status: proofsAgree ? 'pass' : 'fail',
    detail: proofsAgree ? 'all proofs lead to the rebuilt root' : 'a proof leads elsewhere',
  });
  checks.push(...chainChecks(evidence, chain, rebuilt));

  const ok =
    readings.every((r) => r.signature.status === 'pass' && r.proof.status === 'pass') &&
    checks.every((c) => c.status === 'pass');
  return { ok, readings, checks, rebuiltRoot: rebuilt ? bytesToHex(rebuilt) : null };
}

function verifyReading(
  item: EvidenceReading,
  leafCount: number,
): { verdict: ReadingVerdict; leaf: Uint8Array | null; proofRoot: Uint8Array | null } {
  const subject = `${item.deviceId} reading ${item.readingId}`;
  const envelope = hexToBytes(item.envelopeHex);
  const publicKey = hexToBytes(item.publicKeyHex);
  let signature: Check;
  let summary: string | null = null;
  if (!envelope || !publicKey) {
    signature = fail('signature', subject, 'envelope or key is not hex');
  } else if (!isAlg(item.alg)) {
    signature = fail('signature', subject, `unsupported alg ${item.alg}`);
  } else {
    const result = checkEnvelopeSignature(envelope, item.deviceId, item.alg, publicKey);
    if (result.ok) {
      summary = `${result.reading.kind} ${result.reading.value} (boot ${result.reading.boot}, seq ${result.reading.seq})`;
      signature = pass('signature', subject, `${item.alg} signature by ${item.deviceId} verifies`);
    } else {
      signature = fail('signature', subject, `${result.code}: ${result.detail}`);
    }
  }

  const leaf = envelope ? leafHash(envelope) : null;
  const siblings = item.proof.map(hexToBytes);
  let proof: Check;
  let proofRoot: Uint8Array | null = null;
  if (!leaf || siblings.some((s) => s === null)) {
    proof = fail('proof', subject, 'leaf or proof is not hex');
  } else {
    proofRoot = rootFromInclusionProof(leaf, item.leafIndex, leafCount, siblings as Uint8Array[]);
    proof = proofRoot
      ? pass('proof', subject, `leaf ${item.leafIndex} of ${leafCount} -> ${bytesToHex(proofRoot)}`)
      : fail('proof', subject, `malformed audit path for leaf ${item.leafIndex} of ${leafCount}`);
  }
  return {
    verdict: {
      readingId: item.readingId,
      deviceId: item.deviceId,
      leafIndex: item.leafIndex,
      signature,
      proof,
      summary,
    },
    leaf,
    proofRoot,
  };
}

function chainChecks(
  evidence: EvidenceResponse,
  chain: ChainAttestation | { error: string },
  rebuilt: Uint8Array | null,
): Check[] {
  if ('error' in chain) return [fail('chain-event', 'CustodyAttested event', chain.error)];
  const a = evidence.attestation;
  const checks: Check[] = [
    pass('chain-event', 'CustodyAttested event', `block ${chain.blockNumber}, tx ${chain.txHash}`),
  ];
  const chainRoot = hexToBytes(chain.readingsRoot);
  const rootMatches = rebuilt !== null && chainRoot !== null && sameBytes(rebuilt, chainRoot);
  checks.push(
    (rootMatches ? pass : fail)(
      'chain-root',
      'readingsRoot on chain',
      `chain ${chain.readingsRoot}, rebuilt ${rebuilt ? bytesToHex(rebuilt) : 'none'}`,
    ),
  );
  if (a.bayIdBytes32 && a.lotIdBytes32) {
    // The lot key on chain must be the one of the warehouse, bay and lot the gateway names.
    const recomputed = keccak256(
      AbiCoder.defaultAbiCoder().encode(
        ['uint64', 'bytes32', 'bytes32'],
        [BigInt(a.warehouseId), a.bayIdBytes32, a.lotIdBytes32],
      ),
    );
    const same = recomputed.toLowerCase() === chain.lotKey.toLowerCase();
    checks.push(
      (same ? pass : fail)(
        'lot-key',
        `warehouse ${a.warehouseId}, bay and lot ids`,
        same
          ? `keccak256 gives ${recomputed}`
          : `keccak256 gives ${recomputed}, chain ${chain.lotKey}`,
      ),
    );
  }
  const fields: [string, string, string][] = [
    ['lot key', chain.lotKey.toLowerCase(), a.lotKey.toLowerCase()],
    ['sequence', chain.sequence.toString(), a.sequence],
    ['quantity [g]', chain.quantityGrams.toString(), a.quantityGrams],
    ['flags', String(chain.flags), String(a.flags)],
  ];
  for (const [name, onChain, served] of fields) {
    checks.push(
      (onChain === served ? pass : fail)(
        'chain-field',
        name,
        onChain === served ? `${onChain} on chain` : `chain ${onChain}, gateway says ${served}`,
      ),
    );
  }
  return checks;
}

function isAlg(alg: string): alg is Alg {
  return Object.hasOwn(ALGS, alg);
}

function pass(kind: string, subject: string, detail: string): Check {
  return { kind, subject, status: 'pass', detail };
}

function fail(kind: string, subject: string, detail: string): Check {
  return { kind, subject, status: 'fail', detail };
}
