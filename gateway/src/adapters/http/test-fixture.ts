// Test fixture for the API tests: a real SQLite evidence log seeded through the real EvidenceStore
// and ingest pipeline (devices, readings, quarantine) and the migration-2 tables (attestations,
// evidence, alerts, chain events), served by the real server on port 0. Not shipped.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesToHex } from '@noble/hashes/utils.js';
import { deviceTopic } from '@pledgeguard/protocol';
import { Registry } from 'prom-client';
import { IngestPipeline } from '../../app/ingest.js';
import { VerifierPool } from '../../app/verifier-pool.js';
import { merkleRoot } from '../../core/merkle.js';
import { DEFAULT_PLAUSIBILITY_POLICY } from '../../core/plausibility.js';
import { DEFAULT_SKEW_POLICY } from '../../core/skew.js';
import { envelopeOf, makeFleet, type Fleet } from '../../testing/fleet.js';
import { EvidenceStore, leafHashFast } from '../sqlite/evidence-store.js';
import { apiConfigSchema, type ApiConfig } from './api-config.js';
import type { ApiInfo } from './api-data.js';
import { labelBytes32, lotKeyOf } from './chain-view.js';
import { ApiEventBus } from './event-bus.js';
import { startHttp } from './server.js';
import { SqliteApiData } from './sqlite-data.js';
import { ApiTokenStore, type ApiRole } from './token-store.js';

export const NOW_MS = 1_795_000_000_000;
export const LOT_ID = 'LOT-1';
export const BAY_ID = 'B-00';
export const WAREHOUSE_NUMBER = 7n;

export const INFO: ApiInfo = {
  warehouseId: 'wh-1',
  gatewayId: 'gw-1',
  chainId: 31337,
  rpcUrl: 'http://127.0.0.1:8545',
  contracts: {
    custodyOracle: '0x00000000000000000000000000000000000000c1',
    inventoryLoan: '0x00000000000000000000000000000000000000c2',
    warehouseReceipt: '0x00000000000000000000000000000000000000c3',
    priceFeeds: { COPPER_CATHODE: '0x00000000000000000000000000000000000000c4' },
  },
};

export interface Fixture {
  readonly dir: string;
  readonly store: EvidenceStore;
  readonly fleet: Fleet;
  readonly ingest: IngestPipeline;
  readonly tokens: ApiTokenStore;
  readonly bus: ApiEventBus;
  readonly data: SqliteApiData;
  /** Bearer tokens by role. */
  readonly token: Record<ApiRole, string>;
  clockMs: number;
  close(): Promise<void>;
}

export async function makeFixture(): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'pg-api-'));
  const store = new EvidenceStore(join(dir, 'evidence.db'), { synchronous: 'NORMAL' });
  const base = makeFleet(3);
  // Device 0 weighs LOT-1 in bay B-00; the others stay bay-level devices of other bays.
  const fleet: Fleet = {
    ...base,
    manifest: {
      ...base.manifest,
      lots: [
        { lotId: LOT_ID, bayId: BAY_ID, commodity: 'COPPER_CATHODE', unitWeightGrams: '1000' },
      ],
      devices: base.manifest.devices.map((device, i) =>
        i === 0 ? { ...device, lotId: LOT_ID } : device,
      ),
    },
  };
  store.importManifest(fleet.manifest, NOW_MS);
  const pool = new VerifierPool({ threads: 0 });
  const fixture = {
    dir,
    store,
    fleet,
    clockMs: NOW_MS,
  } as { -readonly [K in keyof Fixture]: Fixture[K] };
  const clock = { nowMs: () => fixture.clockMs };
  fixture.ingest = new IngestPipeline({
    warehouseId: fleet.warehouseId,
    store,
    pool,
    clock,
    skew: DEFAULT_SKEW_POLICY,
    plausibility: DEFAULT_PLAUSIBILITY_POLICY,
  });
  fixture.tokens = new ApiTokenStore(store.database);
  fixture.bus = new ApiEventBus({ nowMs: clock.nowMs });
  fixture.data = new SqliteApiData({
    store,
    info: INFO,
    warehouseNumber: WAREHOUSE_NUMBER,
    clock,
    ingest: fixture.ingest,
  });
  fixture.token = {} as Record<ApiRole, string>;
  for (const role of ['bank-viewer', 'auditor', 'operator-admin', 'gateway-peer'] as const)
    fixture.token[role] = fixture.tokens.create(`test-${role}`, role, NOW_MS).token;
  fixture.close = async () => {
    store.close();
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return fixture;
}

/** Submits signed readings of device `index` through the real ingest pipeline; returns their ids. */
export async function ingestReadings(
  fixture: Fixture,
  index: number,
  seqs: readonly number[],
): Promise<void> {
  const device = fixture.fleet.devices[index]!;
  for (const seq of seqs) {
    const outcome = await fixture.ingest.submit({
      topic: deviceTopic(fixture.fleet.warehouseId, device.deviceId, 'reading'),
      payload: envelopeOf(device, seq, NOW_MS - 60_000 + seq * 1_000),
      source: 'mqtt',
    });
    if (outcome.outcome !== 'accepted')
      throw new Error(`seed reading refused: ${JSON.stringify(outcome)}`);
  }
}

/** An attestation row of LOT-1 over the given readings (evidence in reading-id order). */
export function seedAttestation(
  fixture: Fixture,
  readingIds: readonly number[],
  fields: {
    sequence: number;
    quantityGrams: string;
    flags: number;
    status: string;
    txHash?: string;
  },
): number {
  const db = fixture.store.database;
  const leaves = readingIds.map(
    (id) => db.prepare('SELECT leaf_hash FROM readings WHERE id = ?').pluck().get(id) as Uint8Array,
  );
  const root = `0x${bytesToHex(merkleRoot(leaves))}`;
  const id = Number(
    db
      .prepare(
        `INSERT INTO attestations (warehouse_id, bay_id, lot_id, lot_key, sequence, quantity_grams, flags, readings_root,
           observed_at_s, valid_until_s, proposer, signatures, status, tx_hash, block_number, created_at_ms, updated_at_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'self', ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        'wh-1',
        BAY_ID,
        LOT_ID,
        lotKeyOf(WAREHOUSE_NUMBER, BAY_ID, LOT_ID),
        fields.sequence,
        fields.quantityGrams,
        fields.flags,
        root,
        Math.floor(fields.sequence / 1_000),
        Math.floor(fields.sequence / 1_000) + 600,
        JSON.stringify([{ signer: '0x00000000000000000000000000000000000000a1', signature: '0x' }]),
        fields.status,
        fields.txHash ?? null,
        fields.txHash ? 12 : null,
        NOW_MS,
        NOW_MS,
      ).lastInsertRowid,
  );
  const insert = db.prepare(
    'INSERT INTO attestation_evidence (attestation_id, position, reading_id) VALUES (?, ?, ?)',
  );
  readingIds.forEach((readingId, position) => insert.run(id, position, readingId));
  return id;
}

/** Chain events as the listener stores them: a receipt on LOT-1 and a loan that got margin-called. */
export function seedChainEvents(fixture: Fixture): void {
  const insert = fixture.store.database.prepare(
    `INSERT INTO chain_events (block_number, block_hash, log_index, tx_hash, contract, name, args, block_time_s)
     VALUES (?, ?, 0, ?, ?, ?, ?, ?)`,
  );
  const atS = NOW_MS / 1_000 - 30;
  const events: Array<[string, string, Record<string, unknown>]> = [
    [
      'WarehouseReceipt',
      'ReceiptIssued',
      {
        receiptId: '1',
        lotKey: lotKeyOf(WAREHOUSE_NUMBER, BAY_ID, LOT_ID),
        owner: '0x00000000000000000000000000000000000000b2',
        warehouseId: WAREHOUSE_NUMBER.toString(),
        bayId: labelBytes32(BAY_ID),
        lotId: labelBytes32(LOT_ID),
        commodity: labelBytes32('COPPER_CATHODE'),
        quantityGrams: '1000000000',
      },
    ],
    [
      'InventoryLoan',
      'LoanOpened',
      {
        loanId: '1',
        lender: '0x00000000000000000000000000000000000000b1',
        borrower: '0x00000000000000000000000000000000000000b2',
        receiptId: '1',
        principal: '500000000000',
        maxLtvBps: '6000',
        marginCallLtvBps: '7500',
        defaultLtvBps: '9000',
        curePeriodSeconds: '86400',
      },
    ],
    [
      'InventoryLoan',
      'LoanDrawn',
      { loanId: '1', amount: '400000000000', debt: '400000000000', ltvBps: '5000' },
    ],
    [
      'InventoryLoan',
      'MarginCalled',
      { loanId: '1', ltvBps: '7600', deadline: String(atS + 86_400) },
    ],
  ];
  events.forEach(([contract, name, args], i) =>
    insert.run(
      100 + i,
      `0x${String(i).padStart(64, '0')}`,
      `0x${String(i).padStart(64, 'a')}`,
      contract,
      name,
      JSON.stringify(args),
      atS + i,
    ),
  );
}

export async function startServer(
  fixture: Fixture,
  config: Partial<ApiConfig> = {},
): Promise<{ url: string; app: Awaited<ReturnType<typeof startHttp>> }> {
  const app = await startHttp({
    host: '127.0.0.1',
    port: 0,
    metrics: new Registry(),
    health: () => ({ ok: true }),
    api: {
      data: fixture.data,
      tokens: fixture.tokens,
      events: fixture.bus,
      config: {
        ...apiConfigSchema.parse({ dashboardDir: join(fixture.dir, 'no-dashboard') }),
        ...config,
      },
      nowMs: () => fixture.clockMs,
    },
  });
  const { port } = app.server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, app };
}

export { leafHashFast };
