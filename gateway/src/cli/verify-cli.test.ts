// `pledgeguard verify` end to end: the real bin fetches evidence from the real gateway API
// (adapters/http, served over a real evidence log) and checks it against a real anvil.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { deviceTopic } from '@pledgeguard/protocol';
import { startAnvil, type AnvilHandle } from '@pledgeguard/contracts/anvil';
import { anvilAccount, connect, sendAndWait } from '@pledgeguard/contracts/chain';
import { deployPledgeGuard } from '@pledgeguard/contracts/deploy';
import {
  custodyDomain,
  label,
  lotKey,
  signAttestation,
  type Attestation,
} from '@pledgeguard/contracts/eip712';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_API_CONFIG } from '../adapters/http/api-config.js';
import { createApiOptions, startApi } from '../adapters/http/start-api.js';
import { EvidenceStore } from '../adapters/sqlite/evidence-store.js';
import { IngestPipeline } from '../app/ingest.js';
import { VerifierPool } from '../app/verifier-pool.js';
import { merkleRoot } from '../core/merkle.js';
import { DEFAULT_PLAUSIBILITY_POLICY } from '../core/plausibility.js';
import { systemClock } from '../ports/clock.js';
import { envelopeOf, makeFleet } from '../testing/fleet.js';
import { runPledgeguard, writeSite, type Site } from './testing.js';
import { hex } from './verify-evidence.js';

const WAREHOUSE_NUMBER = 7n;
const fleet = makeFleet(1);
const device = fleet.devices[0]!;
let site: Site;
let anvil: AnvilHandle;
let store: EvidenceStore;
let api: Awaited<ReturnType<typeof startApi>>;
let token: string;
let oracle: string;
let readingIds: number[];

beforeAll(async () => {
  site = writeSite(fleet.manifest);
  anvil = await startAnvil();
  const provider = connect(anvil.rpcUrl, anvil.chainId);
  const gateway = anvilAccount(provider, 5);
  const deployed = await deployPledgeGuard(anvilAccount(provider, 0), {
    gatewaySets: [{ warehouseId: WAREHOUSE_NUMBER, gateways: [gateway.address], threshold: 1 }],
  });
  oracle = deployed.deployment.contracts.custodyOracle;

  store = new EvidenceStore(join(site.dir, 'evidence.db'));
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
  for (let seq = 0; seq < 3; seq++)
    await ingest.submit({
      topic: deviceTopic(fleet.warehouseId, device.deviceId, 'reading'),
      payload: envelopeOf(device, seq, start + seq * 1_000),
      source: 'mqtt',
    });
  await pool.close();
  const rows = store.database
    .prepare('SELECT id, leaf_hash FROM readings ORDER BY boot, seq')
    .all() as Array<{ id: number; leaf_hash: Uint8Array }>;
  readingIds = rows.map((row) => row.id);
  const root = hex(merkleRoot(rows.map((row) => new Uint8Array(row.leaf_hash))));

  // The attestation as the custody engine would make it, recorded on chain and in the outbox.
  const observedAt = BigInt((await provider.getBlock('latest'))!.timestamp);
  const attestation: Attestation = {
    warehouseId: WAREHOUSE_NUMBER,
    bayId: label(device.bayId),
    lotId: label('LOT-1'),
    sequence: BigInt(Date.now()),
    quantityGrams: 1_000_000n,
    flags: 0,
    readingsRoot: root,
    observedAt,
    validUntil: observedAt + 3_600n,
    releaseOrderId: 0n,
  };
  const signatures = await signAttestation(
    [gateway],
    custodyDomain(BigInt(anvil.chainId), oracle),
    attestation,
  );
  const receipt = await sendAndWait(
    deployed.custodyOracle.connect(anvilAccount(provider, 9)).attest(attestation, signatures),
  );
  provider.destroy();
  const attestationId = Number(
    store.database
      .prepare(
        `INSERT INTO attestations (warehouse_id, bay_id, lot_id, lot_key, sequence, quantity_grams, flags, readings_root,
           observed_at_s, valid_until_s, proposer, status, tx_hash, block_number, created_at_ms, updated_at_ms)
         VALUES (?, ?, 'LOT-1', ?, ?, '1000000', 0, ?, ?, ?, 'self', 'confirmed', ?, ?, ?, ?)`,
      )
      .run(
        fleet.warehouseId,
        device.bayId,
        lotKey(WAREHOUSE_NUMBER, attestation.bayId, attestation.lotId),
        attestation.sequence,
        root,
        observedAt,
        attestation.validUntil,
        receipt.hash,
        receipt.blockNumber,
        Date.now(),
        Date.now(),
      ).lastInsertRowid,
  );
  const evidence = store.database.prepare(
    'INSERT INTO attestation_evidence (attestation_id, position, reading_id) VALUES (?, ?, ?)',
  );
  readingIds.forEach((id, position) => evidence.run(attestationId, position, id));

  const options = createApiOptions({
    store,
    config: DEFAULT_API_CONFIG,
    baseDir: site.dir,
    info: {
      warehouseId: fleet.warehouseId,
      gatewayId: 'gw-1',
      chainId: anvil.chainId,
      rpcUrl: anvil.rpcUrl,
      contracts: {
        custodyOracle: oracle,
        inventoryLoan: deployed.deployment.contracts.inventoryLoan,
        warehouseReceipt: deployed.deployment.contracts.warehouseReceipt,
        priceFeeds: deployed.deployment.contracts.priceFeeds,
      },
    },
    warehouseNumber: WAREHOUSE_NUMBER,
    clock: systemClock,
  });
  token = options.tokens.create('bank-a-audit', 'auditor', Date.now()).token;
  api = await startApi({ ...options, host: '127.0.0.1', port: 0 });
}, 120_000);
afterAll(async () => {
  await api?.app.close();
  store?.close();
  await anvil?.stop();
  rmSync(site.dir, { recursive: true, force: true });
});

const verify = (readingId: number, ...extra: string[]) =>
  runPledgeguard([
    'verify',
    String(readingId),
    '--api',
    `http://127.0.0.1:${api.port}`,
    '--token',
    token,
    '--rpc',
    anvil.rpcUrl,
    ...extra,
  ]);

describe('pledgeguard verify (through the gateway API)', () => {
  it('verifies a reading with the bank’s own oracle address and manifest: nothing taken on trust', async () => {
    const result = await verify(
      readingIds[1]!,
      '--oracle',
      oracle,
      '--manifest',
      site.manifestFile,
    );
    expect(result.stdout).toContain('VERIFIED: the reading is authentic');
    expect(result.code).toBe(0);
    for (const check of ['key', 'signature', 'lot', 'identity', 'chain', 'root', 'inclusion'])
      expect(result.stdout).toMatch(new RegExp(`^ok {4}${check}`, 'm'));
    expect(result.stdout).not.toContain('note  trusted');
  });

  it('says what it trusted when given neither, and prints JSON on request (token from PG_API_TOKEN)', async () => {
    const result = await runPledgeguard(
      [
        'verify',
        String(readingIds[0]!),
        '--api',
        `http://127.0.0.1:${api.port}`,
        '--rpc',
        anvil.rpcUrl,
        '--json',
      ],
      { env: { PG_API_TOKEN: token } },
    );
    expect(result.code).toBe(0);
    const verdict = JSON.parse(result.stdout) as { ok: boolean; trusted: string[] };
    expect(verdict.ok).toBe(true);
    expect(verdict.trusted).toHaveLength(2);
  });

  it('fails (exit 1) when the stored evidence was altered after the attestation', async () => {
    const row = store.database
      .prepare('SELECT envelope FROM readings WHERE id = ?')
      .get(readingIds[2]!) as { envelope: Uint8Array };
    const altered = Uint8Array.from(row.envelope);
    altered[altered.length - 1]! ^= 0x01;
    store.database
      .prepare('UPDATE readings SET envelope = ? WHERE id = ?')
      .run(altered, readingIds[2]!);
    const result = await verify(readingIds[2]!, '--oracle', oracle);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('FAIL  signature PG_SIG_INVALID');
    expect(result.stdout).toContain('FAIL  inclusion PG_AUDIT_PROOF_INVALID');
    expect(result.stdout).toContain('NOT VERIFIED');
  });

  it('reports a refused token and a bad reading id', async () => {
    const refused = await runPledgeguard([
      'verify',
      String(readingIds[0]!),
      '--api',
      `http://127.0.0.1:${api.port}`,
      '--token',
      `pg_${'0'.repeat(64)}`,
      '--rpc',
      anvil.rpcUrl,
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('401 PG_API_UNAUTHENTICATED');
    expect((await verify(0)).code).toBe(2);
  });
});
