// Real signed readings and their evidence, the way a gateway serves them
// (`GET /api/v1/attestations/:id/evidence`): envelopes signed with the protocol's test device keys
// (protocol/vectors/cose-vectors.json), leaves and proofs from the gateway's own Merkle code.

import { readFileSync } from 'node:fs';
import { nobleSigner, signReading, type Alg, type Reading } from '@pledgeguard/protocol';
import { inclusionProof, leafHash, merkleRoot } from '../../gateway/src/core/merkle.js';
import type { EvidenceResponse } from '../src/verify/evidence.js';
import { bytesToHex, hexToBytes } from '../src/verify/hex.js';

export interface TestDevice {
  kid: string;
  alg: Alg;
  secretKey: string;
  publicKey: string;
}

const vectorsUrl = new URL('../../protocol/vectors/cose-vectors.json', import.meta.url);
export const COSE_VECTORS = JSON.parse(readFileSync(vectorsUrl, 'utf8')) as {
  devices: TestDevice[];
  vectors: { name: string; envelope: string; expect: string }[];
};
export const TEST_DEVICES = COSE_VECTORS.devices;

/** `count` signed weight readings per device, one second apart from `startMs`. */
export function signedReadings(
  count: number,
  startMs: number,
  bayId = 'B-07',
): { device: TestDevice; reading: Reading; envelope: Uint8Array }[] {
  const out: { device: TestDevice; reading: Reading; envelope: Uint8Array }[] = [];
  for (const device of TEST_DEVICES) {
    const signer = nobleSigner(device.alg, device.kid, hexToBytes(device.secretKey)!);
    for (let seq = 0; seq < count; seq++) {
      const reading: Reading = {
        deviceId: device.kid,
        boot: 1,
        seq,
        deviceTimeMs: startMs + seq * 1000,
        kind: 'weight',
        value: 1_000_000_000n - BigInt(seq) * 1000n,
        bayId,
        firmware: '1.4.2',
      };
      out.push({ device, reading, envelope: signReading(reading, signer) });
    }
  }
  return out;
}

export interface AttestationFields {
  id: string;
  bayIdBytes32?: string;
  lotIdBytes32?: string;
  lotKey: string;
  warehouseId: bigint;
  sequence: bigint;
  quantityGrams: bigint;
  flags: number;
  observedAtS: number;
}

/** The evidence response for `envelopes` (leaf order as given) and the root they make. */
export function buildEvidence(
  readings: { device: TestDevice; reading: Reading; envelope: Uint8Array }[],
  attestation: AttestationFields,
  chain: {
    chainId: bigint;
    custodyOracle: string;
    txHash: string | null;
    blockNumber: number | null;
  },
): { evidence: EvidenceResponse; root: string } {
  const leaves = readings.map((r) => leafHash(r.envelope));
  const root = bytesToHex(merkleRoot(leaves));
  const evidence: EvidenceResponse = {
    attestation: {
      id: attestation.id,
      sequence: attestation.sequence.toString(),
      quantityGrams: attestation.quantityGrams.toString(),
      flags: attestation.flags,
      readingsRoot: root,
      observedAtS: attestation.observedAtS,
      lotKey: attestation.lotKey,
      warehouseId: attestation.warehouseId.toString(),
      ...(attestation.bayIdBytes32 ? { bayIdBytes32: attestation.bayIdBytes32 } : {}),
      ...(attestation.lotIdBytes32 ? { lotIdBytes32: attestation.lotIdBytes32 } : {}),
      txHash: chain.txHash,
    },
    chain: {
      chainId: chain.chainId.toString(),
      custodyOracle: chain.custodyOracle,
      txHash: chain.txHash,
      blockNumber: chain.blockNumber,
    },
    readings: readings.map((r, index) => ({
      readingId: String(index + 1),
      deviceId: r.device.kid,
      alg: r.device.alg,
      publicKeyHex: '0x' + r.device.publicKey,
      envelopeHex: bytesToHex(r.envelope),
      leafIndex: index,
      proof: inclusionProof(leaves, index).map(bytesToHex),
    })),
    leafCount: leaves.length,
  };
  return { evidence, root };
}

/** A copy of `evidence` with one byte of one envelope flipped. */
export function alterOneByte(
  evidence: EvidenceResponse,
  readingIndex: number,
  byteIndex: number,
): EvidenceResponse {
  const copy = structuredClone(evidence);
  const reading = copy.readings[readingIndex]!;
  const bytes = hexToBytes(reading.envelopeHex)!;
  bytes[byteIndex] = bytes[byteIndex]! ^ 0x01;
  reading.envelopeHex = bytesToHex(bytes);
  return copy;
}
