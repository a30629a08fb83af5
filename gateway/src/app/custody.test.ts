// The custody service on real parts: signed readings through the ingest pipeline into a SQLite
// evidence log, the service fed by the pipeline's commit hook, drafts checked against the log.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesToHex } from '@noble/hashes/utils.js';
import { label, lotKey } from '@pledgeguard/contracts/eip712';
import {
  deviceTopic,
  generateKeyPair,
  nobleSigner,
  signReading,
  type DeviceManifest,
  type ReadingKind,
  type Signer,
} from '@pledgeguard/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EvidenceStore } from '../adapters/sqlite/evidence-store.js';
import { merkleRoot } from '../core/merkle.js';
import { DEFAULT_PLAUSIBILITY_POLICY } from '../core/plausibility.js';
import { DEFAULT_SKEW_POLICY } from '../core/skew.js';
import { CustodyService, type AttestationDraft, type CustodyAlert } from './custody.js';
import { custodyConfigSchema } from './custody-config.js';
import { IngestPipeline } from './ingest.js';
import { VerifierPool } from './verifier-pool.js';

const WAREHOUSE = 'wh-qingdao-1';
const WAREHOUSE_NUMBER = 1n;
const T0 = 1_795_000_000_000;
const MINUTE = 60_000;
const TONNE = 1_000_000n;

interface Device {
  readonly deviceId: string;
  readonly kinds: ReadingKind[];
  readonly signer: Signer;
  readonly publicKey: Uint8Array;
  seq: number;
}

const makeDevice = (deviceId: string, kinds: ReadingKind[]): Device => {
  const { secretKey, publicKey } = generateKeyPair('EdDSA');
  return { deviceId, kinds, signer: nobleSigner('EdDSA', deviceId, secretKey), publicKey, seq: 0 };
};

let dir: string;
let store: EvidenceStore;
let pool: VerifierPool;
let ingest: IngestPipeline;
let service: CustodyService;
let nowMs: number;
let alerts: CustodyAlert[];
let devices: Record<'lc' | 'rfid' | 'tamper', Device>;
let pallets: bigint;
let step: number;
const clock = { nowMs: () => nowMs };

function manifest(): DeviceManifest {
  return {
    version: 1,
    warehouseId: WAREHOUSE,
    lots: [
      { lotId: 'LOT-7', bayId: 'B-07', commodity: 'copper cathode', unitWeightGrams: '1000000' },
    ],
    devices: Object.values(devices).map((d) => ({
      deviceId: d.deviceId,
      alg: 'EdDSA' as const,
      publicKey: bytesToHex(d.publicKey),
      kinds: d.kinds,
      bayId: 'B-07',
      lotId: 'LOT-7',
      heartbeatMs: MINUTE,
      mqttPasswordHash: `scrypt$1024$8$1$${'00'.repeat(16)}$${'00'.repeat(32)}`,
    })),
  };
}

function startService(): CustodyService {
  service = new CustodyService({
    store,
    warehouseNumber: WAREHOUSE_NUMBER,
    config: custodyConfigSchema.parse({ attest: { validForS: 120 } }),
    clock,
    onAlert: (alert) => alerts.push(alert),
  });
  return service;
}

function startIngest(): void {
  ingest = new IngestPipeline({
    warehouseId: WAREHOUSE,
    store,
    pool,
    clock,
    skew: DEFAULT_SKEW_POLICY,
    plausibility: DEFAULT_PLAUSIBILITY_POLICY,
    commitDelayMs: 0,
    onCommitted: (items) => service.onCommitted(items),
  });
}

async function send(device: Device, kind: ReadingKind, value: bigint, seq = device.seq++) {
  const payload = signReading(
    {
      deviceId: device.deviceId,
      boot: 1,
      seq,
      deviceTimeMs: nowMs,
      kind,
      value,
      bayId: 'B-07',
      firmware: '1.0.0',
    },
    device.signer,
  );
  return ingest.submit({
    topic: deviceTopic(WAREHOUSE, device.deviceId, 'reading'),
    payload,
    source: 'mqtt',
  });
}

/** One minute of the bay: a noisy weight, the RFID count, the tamper switch closed. */
async function minute(): Promise<void> {
  nowMs += MINUTE;
  step++;
  const noise = BigInt(((step * 7_919) % 40_001) - 20_000);
  await send(devices.lc, 'weight', pallets * TONNE + noise);
  await send(devices.rfid, 'count', pallets);
  await send(devices.tamper, 'tamper', 0n);
}

/** The median of noisy weights is within the noise (20 kg) of the truth. */
const near = (grams: bigint, expected: bigint) =>
  grams >= expected - 20_000n && grams <= expected + 20_000n;

/** What the outbox would record for a queued draft (migration 2's attestations table). */
function recordAttestation(draft: AttestationDraft): void {
  const a = draft.attestation;
  const row = store.database
    .prepare(
      `INSERT INTO attestations (warehouse_id, bay_id, lot_id, lot_key, sequence, quantity_grams, flags,
        readings_root, observed_at_s, valid_until_s, release_order_id, proposer, status, created_at_ms, updated_at_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'self', 'pending', ?, ?)`,
    )
    .run(
      WAREHOUSE,
      draft.bayId,
      draft.lotId,
      draft.lotKey,
      a.sequence,
      a.quantityGrams.toString(),
      a.flags,
      a.readingsRoot,
      a.observedAt,
      a.validUntil,
      a.releaseOrderId.toString(),
      nowMs,
      nowMs,
    );
  const insert = store.database.prepare(
    'INSERT INTO attestation_evidence (attestation_id, position, reading_id) VALUES (?, ?, ?)',
  );
  draft.readingIds.forEach((id, position) => insert.run(row.lastInsertRowid, position, id));
}

function attest(): AttestationDraft {
  const drafts = service.due();
  expect(drafts).toHaveLength(1);
  recordAttestation(drafts[0]!);
  service.markAttested(drafts[0]!);
  return drafts[0]!;
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pg-custody-'));
  store = new EvidenceStore(join(dir, 'evidence.db'));
  pool = new VerifierPool({ threads: 0 });
  devices = {
    lc: makeDevice('lc-b07-1', ['weight']),
    rfid: makeDevice('rfid-b07-1', ['rfid-event', 'count']),
    tamper: makeDevice('tamper-b07-1', ['tamper']),
  };
  nowMs = T0;
  alerts = [];
  pallets = 1000n;
  step = 0;
  store.importManifest(manifest(), T0);
  startService();
  startIngest();
  for (let i = 0; i < 5; i++) await minute();
});

afterEach(async () => {
  service.stop();
  store.close();
  await pool.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('CustodyService', () => {
  it('drafts the first attestation with the lot quantity, its lot key, and a root rebuilt from the evidence log', () => {
    const [draft, ...rest] = service.due();
    expect(rest).toEqual([]);
    const a = draft!.attestation;
    expect(near(a.quantityGrams, 1000n * TONNE)).toBe(true);
    expect(a.flags).toBe(0);
    expect(a.sequence).toBe(BigInt(nowMs));
    expect(a.validUntil - a.observedAt).toBe(120n);
    expect(a.releaseOrderId).toBe(0n);
    expect(draft!.lotKey).toBe(lotKey(WAREHOUSE_NUMBER, label('B-07'), label('LOT-7')));
    // The root is the RFC 6962 tree of the listed readings' leaf hashes, as the log stores them.
    const leafOf = store.database.prepare('SELECT leaf_hash FROM readings WHERE id = ?').pluck();
    const leaves = draft!.readingIds.map((id) => new Uint8Array(leafOf.get(id) as Buffer));
    expect(`0x${Buffer.from(merkleRoot(leaves)).toString('hex')}`).toBe(a.readingsRoot);
    // Five weights (the median window), the count and the tamper reading.
    expect(draft!.readingIds).toHaveLength(7);
  });

  it('hands out one draft per lot until it is marked attested, then waits for the heartbeat', async () => {
    const draft = service.due()[0]!;
    expect(service.due()).toEqual([]);
    service.markAttested(draft);
    nowMs += MINUTE - 1;
    expect(service.due()).toEqual([]);
    nowMs += 1;
    const next = service.due();
    expect(next.map((d) => d.reason)).toEqual(['heartbeat']);
    expect(next[0]!.attestation.sequence > draft.attestation.sequence).toBe(true);
    service.discard(next[0]!);
    expect(service.due()).toHaveLength(1);
  });

  it('a tamper reading is attested at once, with a flag-raised alert naming the device', async () => {
    attest();
    await send(devices.tamper, 'tamper', 1n);
    service.tick();
    expect(alerts).toEqual([
      expect.objectContaining({ kind: 'flag-raised', deviceId: 'tamper-b07-1', lotId: 'LOT-7' }),
    ]);
    const [draft] = service.due();
    expect(draft!.reason).toBe('flags');
    expect(draft!.flagNames).toEqual(['tamper']);
  });

  it('a replayed identity raises replay-attempt, and the skipped readings an evidence gap', async () => {
    attest();
    nowMs += 1_000;
    devices.lc.seq += 3; // readings 5..7 never arrive
    expect(await send(devices.lc, 'weight', pallets * TONNE + 1_234n)).toMatchObject({
      outcome: 'accepted',
      gap: true,
    });
    expect(await send(devices.lc, 'weight', pallets * TONNE, 6)).toMatchObject({
      outcome: 'quarantined',
      code: 'PG_REPLAYED',
    });
    expect(service.status('LOT-7')!.flags).toBe(0b0100_0100); // replayAttempt | evidenceGap
  });

  it('a device that misses its heartbeat deadline is flagged offline by the tick', async () => {
    attest();
    for (let i = 0; i < 4; i++) {
      nowMs += MINUTE;
      await send(devices.lc, 'weight', pallets * TONNE + BigInt(i * 1_000));
      await send(devices.tamper, 'tamper', 0n);
    }
    service.tick();
    expect(service.status('LOT-7')!.offlineDevices).toEqual(['rfid-b07-1']);
    expect(alerts.map((a) => a.detail)).toEqual([
      expect.stringMatching(/^offline: last accepted reading/),
    ]);
  });

  it('after a restart the lot resumes from the log: same quantity, no flag, a later sequence', async () => {
    const first = attest();
    nowMs += MINUTE / 2;
    await send(devices.lc, 'weight', pallets * TONNE + 5_000n);
    startService(); // a new service over the same evidence log
    const view = service.status('LOT-7')!;
    expect(near(view.quantityGrams, 1000n * TONNE)).toBe(true);
    expect(view.flags).toBe(0);
    expect(view.lastAttested?.sequence).toBe(first.attestation.sequence);
    expect(service.due()).toEqual([]); // heartbeat not due yet
    nowMs += MINUTE / 2;
    const [next] = service.due();
    expect(next!.attestation.sequence > first.attestation.sequence).toBe(true);
  });

  it('a gateway restart after downtime does not flag the devices offline for the time it was down', async () => {
    attest();
    nowMs += 10 * MINUTE;
    startService();
    expect(service.status('LOT-7')!.flags).toBe(0);
    await minute();
    service.tick();
    expect(service.status('LOT-7')!.flags).toBe(0);
    expect(alerts).toEqual([]);
  });

  it('a draft nobody acknowledges expires after validForS, and a late acknowledgement is refused', async () => {
    const lost = service.due()[0]!;
    nowMs += 60_000;
    expect(service.due()).toEqual([]);
    nowMs += 60_001; // validForS = 120 s
    const fresh = service.due()[0]!;
    expect(fresh.attestation.sequence > lost.attestation.sequence).toBe(true);
    expect(service.markAttested(fresh)).toBe(true);
    expect(service.markAttested(lost)).toBe(false);
    expect(service.status('LOT-7')!.lastAttested?.sequence).toBe(fresh.attestation.sequence);
  });

  it('a tamper reading after the last attestation is still flagged after a restart, one before it is not', async () => {
    await send(devices.tamper, 'tamper', 1n);
    nowMs += 1;
    await send(devices.tamper, 'tamper', 0n);
    expect(attest().flagNames).toEqual(['tamper']);
    nowMs += 1_000;
    startService();
    expect(service.status('LOT-7')!.flags).toBe(0);
    await send(devices.tamper, 'tamper', 1n);
    startService();
    expect(service.status('LOT-7')!.reasons).toEqual([
      expect.objectContaining({ flag: 'tamper', deviceId: 'tamper-b07-1' }),
    ]);
  });

  it('a drop matching a release order routed by order id is explained and confirmed', async () => {
    attest();
    const key = lotKey(WAREHOUSE_NUMBER, label('B-07'), label('LOT-7'));
    expect(
      service.onReleaseOrder({
        lotKey: key,
        orderId: 9n,
        status: 'ordered',
        grams: 200n * TONNE,
        quantityBeforeGrams: 1000n * TONNE,
      }),
    ).toBe(true);
    expect(service.onReleaseOrder({ orderId: 9n, status: 'shipped' })).toBe(true);
    expect(service.onReleaseOrder({ orderId: 99n, status: 'shipped' })).toBe(false);
    pallets -= 200n;
    // Confirmed once the drop has settled: the median moved and five observations showed 800 t.
    for (let i = 0; i < 5; i++) await minute();
    const [draft] = service.due();
    expect(draft!.attestation).toMatchObject({ flags: 0, releaseOrderId: 9n });
    expect(near(draft!.attestation.quantityGrams, 800n * TONNE)).toBe(true);
  });

  it('receipts above the sensed quantity raise over-receipted at once, once', () => {
    const key = lotKey(WAREHOUSE_NUMBER, label('B-07'), label('LOT-7'));
    service.setReceipts(key, [{ receiptId: 'R-A-7', quantityGrams: 1000n * TONNE }]);
    expect(alerts).toEqual([]);
    service.setReceipts(key, [
      { receiptId: 'R-A-7', quantityGrams: 1000n * TONNE },
      { receiptId: 'R-B-7', quantityGrams: 1000n * TONNE },
    ]);
    service.tick();
    expect(alerts.map((a) => a.kind)).toEqual(['over-receipted']);
  });
});
