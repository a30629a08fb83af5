// Identical bytes under a stored identity through the real pipeline and SQLite: a redelivery while
// recent (counted once), a replay when far older than the device's latest reading (DOMAIN.md 3).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deviceTopic } from '@pledgeguard/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EvidenceStore } from '../adapters/sqlite/evidence-store.js';
import { DEFAULT_PLAUSIBILITY_POLICY } from '../core/plausibility.js';
import { DEFAULT_SKEW_POLICY } from '../core/skew.js';
import type { CommitItem } from '../ports/evidence-store.js';
import { envelopeOf, makeFleet, type Fleet } from '../testing/fleet.js';
import { IngestPipeline } from './ingest.js';
import { VerifierPool } from './verifier-pool.js';

const NOW = 1_795_000_000_000;
const HOUR_MS = 3_600_000;
let dir: string;
let store: EvidenceStore;
let pool: VerifierPool;
let fleet: Fleet;
let clockMs: number;
let committed: CommitItem[];

function pipeline(redeliveryWindowMs?: number) {
  return new IngestPipeline({
    warehouseId: fleet.warehouseId,
    store,
    pool,
    clock: { nowMs: () => clockMs },
    skew: DEFAULT_SKEW_POLICY,
    plausibility: DEFAULT_PLAUSIBILITY_POLICY,
    ...(redeliveryWindowMs !== undefined ? { redeliveryWindowMs } : {}),
    onCommitted: (items) => committed.push(...items),
  });
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pg-ingest-redelivery-'));
  store = new EvidenceStore(join(dir, 'evidence.db'));
  pool = new VerifierPool({ threads: 0 });
  fleet = makeFleet(1);
  store.importManifest(fleet.manifest, NOW);
  clockMs = NOW;
  committed = [];
});

afterEach(async () => {
  store.close();
  await pool.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Accepts seq 0..2 at NOW, then seq 3..5 `laterMs` on; returns the envelope of seq 1. */
async function history(ingest: IngestPipeline, laterMs: number): Promise<Uint8Array> {
  const device = fleet.devices[0]!;
  const topic = deviceTopic(fleet.warehouseId, device.deviceId, 'reading');
  const early = [0, 1, 2].map((seq) => envelopeOf(device, seq, NOW + seq * 1_000));
  for (const payload of early)
    expect((await ingest.submit({ topic, payload, source: 'mqtt' })).outcome).toBe('accepted');
  clockMs = NOW + laterMs;
  for (const seq of [3, 4, 5]) {
    const payload = envelopeOf(device, seq, clockMs + seq * 1_000);
    expect((await ingest.submit({ topic, payload, source: 'mqtt' })).outcome).toBe('accepted');
  }
  return early[1]!;
}

const submit = (ingest: IngestPipeline, payload: Uint8Array) =>
  ingest.submit({
    topic: deviceTopic(fleet.warehouseId, fleet.devices[0]!.deviceId, 'reading'),
    payload,
    source: 'mqtt',
  });

describe('IngestPipeline: identical bytes under a stored identity', () => {
  it('a copy 2 h behind the latest reading is a redelivery: counted once, nothing quarantined', async () => {
    const ingest = pipeline();
    const old = await history(ingest, 2 * HOUR_MS);
    expect(await submit(ingest, old)).toEqual({
      outcome: 'duplicate',
      deviceId: fleet.devices[0]!.deviceId,
    });
    expect(ingest.stats.duplicates).toBe(1);
    expect(store.quarantine()).toEqual([]);
  });

  it('a copy 22 h behind is a replay: PG_REPLAYED, quarantined with its bytes, the mark unmoved', async () => {
    const ingest = pipeline();
    const old = await history(ingest, 22 * HOUR_MS);
    const markBefore = store.marks().get(fleet.devices[0]!.deviceId);
    const outcome = await submit(ingest, old);
    expect(outcome).toMatchObject({ outcome: 'quarantined', code: 'PG_REPLAYED' });
    expect(ingest.stats.duplicates).toBe(0);
    expect(store.marks().get(fleet.devices[0]!.deviceId)).toEqual(markBefore);
    const [row] = store.quarantine({ code: 'PG_REPLAYED' });
    expect(row).toMatchObject({ deviceId: fleet.devices[0]!.deviceId, boot: 1, seq: 1 });
    // The custody service hears of it (replay-attempt), as a refusal that moves no mark.
    const item = committed.at(-1)!;
    expect(item).toMatchObject({ outcome: 'quarantined', code: 'PG_REPLAYED' });
    expect('authenticMark' in item).toBe(false);
    // Still a replay after a restart: the mark's device time is durable.
    expect(await submit(pipeline(), old)).toMatchObject({ code: 'PG_REPLAYED' });
    expect(store.readingCount()).toBe(6);
  });

  it('the window is configurable: 24 h makes the 22 h copy a redelivery', async () => {
    const ingest = pipeline(24 * HOUR_MS);
    const old = await history(ingest, 22 * HOUR_MS);
    expect((await submit(ingest, old)).outcome).toBe('duplicate');
  });
});
