// `pledgeguard verify`: establishes a reading's standing without trusting the gateway. The gateway
// only serves material; every conclusion comes from checks made here:
//   1. the COSE_Sign1 signature of the raw envelope, with the protocol package (RFC 9052);
//   2. the envelope is the reading asked for (device, boot, seq) and hashes to the served leaf;
//   3. the CustodyAttested event of the attestation's transaction, read from the chain through the
//      verifier's own RPC endpoint, at the oracle address the verifier names;
//   4. the RFC 6962 inclusion proof leads from the leaf to the root in that event (not to the root
//      the gateway reports, which is only compared).
// What is still taken on trust is listed in the verdict (`trusted`).

import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import {
  ALGS,
  nobleVerifier,
  openEnvelope,
  type Alg,
  type Code,
  type DeviceManifest,
} from '@pledgeguard/protocol';
import { pledgeGuardInterface } from '@pledgeguard/contracts/chain';
import { label, lotKey } from '@pledgeguard/contracts/eip712';
import type { JsonRpcProvider } from 'ethers';
import { leafHash, verifyInclusion } from '../core/merkle.js';

/**
 * What the gateway API serves for one reading (GET /v1/readings/{id}/evidence): the raw envelope,
 * the device key that signed it, and the attestation whose evidence set holds it, with the
 * inclusion proof in that set. Byte strings are hex (with or without 0x).
 */
export interface ReadingEvidence {
  readonly reading: {
    readonly id: number;
    readonly deviceId: string;
    readonly boot: number;
    readonly seq: number;
    readonly envelope: string;
  };
  readonly device: {
    readonly alg: string;
    readonly publicKey: string;
    readonly keyVersion?: number;
  };
  readonly attestation: {
    readonly lotKey: string;
    /** Decimal string (ms of observation; uint64 on chain). */
    readonly sequence: string;
    readonly readingsRoot: string;
    readonly txHash: string;
    /** The CustodyOracle that recorded it, as the gateway reports it. */
    readonly oracle?: string;
    /** The lot key's parts, to recompute it and match the reading's bay. */
    readonly lot?: {
      readonly warehouseId: string;
      readonly bayIdBytes32: string;
      readonly lotIdBytes32: string;
    };
  };
  readonly proof: {
    readonly index: number;
    readonly treeSize: number;
    readonly path: readonly string[];
  };
}

export type CheckName = 'signature' | 'identity' | 'lot' | 'key' | 'chain' | 'root' | 'inclusion';

export interface Check {
  readonly name: CheckName;
  readonly ok: boolean;
  readonly code?: Code;
  readonly detail: string;
}

/** The CustodyAttested event as the chain holds it. */
export interface AttestedOnChain {
  readonly oracle: string;
  readonly blockNumber: number;
  readonly lotKey: string;
  readonly warehouseId: bigint;
  readonly sequence: bigint;
  readonly quantityGrams: bigint;
  readonly flags: number;
  readonly readingsRoot: string;
  readonly observedAt: bigint;
  readonly validUntil: bigint;
}

export interface VerifyVerdict {
  readonly ok: boolean;
  readonly checks: readonly Check[];
  /** The on-chain attestation the reading was checked against, when found. */
  readonly attested: AttestedOnChain | undefined;
  /** What the verdict still takes on trust (empty is best). */
  readonly trusted: readonly string[];
}

export interface VerifyOptions {
  /** The CustodyOracle address from the bank's own deployment record. */
  readonly oracle?: string;
  /** The bank's own copy of the device manifest, to check the served key against. */
  readonly manifest?: DeviceManifest;
}

const strip = (hex: string) => (hex.startsWith('0x') ? hex.slice(2) : hex).toLowerCase();
const bytesOf = (hex: string) => hexToBytes(strip(hex));

/** Checks 1, 2 and the key: everything that needs no chain. Pure. */
export function checkEnvelope(evidence: ReadingEvidence, options: VerifyOptions = {}): Check[] {
  const checks: Check[] = [];
  const envelope = bytesOf(evidence.reading.envelope);
  const alg = evidence.device.alg;
  if (!(alg in ALGS))
    return [
      { name: 'signature', ok: false, code: 'PG_COSE_ALG_UNSUPPORTED', detail: `alg ${alg}` },
    ];
  const publicKey = bytesOf(evidence.device.publicKey);
  if (options.manifest) {
    const listed = options.manifest.devices.find(
      (device) => device.deviceId === evidence.reading.deviceId,
    );
    const same =
      listed !== undefined &&
      listed.alg === alg &&
      strip(listed.publicKey) === bytesToHex(publicKey);
    checks.push(
      same
        ? { name: 'key', ok: true, detail: 'device key matches your manifest' }
        : {
            name: 'key',
            ok: false,
            code: 'PG_AUDIT_KEY_MISMATCH',
            detail: listed
              ? `served key (version ${evidence.device.keyVersion ?? '?'}) differs from the manifest's`
              : `device ${evidence.reading.deviceId} is not in your manifest`,
          },
    );
  }
  const verifier = nobleVerifier(alg as Alg, publicKey);
  const opened = verifier.ok ? openEnvelope(envelope, () => verifier) : verifier;
  if (!opened.ok) {
    checks.push({ name: 'signature', ok: false, code: opened.code, detail: opened.detail });
    return checks;
  }
  checks.push({
    name: 'signature',
    ok: true,
    detail: `COSE_Sign1 ${alg} signature of ${opened.value.kid} verifies`,
  });
  const reading = opened.value.reading;
  const lot = evidence.attestation.lot;
  if (lot) {
    const key = lotKey(BigInt(lot.warehouseId), lot.bayIdBytes32, lot.lotIdBytes32);
    const sameLot =
      strip(key) === strip(evidence.attestation.lotKey) &&
      strip(label(reading.bayId)) === strip(lot.bayIdBytes32);
    checks.push(
      sameLot
        ? {
            name: 'lot',
            ok: true,
            detail: `reading from bay ${reading.bayId}, the attested lot's bay`,
          }
        : {
            name: 'lot',
            ok: false,
            code: 'PG_AUDIT_READING_MISMATCH',
            detail: `lot key or bay does not match (reading bay ${reading.bayId})`,
          },
    );
  }
  const same =
    reading.deviceId === evidence.reading.deviceId &&
    reading.boot === evidence.reading.boot &&
    reading.seq === evidence.reading.seq;
  checks.push(
    same
      ? {
          name: 'identity',
          ok: true,
          detail: `${reading.deviceId} boot ${reading.boot} seq ${reading.seq}: ${reading.kind} = ${reading.value} at ${new Date(reading.deviceTimeMs).toISOString()}`,
        }
      : {
          name: 'identity',
          ok: false,
          code: 'PG_AUDIT_READING_MISMATCH',
          detail: `envelope holds ${reading.deviceId}/${reading.boot}/${reading.seq}, not ${evidence.reading.deviceId}/${evidence.reading.boot}/${evidence.reading.seq}`,
        },
  );
  return checks;
}

/** Check 4 (and the root comparison) against the root read from the chain. Pure. */
export function checkInclusion(evidence: ReadingEvidence, chainRoot: string): Check[] {
  const claimed = strip(evidence.attestation.readingsRoot);
  const onChain = strip(chainRoot);
  const rootCheck: Check =
    claimed === onChain
      ? {
          name: 'root',
          ok: true,
          detail: `gateway-reported root equals the on-chain root 0x${onChain}`,
        }
      : {
          name: 'root',
          ok: false,
          code: 'PG_AUDIT_ROOT_MISMATCH',
          detail: `gateway reports 0x${claimed}, the chain holds 0x${onChain}`,
        };
  const leaf = leafHash(bytesOf(evidence.reading.envelope));
  const included = verifyInclusion(
    leaf,
    evidence.proof.index,
    evidence.proof.treeSize,
    evidence.proof.path.map(bytesOf),
    hexToBytes(onChain),
  );
  return [
    rootCheck,
    included
      ? {
          name: 'inclusion',
          ok: true,
          detail: `leaf ${evidence.proof.index} of ${evidence.proof.treeSize} is in the on-chain root`,
        }
      : {
          name: 'inclusion',
          ok: false,
          code: 'PG_AUDIT_PROOF_INVALID',
          detail: `the proof does not lead from leaf 0x${bytesToHex(leaf)} to the on-chain root`,
        },
  ];
}

/**
 * Check 3: the CustodyAttested event for the evidence's lot and sequence in its transaction,
 * emitted by `oracle`. Undefined when there is none (not mined, reverted, another contract).
 */
export async function readAttestation(
  provider: JsonRpcProvider,
  txHash: string,
  oracle: string,
  lotKey: string,
  sequence: bigint,
): Promise<AttestedOnChain | undefined> {
  const receipt = await provider.getTransactionReceipt(txHash);
  if (!receipt || receipt.status !== 1) return undefined;
  for (const log of receipt.logs) {
    if (log.address.toLowerCase() !== oracle.toLowerCase()) continue;
    const parsed = pledgeGuardInterface.parseLog({ topics: [...log.topics], data: log.data });
    if (parsed?.name !== 'CustodyAttested') continue;
    const args = parsed.args;
    if (strip(args.lotKey as string) !== strip(lotKey) || (args.sequence as bigint) !== sequence)
      continue;
    return {
      oracle: log.address,
      blockNumber: receipt.blockNumber,
      lotKey: args.lotKey as string,
      warehouseId: args.warehouseId as bigint,
      sequence: args.sequence as bigint,
      quantityGrams: args.quantityGrams as bigint,
      flags: Number(args.flags),
      readingsRoot: args.readingsRoot as string,
      observedAt: args.observedAt as bigint,
      validUntil: args.validUntil as bigint,
    };
  }
  return undefined;
}

/** The whole verification: envelope, chain, inclusion. Never throws for bad evidence. */
export async function verifyReadingEvidence(
  evidence: ReadingEvidence,
  provider: JsonRpcProvider,
  options: VerifyOptions = {},
): Promise<VerifyVerdict> {
  const trusted: string[] = [];
  const checks = checkEnvelope(evidence, options);
  if (!options.manifest)
    trusted.push(
      'the device public key was served by the gateway (pass --manifest with your own copy)',
    );
  const oracle = options.oracle ?? evidence.attestation.oracle;
  if (!options.oracle)
    trusted.push('the CustodyOracle address was served by the gateway (pass --oracle)');
  let attested: AttestedOnChain | undefined;
  if (!oracle) {
    checks.push({
      name: 'chain',
      ok: false,
      code: 'PG_AUDIT_NO_ATTESTATION',
      detail: 'no oracle address: pass --oracle',
    });
  } else {
    attested = await readAttestation(
      provider,
      evidence.attestation.txHash,
      oracle,
      evidence.attestation.lotKey,
      BigInt(evidence.attestation.sequence),
    );
    if (!attested) {
      checks.push({
        name: 'chain',
        ok: false,
        code: 'PG_AUDIT_NO_ATTESTATION',
        detail: `transaction ${evidence.attestation.txHash} holds no CustodyAttested of ${oracle} for lot ${evidence.attestation.lotKey} sequence ${evidence.attestation.sequence}`,
      });
    } else {
      checks.push({
        name: 'chain',
        ok: true,
        detail: `CustodyAttested in block ${attested.blockNumber}: ${attested.quantityGrams} g, flags 0x${attested.flags.toString(16)}, valid until ${new Date(Number(attested.validUntil) * 1_000).toISOString()}`,
      });
      checks.push(...checkInclusion(evidence, attested.readingsRoot));
    }
  }
  return { ok: checks.every((check) => check.ok), checks, attested, trusted };
}

/** Builds evidence hex fields from bytes (for the API and tests). */
export function hex(bytes: Uint8Array): string {
  return `0x${bytesToHex(bytes)}`;
}
