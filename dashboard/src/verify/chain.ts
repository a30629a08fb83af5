// Reads the CustodyAttested event of an attestation's transaction from the chain (ethers v6,
// read-only JSON-RPC), so the verdict rests on the chain's root, not on the gateway's copy.

import { Interface, type Provider } from 'ethers';
import type { ChainAttestation, EvidenceResponse } from './evidence.js';

/** The one event we need, from contracts/solidity/interfaces/ICustodyOracle.sol. */
export const CUSTODY_ATTESTED_ABI = [
  'event CustodyAttested(bytes32 indexed lotKey, uint64 indexed warehouseId, uint64 sequence, uint64 quantityGrams, uint16 flags, bytes32 readingsRoot, uint40 observedAt, uint40 validUntil)',
];
const oracleInterface = new Interface(CUSTODY_ATTESTED_ABI);

/**
 * The CustodyAttested event for `evidence`'s lot and sequence in its transaction, or the reason it
 * cannot be found. `provider` should be the chain the dashboard trusts (its own RPC URL).
 */
export async function readChainAttestation(
  provider: Provider,
  evidence: EvidenceResponse,
): Promise<ChainAttestation | { error: string }> {
  const txHash = evidence.chain.txHash ?? evidence.attestation.txHash;
  if (!txHash) return { error: 'the attestation has no transaction yet' };
  try {
    const network = await provider.getNetwork();
    if (network.chainId !== BigInt(evidence.chain.chainId)) {
      return {
        error: `RPC chain ${network.chainId}, evidence names chain ${evidence.chain.chainId}`,
      };
    }
    const receipt = await provider.getTransactionReceipt(txHash);
    if (!receipt) return { error: `transaction ${txHash} not found on chain` };
    if (receipt.status !== 1) return { error: `transaction ${txHash} reverted` };
    const oracle = evidence.chain.custodyOracle.toLowerCase();
    for (const log of receipt.logs) {
      if (log.address.toLowerCase() !== oracle) continue;
      const parsed = oracleInterface.parseLog({ topics: [...log.topics], data: log.data });
      if (!parsed || parsed.name !== 'CustodyAttested') continue;
      const event: ChainAttestation = {
        lotKey: String(parsed.args[0]),
        warehouseId: BigInt(parsed.args[1]),
        sequence: BigInt(parsed.args[2]),
        quantityGrams: BigInt(parsed.args[3]),
        flags: Number(parsed.args[4]),
        readingsRoot: String(parsed.args[5]),
        observedAtS: BigInt(parsed.args[6]),
        validUntilS: BigInt(parsed.args[7]),
        blockNumber: receipt.blockNumber,
        txHash,
      };
      if (
        event.lotKey.toLowerCase() === evidence.attestation.lotKey.toLowerCase() &&
        event.sequence.toString() === evidence.attestation.sequence
      ) {
        return event;
      }
    }
    return { error: `no CustodyAttested for this lot and sequence from ${oracle} in ${txHash}` };
  } catch (error) {
    return { error: `chain read failed: ${(error as Error).message}` };
  }
}
