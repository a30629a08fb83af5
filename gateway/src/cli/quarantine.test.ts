import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deviceTopic } from '@pledgeguard/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EvidenceStore } from '../adapters/sqlite/evidence-store.js';
import { IngestPipeline } from '../app/ingest.js';
import { VerifierPool } from '../app/verifier-pool.js';
import { DEFAULT_PLAUSIBILITY_POLICY } from '../core/plausibility.js';
import { systemClock } from '../ports/clock.js';
import { envelopeOf, makeFleet } from '../testing/fleet.js';
import { runPledgeguard, writeSite, type Site } from './testing.js';

// Device 0 is registered; device 1 is not (yet): its reading lands in quarantine as
// PG_DEVICE_UNKNOWN, which importing the full manifest cures. A replayed (lower) seq of device 0
// is PG_REPLAYED, which nothing cures.
const fleet = makeFleet(2);
const [known, late] = fleet.devices as [(typeof fleet.devices)[0], (typeof fleet.devices)[0]];
let site: Site;
const cli = (...args: string[]) => runPledgeguard([...args, '--config', site.configFile]);
const openStore = () => new EvidenceStore(join(site.dir, 'data', 'evidence.db'));

beforeAll(async () => {
  site = writeSite(fleet.manifest);
  const partial = join(site.dir, 'partial.json');
  writeFileSync(
    partial,
    JSON.stringify({ ...fleet.manifest, devices: [fleet.manifest.devices[0]] }),
  );
  expect((await cli('devices', 'import', partial)).code).toBe(0);
  const store = openStore();
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
  const submit = (device: typeof known, seq: number) =>
    ingest.submit({
      topic: deviceTopic(fleet.warehouseId, device.deviceId, 'reading'),
      payload: envelopeOf(device, seq, Date.now() - 10_000 + seq),
      source: 'mqtt',
    });
  expect((await submit(late, 0)).outcome).toBe('quarantined');
  expect((await submit(known, 5)).outcome).toBe('accepted');
  expect(await submit(known, 4)).toMatchObject({ outcome: 'quarantined', code: 'PG_REPLAYED' });
  await pool.close();
  store.close();
}, 60_000);
afterAll(() => rmSync(site.dir, { recursive: true, force: true }));

describe('pledgeguard quarantine', () => {
  it('lists quarantined readings, filtered by code and device', async () => {
    const all = await cli('quarantine', 'list');
    expect(all.code).toBe(0);
    expect(all.stdout).toContain('PG_DEVICE_UNKNOWN');
    expect(all.stdout).toContain('PG_REPLAYED');
    const json = await cli('quarantine', 'list', '--code', 'PG_DEVICE_UNKNOWN', '--json');
    const rows = json.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(rows).toEqual([
      expect.objectContaining({
        code: 'PG_DEVICE_UNKNOWN',
        deviceId: late.deviceId,
        seq: 0,
        resolution: null,
      }),
    ]);
    expect((await cli('quarantine', 'list', '--limit', 'many')).code).toBe(2);
  });

  it('replays a reading once its device is imported: accepted, and the row resolved', async () => {
    const store = openStore();
    const unknown = store.quarantine({ code: 'PG_DEVICE_UNKNOWN' })[0]!;
    const replayed = store.quarantine({ code: 'PG_REPLAYED' })[0]!;
    store.close();

    const notYet = await cli('quarantine', 'replay', String(unknown.id));
    expect(notYet.code).toBe(1);
    expect(notYet.stderr).toContain('failed again: PG_DEVICE_UNKNOWN');

    expect((await cli('devices', 'import', site.manifestFile)).code).toBe(0);
    const reopened = openStore();
    const again = reopened.quarantine({ code: 'PG_DEVICE_UNKNOWN', unresolved: true });
    reopened.close();
    expect(again).toHaveLength(1); // the failed replay quarantined it anew
    const cured = await cli('quarantine', 'replay', String(again[0]!.id));
    expect(cured.code).toBe(0);
    expect(cured.stdout).toContain(`row ${again[0]!.id}: accepted`);

    const after = openStore();
    expect(after.identities(late.deviceId)).toEqual([{ boot: 1, seq: 0 }]);
    expect(after.quarantine({ code: 'PG_DEVICE_UNKNOWN', unresolved: true })).toHaveLength(0);
    after.close();

    const final = await cli('quarantine', 'replay', String(replayed.id));
    expect(final.code).toBe(1);
    expect(final.stderr).toContain('PG_REPLAYED, which a registry fix cannot cure');
    expect((await cli('quarantine', 'replay')).code).toBe(2);
  });
});
