// The gateway's real HTTP API (gateway/src/adapters/http) over a real SQLite evidence log, seeded
// through the real ingest pipeline (signed readings) and the migration-2 tables (attestations,
// evidence, chain events), with /api/v1/info naming a real anvil: what the browser tests use to
// check the dashboard against the actual server rather than the fixture gateway.

import { Registry } from 'prom-client';
import type { AcceptedItem } from '../../gateway/src/ports/evidence-store.js';
import {
  ingestReadings,
  LOT_ID,
  BAY_ID,
  makeFixture,
  seedAttestation,
  type Fixture,
} from '../../gateway/src/adapters/http/test-fixture.js';
import { apiConfigSchema } from '../../gateway/src/adapters/http/api-config.js';
import { startHttp } from '../../gateway/src/adapters/http/server.js';
import { SqliteApiData } from '../../gateway/src/adapters/http/sqlite-data.js';
import { merkleRoot } from '../../gateway/src/core/merkle.js';
import { COPPER, lotRef, TONNE, USD, type ChainWorld, type LotRef } from './chain-world.js';
import { bytesToHex } from '../src/verify/hex.js';

export interface RealGateway {
  url: string;
  fixture: Fixture;
  tokens: { viewer: string; auditor: string; operator: string };
  lot: LotRef;
  loanId: bigint;
  attestationId: number;
  readingIds: number[];
  /** Stores a chain event row the way the gateway's chain listener does, and publishes it on SSE. */
  chainEvent(contract: string, name: string, args: Record<string, unknown>): Promise<void>;
  close(): Promise<void>;
}

/** LOT-1 in bay B-00 of warehouse 7: readings ingested, their root attested on `world`, a loan open. */
export async function startRealGateway(
  world: ChainWorld,
  dashboardDir: string,
): Promise<RealGateway> {
  const fixture = await makeFixture();
  const lot = lotRef(BAY_ID, LOT_ID);
  const quantityGrams = 1000n * TONNE;
  await ingestReadings(fixture, 0, [0, 1, 2, 3, 4, 5]);
  const db = fixture.store.database;
  const readingIds = db.prepare('SELECT id FROM readings ORDER BY id').pluck().all() as number[];
  const leaves = readingIds.map(
    (id) => db.prepare('SELECT leaf_hash FROM readings WHERE id = ?').pluck().get(id) as Uint8Array,
  );
  const sequence = 1_795_000_000_000n;
  const attested = await world.attest(lot, quantityGrams, bytesToHex(merkleRoot(leaves)), 0, {
    sequence,
  });
  const attestationId = seedAttestation(fixture, readingIds, {
    sequence: Number(sequence),
    quantityGrams: quantityGrams.toString(),
    flags: 0,
    status: 'confirmed',
    txHash: attested.txHash,
  });
  const loanId = await world.openLoan(lot, quantityGrams, 6_300_000n * USD);

  const info = { ...world.info('wh-1', 'gw-1'), chainId: Number(world.chainId) };
  const data = new SqliteApiData({
    store: fixture.store,
    info,
    warehouseNumber: 7n,
    clock: { nowMs: () => fixture.clockMs },
    ingest: fixture.ingest,
  });
  const app = await startHttp({
    host: '127.0.0.1',
    port: 0,
    metrics: new Registry(),
    health: () => ({ ok: true }),
    api: {
      data,
      tokens: fixture.tokens,
      events: fixture.bus,
      config: apiConfigSchema.parse({ dashboardDir }),
      nowMs: () => fixture.clockMs,
    },
  });
  const { port } = app.server.address() as { port: number };

  let block = 1000;
  const insert = db.prepare(
    `INSERT INTO chain_events (block_number, block_hash, log_index, tx_hash, contract, name, args, block_time_s)
     VALUES (?, ?, 0, ?, ?, ?, ?, ?)`,
  );
  const gateway: RealGateway = {
    url: `http://127.0.0.1:${port}`,
    fixture,
    tokens: {
      viewer: fixture.token['bank-viewer'],
      auditor: fixture.token.auditor,
      operator: fixture.token['operator-admin'],
    },
    lot,
    loanId,
    attestationId,
    readingIds,
    async chainEvent(contract, name, args) {
      block += 1;
      const atS = Number(await world.nowS());
      const txHash = `0x${block.toString(16).padStart(64, '0')}`;
      insert.run(block, txHash, txHash, contract, name, JSON.stringify(args), atS);
      fixture.bus.publish('chain', {
        name,
        loanId: (args.loanId as string | undefined) ?? null,
        txHash,
        blockNumber: block,
        args,
      });
    },
    async close() {
      await app.close();
      await fixture.close();
    },
  };
  await recordLoanEvents(gateway, world, lot, loanId, quantityGrams);
  return gateway;
}

/** The chain events of a loan opened by `ChainWorld.openLoan`, as the gateway's listener stores them. */
export async function recordLoanEvents(
  gateway: RealGateway,
  world: ChainWorld,
  lot: LotRef,
  loanId: bigint,
  quantityGrams: bigint,
): Promise<void> {
  const receiptId = loanId.toString(); // one receipt per loan in these worlds
  await gateway.chainEvent('WarehouseReceipt', 'ReceiptIssued', {
    receiptId,
    lotKey: lot.key,
    owner: world.accounts.borrower.address,
    warehouseId: '7',
    bayId: lot.bayIdBytes32,
    lotId: lot.lotIdBytes32,
    commodity: COPPER,
    quantityGrams: quantityGrams.toString(),
  });
  await gateway.chainEvent('InventoryLoan', 'LoanOpened', {
    loanId: loanId.toString(),
    lender: world.accounts.lender.address,
    borrower: world.accounts.borrower.address,
    receiptId,
    principal: (12_600_000n * USD).toString(),
    maxLtvBps: '7000',
    marginCallLtvBps: '7500',
    defaultLtvBps: '8500',
    curePeriodSeconds: String(48 * 3600),
  });
  await gateway.chainEvent('InventoryLoan', 'LoanDrawn', {
    loanId: loanId.toString(),
    amount: (6_300_000n * USD).toString(),
    debt: (6_300_000n * USD).toString(),
    ltvBps: '7000',
  });
}

/**
 * Commits `count` load-cell readings of the lot's device through the evidence store's write path,
 * one every `stepMs` up to the fixture clock. Envelopes are placeholders: the series reads only
 * the indexed columns (as the gateway's own series test does). For volume, not for verification.
 */
export function commitWeightReadings(gateway: RealGateway, count: number, stepMs: number): void {
  const device = gateway.fixture.fleet.devices[0]!;
  const startMs = gateway.fixture.clockMs - count * stepMs;
  const batch = 20_000;
  for (let start = 0; start < count; start += batch) {
    const items: AcceptedItem[] = [];
    for (let i = start; i < Math.min(count, start + batch); i++) {
      items.push({
        outcome: 'accepted',
        deviceId: device.deviceId,
        boot: 2,
        seq: i,
        deviceTimeMs: startMs + i * stepMs,
        kind: 'weight',
        value: 1_000_000_000n - BigInt(Math.floor(i / 1000)) + BigInt((i * 7919) % 5000),
        bayId: device.bayId,
        envelope: Uint8Array.of(i & 0xff, (i >> 8) & 0xff, (i >> 16) & 0xff),
        receivedAtMs: startMs + i * stepMs,
        source: 'mqtt',
        gap: false,
      });
    }
    gateway.fixture.store.commit(items);
  }
}
