import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lotRef, startChainWorld, TONNE, type ChainWorld } from '../../test/chain-world.js';
import { buildEvidence, signedReadings } from '../../test/evidence-fixture.js';
import { readChainAttestation } from './chain.js';
import { verifyEvidence, type EvidenceResponse } from './evidence.js';

let world: ChainWorld;
let evidence: EvidenceResponse;

beforeAll(async () => {
  world = await startChainWorld();
  const lot = lotRef('B-07', 'LOT-1');
  const readings = signedReadings(2, 1_795_000_000_000);
  const chain = {
    chainId: world.chainId,
    custodyOracle: world.contracts.deployment.contracts.custodyOracle,
  };
  const fields = {
    id: '1',
    bayIdBytes32: lot.bayIdBytes32,
    lotIdBytes32: lot.lotIdBytes32,
    lotKey: lot.key,
    warehouseId: 7n,
    flags: 0,
    observedAtS: 0,
  };
  const draft = buildEvidence(
    readings,
    { ...fields, sequence: 1n, quantityGrams: 5n * TONNE },
    {
      ...chain,
      txHash: null,
      blockNumber: null,
    },
  );
  const attested = await world.attest(lot, 5n * TONNE, draft.root);
  evidence = buildEvidence(
    readings,
    { ...fields, sequence: attested.sequence, quantityGrams: 5n * TONNE },
    {
      ...chain,
      txHash: attested.txHash,
      blockNumber: attested.blockNumber,
    },
  ).evidence;
}, 60_000);

afterAll(async () => {
  await world?.stop();
});

describe('readChainAttestation (real anvil)', () => {
  it('reads the CustodyAttested event of the transaction, and the evidence verifies against it', async () => {
    const event = await readChainAttestation(world.provider, evidence);
    expect('error' in event).toBe(false);
    if ('error' in event) return;
    expect(event.readingsRoot).toBe(evidence.attestation.readingsRoot);
    expect(event.quantityGrams).toBe(5n * TONNE);
    const verdict = verifyEvidence(evidence, event);
    expect(verdict.checks.filter((c) => c.status === 'fail')).toEqual([]);
    expect(verdict.ok).toBe(true);
  });

  it('finds no event for another sequence or another oracle address', async () => {
    const otherSequence = structuredClone(evidence);
    otherSequence.attestation.sequence = '99';
    expect(await readChainAttestation(world.provider, otherSequence)).toHaveProperty('error');
    const otherOracle = structuredClone(evidence);
    otherOracle.chain.custodyOracle = world.contracts.deployment.contracts.inventoryLoan;
    expect(await readChainAttestation(world.provider, otherOracle)).toHaveProperty('error');
  });

  it('refuses evidence that names another chain, or a transaction the chain does not have', async () => {
    const otherChain = structuredClone(evidence);
    otherChain.chain.chainId = '1';
    expect(await readChainAttestation(world.provider, otherChain)).toMatchObject({
      error: expect.stringMatching(/RPC chain 31337/),
    });
    const unknownTx = structuredClone(evidence);
    unknownTx.chain.txHash = '0x' + '12'.repeat(32);
    expect(await readChainAttestation(world.provider, unknownTx)).toMatchObject({
      error: expect.stringMatching(/not found/),
    });
  });

  it('fails the lot-key check when the served bay id is not the attested one', async () => {
    const event = await readChainAttestation(world.provider, evidence);
    const otherBay = structuredClone(evidence);
    otherBay.attestation.bayIdBytes32 = lotRef('B-08', 'LOT-1').bayIdBytes32;
    const verdict = verifyEvidence(otherBay, event);
    expect(verdict.ok).toBe(false);
    expect(verdict.checks.find((c) => c.kind === 'lot-key')?.status).toBe('fail');
  });
});
