// Fixture data for a lot under a loan, made of real parts: readings signed with the protocol's
// test device keys, the root attested on a real anvil, a real loan opened against the receipt.
// The fixture gateway serves it in the API's shapes.

import { lotRef, TONNE, USD, type ChainWorld } from './chain-world.js';
import { buildEvidence, signedReadings, TEST_DEVICES } from './evidence-fixture.js';
import type { FixtureData, RawSeries } from './fixture-gateway.js';
import type { LoanState } from '../src/app/types.js';

const STATES: LoanState[] = ['Active', 'Active', 'MarginCall', 'Defaulted', 'Enforced', 'Closed'];

export interface SeededLot {
  lotId: string;
  bayId: string;
  lotKey: string;
  loanId: bigint;
  attestationId: string;
}

/** A synthetic quantity history: `samples` readings ending now, a slow drift and noise. */
export function rawSeries(
  samples: number,
  endMs: number,
  stepMs: number,
  baseGrams: number,
  receiptGrams: bigint,
): RawSeries {
  const tMs = new Float64Array(samples);
  const grams = new Float64Array(samples);
  let seed = 7;
  for (let i = 0; i < samples; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    tMs[i] = endMs - (samples - 1 - i) * stepMs;
    grams[i] = Math.round(
      baseGrams - (i / samples) * baseGrams * 0.002 + ((seed % 2001) - 1000) * 50,
    );
  }
  const startMs = tMs[0] ?? endMs;
  return {
    tMs,
    grams,
    receiptGrams: receiptGrams.toString(),
    events: [
      {
        tMs: startMs + (endMs - startMs) * 0.3,
        kind: 'attestation',
        detail: 'heartbeat attestation',
      },
      { tMs: startMs + (endMs - startMs) * 0.7, kind: 'alert', detail: 'door open 4 min' },
    ],
  };
}

/** Signs readings, attests their root, opens a loan drawn to 70 % at $9,000/t, fills `data`. */
export async function seedLot(
  world: ChainWorld,
  data: FixtureData,
  bayId: string,
  lotId: string,
  options: { seriesSamples?: number } = {},
): Promise<SeededLot> {
  const lot = lotRef(bayId, lotId);
  const quantityGrams = 1000n * TONNE;
  const nowMs = Date.now();
  const readings = signedReadings(4, nowMs - 60_000, bayId);
  const chainInfo = {
    chainId: world.chainId,
    custodyOracle: world.contracts.deployment.contracts.custodyOracle,
  };
  const { root } = buildEvidence(
    readings,
    {
      id: '0',
      lotKey: lot.key,
      warehouseId: 7n,
      sequence: 0n,
      quantityGrams,
      flags: 0,
      observedAtS: 0,
    },
    { ...chainInfo, txHash: null, blockNumber: null },
  );
  const attested = await world.attest(lot, quantityGrams, root);
  const loanId = await world.openLoan(lot, quantityGrams, 6_300_000n * USD);
  const attestationId = `${lotId}-${attested.sequence}`;
  const { evidence } = buildEvidence(
    readings,
    {
      id: attestationId,
      bayIdBytes32: lot.bayIdBytes32,
      lotIdBytes32: lot.lotIdBytes32,
      lotKey: lot.key,
      warehouseId: 7n,
      sequence: attested.sequence,
      quantityGrams,
      flags: 0,
      observedAtS: Number(attested.observedAtS),
    },
    { ...chainInfo, txHash: attested.txHash, blockNumber: attested.blockNumber },
  );
  data.evidence.set(attestationId, evidence);
  data.attestations.set(lotId, [
    {
      id: attestationId,
      sequence: attested.sequence.toString(),
      quantityGrams: quantityGrams.toString(),
      flags: 0,
      flagNames: [],
      readingsRoot: root,
      observedAtS: Number(attested.observedAtS),
      validUntilS: Number(attested.validUntilS),
      releaseOrderId: '0',
      status: 'confirmed',
      txHash: attested.txHash,
      blockNumber: attested.blockNumber,
      signers: [world.gateway.address],
    },
  ]);
  data.lots.push({
    lotId,
    bayId,
    commodity: 'COPPER',
    quantityGrams: quantityGrams.toString(),
    receiptGrams: quantityGrams.toString(),
    flags: 0,
    flagNames: [],
    unverified: false,
    lastAttestation: {
      id: attestationId,
      sequence: attested.sequence.toString(),
      quantityGrams: quantityGrams.toString(),
      flags: 0,
      observedAtS: Number(attested.observedAtS),
      txHash: attested.txHash,
      status: 'confirmed',
    },
  });
  data.loans.push({
    loanId: loanId.toString(),
    receiptId: loanId.toString(),
    lotId,
    bayId,
    lotKey: lot.key,
    lender: world.accounts.lender.address,
    borrower: world.accounts.borrower.address,
    commodity: 'COPPER',
    principal: (12_600_000n * USD).toString(),
    debt: (6_300_000n * USD).toString(),
    state: 'Active',
    frozen: false,
    ltvBps: 7000,
    maxLtvBps: 7000,
    marginCallLtvBps: 7500,
    defaultLtvBps: 8500,
    cureDeadlineS: null,
  });
  data.series.set(
    lotId,
    rawSeries(options.seriesSamples ?? 20_000, nowMs, 1000, Number(quantityGrams), quantityGrams),
  );
  data.alerts.set(lotId, [
    {
      id: 1,
      atMs: nowMs - 3_600_000,
      kind: 'door',
      detail: 'door open 4 min',
      deviceId: 'door-b07-1',
      clearedAtMs: nowMs - 3_300_000,
    },
  ]);
  if (data.devices.length === 0) {
    data.devices = TEST_DEVICES.map((d, i) => ({
      deviceId: d.kid,
      kinds: ['weight'],
      bayId,
      lotId,
      alg: d.alg,
      publicKeyHex: '0x' + d.publicKey,
      keyVersion: 1,
      revoked: false,
      lastSeenMs: nowMs - i * 1000,
      online: i < 2,
      heartbeatMs: 60_000,
      rejections: (i === 2 ? { PG_REPLAYED: 3, PG_CLOCK_AHEAD: 1 } : {}) as Record<string, number>,
    }));
  }
  return { lotId, bayId, lotKey: lot.key, loanId, attestationId };
}

/** Copies the chain's view of a loan into the API fixture (what the real API would report). */
export async function syncLoan(
  world: ChainWorld,
  data: FixtureData,
  loanId: bigint,
  ltvBps: number,
): Promise<void> {
  const onChain = await world.contracts.inventoryLoan.getLoan(loanId);
  const loan = data.loans.find((l) => l.loanId === loanId.toString())!;
  loan.state = STATES[Number(onChain.state)]!;
  loan.debt = onChain.debt.toString();
  loan.cureDeadlineS = Number(onChain.callDeadline) || null;
  loan.ltvBps = ltvBps;
}
