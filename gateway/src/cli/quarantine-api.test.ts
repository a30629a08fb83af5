// `pledgeguard quarantine replay <id> --api`: a running gateway replays the row itself (the real
// API over a real evidence log and ingest pipeline), so its registry and marks stay in step.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { bytesToHex } from '@noble/hashes/utils.js';
import { deviceTopic } from '@pledgeguard/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_API_CONFIG } from '../adapters/http/api-config.js';
import { createApiOptions, startApi } from '../adapters/http/start-api.js';
import { EvidenceStore } from '../adapters/sqlite/evidence-store.js';
import { IngestPipeline } from '../app/ingest.js';
import { VerifierPool } from '../app/verifier-pool.js';
import { DEFAULT_PLAUSIBILITY_POLICY } from '../core/plausibility.js';
import { systemClock } from '../ports/clock.js';
import { envelopeOf, makeFleet } from '../testing/fleet.js';
import { runPledgeguard, writeSite, type Site } from './testing.js';

// Device 1 publishes before it is registered: PG_DEVICE_UNKNOWN, cured by registering it.
const fleet = makeFleet(2);
const late = fleet.devices[1]!;
let site: Site;
let store: EvidenceStore;
let pool: VerifierPool;
let api: Awaited<ReturnType<typeof startApi>>;
let adminToken: string;
let viewerToken: string;
let rowId: number;

beforeAll(async () => {
  site = writeSite(fleet.manifest);
  store = new EvidenceStore(join(site.dir, 'evidence.db'));
  store.importManifest({ ...fleet.manifest, devices: [fleet.manifest.devices[0]!] }, Date.now());
  pool = new VerifierPool({ threads: 0 });
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
  const outcome = await ingest.submit({
    topic: deviceTopic(fleet.warehouseId, late.deviceId, 'reading'),
    payload: envelopeOf(late, 0, Date.now() - 5_000),
    source: 'mqtt',
  });
  expect(outcome).toMatchObject({ outcome: 'quarantined', code: 'PG_DEVICE_UNKNOWN' });
  rowId = store.quarantine({ code: 'PG_DEVICE_UNKNOWN' })[0]!.id;
  const options = createApiOptions({
    store,
    config: DEFAULT_API_CONFIG,
    baseDir: site.dir,
    info: {
      warehouseId: fleet.warehouseId,
      gatewayId: 'gw-1',
      chainId: 0,
      rpcUrl: '',
      contracts: { custodyOracle: '', inventoryLoan: '', warehouseReceipt: '', priceFeeds: {} },
    },
    warehouseNumber: 0n,
    clock: systemClock,
    ingest,
  });
  adminToken = options.tokens.create('ops', 'operator-admin', Date.now()).token;
  viewerToken = options.tokens.create('bank', 'bank-viewer', Date.now()).token;
  api = await startApi({ ...options, host: '127.0.0.1', port: 0 });
}, 60_000);
afterAll(async () => {
  await api?.app.close();
  await pool?.close();
  store?.close();
  rmSync(site.dir, { recursive: true, force: true });
});

const replay = (token: string) =>
  runPledgeguard(['quarantine', 'replay', String(rowId), '--api', `http://127.0.0.1:${api.port}`], {
    env: { PG_API_TOKEN: token },
  });

describe('pledgeguard quarantine replay --api', () => {
  it('replays through the running gateway once the device is registered; a viewer token is refused', async () => {
    const refused = await replay(viewerToken);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('403 PG_API_FORBIDDEN');

    // Register the device (what `pledgeguard devices import` does) in the live gateway's log.
    store.importManifest(fleet.manifest, Date.now());

    const cured = await replay(adminToken);
    expect(cured.code, cured.stderr).toBe(0);
    expect(cured.stdout).toContain(`row ${rowId}: accepted`);
    expect(store.identities(late.deviceId)).toEqual([{ boot: 1, seq: 0 }]);
    expect(bytesToHex(store.findEnvelope(late.deviceId, 1, 0)!)).toBe(
      bytesToHex(store.quarantine({ code: 'PG_DEVICE_UNKNOWN' })[0]!.envelope),
    );

    const again = await replay(adminToken);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('409 PG_API_CONFLICT');
  });
});
