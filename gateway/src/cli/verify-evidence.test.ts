// The verifier against real material: readings accepted by the real ingest pipeline into a real
// EvidenceStore, an evidence set rooted as the custody engine roots it (RFC 6962 over leaf hashes in
// (device, boot, seq) order), and a CustodyAttested event on a real anvil chain.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesToHex } from '@noble/hashes/utils.js';
import { deviceTopic, generateKeyPair } from '@pledgeguard/protocol';
import { startAnvil, type AnvilHandle } from '@pledgeguard/contracts/anvil';
import { anvilAccount, connect, sendAndWait } from '@pledgeguard/contracts/chain';
import { deployPledgeGuard, type Deployed } from '@pledgeguard/contracts/deploy';
import {
  custodyDomain,
  label,
  lotKey,
  signAttestation,
  type Attestation,
} from '@pledgeguard/contracts/eip712';
import type { JsonRpcProvider } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EvidenceStore } from '../adapters/sqlite/evidence-store.js';
import { IngestPipeline } from '../app/ingest.js';
import { VerifierPool } from '../app/verifier-pool.js';
import { inclusionProof, merkleRoot } from '../core/merkle.js';
import { DEFAULT_PLAUSIBILITY_POLICY } from '../core/plausibility.js';
import { systemClock } from '../ports/clock.js';
import { envelopeOf, makeFleet } from '../testing/fleet.js';
import { hex, verifyReadingEvidence, type ReadingEvidence } from './verify-evidence.js';

const WAREHOUSE_NUMBER = 7n;
const fleet = makeFleet(2);
const device = fleet.devices[0]!;
let dir: string;
let anvil: AnvilHandle;
let provider: JsonRpcProvider;
let deployed: Deployed;
/** Evidence for each reading of the attested set, as the API would serve it. */
let evidence: ReadingEvidence[];
/** An authentic reading of the same device that is not in the attested set. */
let outsider: { envelope: Uint8Array; seq: number };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pg-verify-'));
  anvil = await startAnvil();
  provider = connect(anvil.rpcUrl, anvil.chainId);
  const gateway = anvilAccount(provider, 5);
  deployed = await deployPledgeGuard(anvilAccount(provider, 0), {
    gatewaySets: [{ warehouseId: WAREHOUSE_NUMBER, gateways: [gateway.address], threshold: 1 }],
  });

  // Four readings accepted by the real pipeline into the real evidence log.
  const store = new EvidenceStore(join(dir, 'evidence.db'));
  store.importManifest(fleet.manifest, Date.now());
  const pool = new VerifierPool({ threads: 0 });
  const ingest = new IngestPipeline({
    warehouseId: fleet.warehouseId,
    store,
    pool,
    clock: systemClock,
    skew: {
      maxAheadMs: 60_000,
      maxBehindMs: 3_600_000,
      maxLiveBehindMs: 60_000,
      maxStepBackMs: 2_000,
    },
    plausibility: DEFAULT_PLAUSIBILITY_POLICY,
  });
  const start = Date.now() - 10_000;
  for (let seq = 0; seq < 5; seq++) {
    const outcome = await ingest.submit({
      topic: deviceTopic(fleet.warehouseId, device.deviceId, 'reading'),
      payload: envelopeOf(device, seq, start + seq * 1_000),
      source: 'mqtt',
    });
    expect(outcome.outcome).toBe('accepted');
  }
  await pool.close();
  const rows = store.database
    .prepare(
      'SELECT id, seq, envelope, leaf_hash FROM readings WHERE device_id = ? ORDER BY boot, seq',
    )
    .all(device.deviceId) as Array<{
    id: number;
    seq: number;
    envelope: Uint8Array;
    leaf_hash: Uint8Array;
  }>;
  store.close();
  const attestedRows = rows.slice(0, 4);
  outsider = { envelope: new Uint8Array(rows[4]!.envelope), seq: rows[4]!.seq };
  const leaves = attestedRows.map((row) => new Uint8Array(row.leaf_hash));
  const root = merkleRoot(leaves);

  const block = await provider.getBlock('latest');
  const observedAt = BigInt(block!.timestamp);
  const bayId = label(device.bayId);
  const lotId = label('LOT-1');
  const attestation: Attestation = {
    warehouseId: WAREHOUSE_NUMBER,
    bayId,
    lotId,
    sequence: BigInt(Date.now()),
    quantityGrams: 1_000_000n,
    flags: 0,
    readingsRoot: hex(root),
    observedAt,
    validUntil: observedAt + 3_600n,
    releaseOrderId: 0n,
  };
  const oracle = deployed.deployment.contracts.custodyOracle;
  const signatures = await signAttestation(
    [gateway],
    custodyDomain(BigInt(anvil.chainId), oracle),
    attestation,
  );
  const receipt = await sendAndWait(
    deployed.custodyOracle.connect(anvilAccount(provider, 9)).attest(attestation, signatures),
  );
  evidence = attestedRows.map((row, index) => ({
    reading: {
      id: row.id,
      deviceId: device.deviceId,
      boot: 1,
      seq: row.seq,
      envelope: hex(row.envelope),
    },
    device: { alg: device.alg, publicKey: hex(device.publicKey), keyVersion: 1 },
    attestation: {
      lotKey: lotKey(WAREHOUSE_NUMBER, bayId, lotId),
      sequence: attestation.sequence.toString(),
      readingsRoot: hex(root),
      txHash: receipt.hash,
      oracle,
      lot: { warehouseId: WAREHOUSE_NUMBER.toString(), bayIdBytes32: bayId, lotIdBytes32: lotId },
    },
    proof: { index, treeSize: leaves.length, path: inclusionProof(leaves, index).map(hex) },
  }));
}, 120_000);
afterAll(async () => {
  await anvil?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const failedCodes = (verdict: { checks: readonly { ok: boolean; code?: string }[] }) =>
  verdict.checks.filter((check) => !check.ok).map((check) => check.code);

describe('verifyReadingEvidence', () => {
  it('verifies every reading of an attested set against the on-chain root', async () => {
    for (const item of evidence) {
      const verdict = await verifyReadingEvidence(item, provider, {
        oracle: deployed.deployment.contracts.custodyOracle,
        manifest: fleet.manifest,
      });
      expect(failedCodes(verdict)).toEqual([]);
      expect(verdict.ok).toBe(true);
      expect(verdict.trusted).toEqual([]);
      expect(verdict.checks.map((check) => check.name)).toEqual([
        'key',
        'signature',
        'lot',
        'identity',
        'chain',
        'root',
        'inclusion',
      ]);
      expect(verdict.attested).toMatchObject({ quantityGrams: 1_000_000n, flags: 0 });
    }
  });

  it('says what it took on trust when the oracle address and the device key come from the gateway', async () => {
    const verdict = await verifyReadingEvidence(evidence[0]!, provider);
    expect(verdict.ok).toBe(true);
    expect(verdict.trusted).toHaveLength(2);
  });

  it('fails a tampered envelope on its signature', async () => {
    const bytes = Uint8Array.from(Buffer.from(evidence[1]!.reading.envelope.slice(2), 'hex'));
    bytes[bytes.length - 1]! ^= 0x01;
    const verdict = await verifyReadingEvidence(
      { ...evidence[1]!, reading: { ...evidence[1]!.reading, envelope: hex(bytes) } },
      provider,
    );
    expect(verdict.ok).toBe(false);
    expect(failedCodes(verdict)).toContain('PG_SIG_INVALID');
  });

  it('fails an authentic reading that is not in the attested set (no proof leads to the root)', async () => {
    const verdict = await verifyReadingEvidence(
      {
        ...evidence[0]!,
        reading: { ...evidence[0]!.reading, seq: outsider.seq, envelope: hex(outsider.envelope) },
      },
      provider,
    );
    expect(verdict.checks.find((check) => check.name === 'signature')?.ok).toBe(true);
    expect(failedCodes(verdict)).toEqual(['PG_AUDIT_PROOF_INVALID']);
  });

  it('fails a proof for the wrong leaf position', async () => {
    const verdict = await verifyReadingEvidence(
      { ...evidence[2]!, proof: { ...evidence[2]!.proof, index: 1 } },
      provider,
    );
    expect(failedCodes(verdict)).toEqual(['PG_AUDIT_PROOF_INVALID']);
  });

  it('trusts the chain over the root the gateway reports', async () => {
    const verdict = await verifyReadingEvidence(
      {
        ...evidence[0]!,
        attestation: { ...evidence[0]!.attestation, readingsRoot: hex(new Uint8Array(32)) },
      },
      provider,
    );
    expect(failedCodes(verdict)).toEqual(['PG_AUDIT_ROOT_MISMATCH']);
    expect(verdict.checks.find((check) => check.name === 'inclusion')?.ok).toBe(true);
  });

  it('finds no attestation at another oracle address, nor for another lot or sequence', async () => {
    const elsewhere = await verifyReadingEvidence(evidence[0]!, provider, {
      oracle: deployed.deployment.contracts.inventoryLoan,
    });
    expect(failedCodes(elsewhere)).toEqual(['PG_AUDIT_NO_ATTESTATION']);
    const otherSequence = await verifyReadingEvidence(
      { ...evidence[0]!, attestation: { ...evidence[0]!.attestation, sequence: '1' } },
      provider,
    );
    expect(failedCodes(otherSequence)).toEqual(['PG_AUDIT_NO_ATTESTATION']);
  });

  it("fails a reading served as another identity, and a key that is not the bank's manifest key", async () => {
    const relabelled = await verifyReadingEvidence(
      { ...evidence[0]!, reading: { ...evidence[0]!.reading, seq: 3 } },
      provider,
    );
    expect(failedCodes(relabelled)).toEqual(['PG_AUDIT_READING_MISMATCH']);
    const manifest = {
      ...fleet.manifest,
      devices: fleet.manifest.devices.map((entry, i) =>
        i === 0 ? { ...entry, publicKey: bytesToHex(generateKeyPair('EdDSA').publicKey) } : entry,
      ),
    };
    const otherKey = await verifyReadingEvidence(evidence[0]!, provider, { manifest });
    expect(failedCodes(otherKey)).toEqual(['PG_AUDIT_KEY_MISMATCH']);
  });
});
