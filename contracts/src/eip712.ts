// EIP-712 custody attestations (https://eips.ethereum.org/EIPS/eip-712), exactly as
// contracts/solidity/CustodyOracle.sol verifies them. The gateway builds and signs these; the
// contract recomputes the digest with the domain bound to chain id and oracle address.
import {
  AbiCoder,
  concat,
  encodeBytes32String,
  keccak256,
  type Signature,
  type TypedDataDomain,
  type TypedDataField,
} from 'ethers';

/** EIP-712 domain name and version of the CustodyOracle. */
export const CUSTODY_DOMAIN_NAME = 'PledgeGuard CustodyOracle';
export const CUSTODY_DOMAIN_VERSION = '1';

/** The encoded type string; keccak256 of it is CustodyOracle.ATTESTATION_TYPEHASH. */
export const ATTESTATION_TYPE =
  'Attestation(uint64 warehouseId,bytes32 bayId,bytes32 lotId,uint64 sequence,uint64 quantityGrams,uint16 flags,bytes32 readingsRoot,uint40 observedAt,uint40 validUntil,uint256 releaseOrderId)';

/** The same type for ethers `signTypedData` / `TypedDataEncoder`. */
export const ATTESTATION_TYPES: Record<string, TypedDataField[]> = {
  Attestation: [
    { name: 'warehouseId', type: 'uint64' },
    { name: 'bayId', type: 'bytes32' },
    { name: 'lotId', type: 'bytes32' },
    { name: 'sequence', type: 'uint64' },
    { name: 'quantityGrams', type: 'uint64' },
    { name: 'flags', type: 'uint16' },
    { name: 'readingsRoot', type: 'bytes32' },
    { name: 'observedAt', type: 'uint40' },
    { name: 'validUntil', type: 'uint40' },
    { name: 'releaseOrderId', type: 'uint256' },
  ],
};

/** Bit values of the attestation `flags` bitset (libraries/CustodyFlags.sol). */
export const CustodyFlag = {
  tamper: 1 << 0,
  offline: 1 << 1,
  evidenceGap: 1 << 2,
  unexplainedDrop: 1 << 3,
  sensorDisagreement: 1 << 4,
  qualityExcursion: 1 << 5,
  replayAttempt: 1 << 6,
  clockSkew: 1 << 7,
} as const;
export type CustodyFlagName = keyof typeof CustodyFlag;
/** Every defined flag; the oracle rejects other bits. */
export const CUSTODY_FLAGS_ALL = 0xff;

/** One custody attestation (the struct the gateways sign). */
export interface Attestation {
  warehouseId: bigint;
  bayId: string; // bytes32
  lotId: string; // bytes32
  sequence: bigint;
  quantityGrams: bigint; // [g]
  flags: number;
  readingsRoot: string; // bytes32
  observedAt: bigint; // [unix s]
  validUntil: bigint; // [unix s]
  releaseOrderId: bigint; // 0n: confirms no release order
}

/** Something that signs EIP-712 typed data (an ethers Wallet or Signer). */
export interface TypedDataSigner {
  readonly address: string;
  signTypedData(
    domain: TypedDataDomain,
    types: Record<string, TypedDataField[]>,
    value: Record<string, unknown>,
  ): Promise<string>;
}

/** The domain of the oracle at `verifyingContract` on `chainId`. */
export function custodyDomain(chainId: bigint, verifyingContract: string): TypedDataDomain {
  return { name: CUSTODY_DOMAIN_NAME, version: CUSTODY_DOMAIN_VERSION, chainId, verifyingContract };
}

/** A short label as bytes32 (bay and lot ids, commodity): UTF-8, at most 31 bytes. */
export function label(text: string): string {
  return encodeBytes32String(text);
}

/** keccak256(abi.encode(uint64 warehouseId, bytes32 bayId, bytes32 lotId)): the physical lot key. */
export function lotKey(warehouseId: bigint, bayId: string, lotId: string): string {
  return keccak256(
    AbiCoder.defaultAbiCoder().encode(
      ['uint64', 'bytes32', 'bytes32'],
      [warehouseId, bayId, lotId],
    ),
  );
}

/** Flag names -> bitset. */
export function flagsOf(...names: CustodyFlagName[]): number {
  return names.reduce((bits, name) => bits | CustodyFlag[name], 0);
}

/**
 * Signs `attestation` with every signer and concatenates the 65-byte r||s||v signatures in
 * ascending signer address order, the order CustodyOracle requires.
 */
export async function signAttestation(
  signers: readonly TypedDataSigner[],
  domain: TypedDataDomain,
  attestation: Attestation,
): Promise<string> {
  const ordered = [...signers].sort((a, b) => compareAddresses(a.address, b.address));
  const value = attestation as unknown as Record<string, unknown>;
  const signatures = await Promise.all(
    ordered.map((signer) => signer.signTypedData(domain, ATTESTATION_TYPES, value)),
  );
  return concat(signatures);
}

/** Concatenates already-made signatures (e.g. `Signature.serialized`), keeping their order. */
export function packSignatures(signatures: readonly (string | Signature)[]): string {
  return concat(signatures.map((s) => (typeof s === 'string' ? s : s.serialized)));
}

export function compareAddresses(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
