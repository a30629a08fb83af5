import { createHash } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bytesToHex } from '@noble/hashes/utils.js';
import { deviceTopic, generateKeyPair } from '@pledgeguard/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EvidenceStore } from '../adapters/sqlite/evidence-store.js';
import { deviceKeyHistory } from '../adapters/sqlite/registry-admin.js';
import { IngestPipeline } from '../app/ingest.js';
import { VerifierPool } from '../app/verifier-pool.js';
import { DEFAULT_PLAUSIBILITY_POLICY } from '../core/plausibility.js';
import { systemClock } from '../ports/clock.js';
import { envelopeOf, makeFleet } from '../testing/fleet.js';
import { runPledgeguard, writeSite, type Site } from './testing.js';

const fleet = makeFleet(2);
let site: Site;
const cli = (...args: string[]) => runPledgeguard([...args, '--config', site.configFile]);
const openStore = () => new EvidenceStore(join(site.dir, 'data', 'evidence.db'));

beforeAll(() => {
  site = writeSite(fleet.manifest);
});
afterAll(() => rmSync(site.dir, { recursive: true, force: true }));

describe('pledgeguard devices', () => {
  it('imports a manifest idempotently and lists the devices', async () => {
    const first = await cli('devices', 'import', site.manifestFile);
    expect(first).toMatchObject({ code: 0 });
    expect(first.stdout).toContain('2 added, 0 updated, 0 unchanged');
    const again = await cli('devices', 'import', site.manifestFile);
    expect(again.stdout).toContain('0 added, 0 updated, 2 unchanged');
    const list = await cli('devices', 'list');
    expect(list.stdout).toContain(`${fleet.devices[0]!.deviceId}  EdDSA v1`);
  });

  it('refuses a manifest that silently changes a key (exit 1) or names another warehouse (exit 2)', async () => {
    const changed = {
      ...fleet.manifest,
      devices: fleet.manifest.devices.map((entry, i) =>
        i === 0 ? { ...entry, publicKey: bytesToHex(generateKeyPair('EdDSA').publicKey) } : entry,
      ),
    };
    const file = join(site.dir, 'changed.json');
    writeFileSync(file, JSON.stringify(changed));
    const refused = await cli('devices', 'import', file);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('use `pledgeguard devices rotate`');
    writeFileSync(file, JSON.stringify({ ...fleet.manifest, warehouseId: 'wh-elsewhere' }));
    expect((await cli('devices', 'import', file)).code).toBe(2);
  });

  it('rotates a key: version 2, the old key kept in the history, accepted readings untouched', async () => {
    const device = fleet.devices[0]!;
    // One accepted reading signed with the first key.
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
    const outcome = await ingest.submit({
      topic: deviceTopic(fleet.warehouseId, device.deviceId, 'reading'),
      payload: envelopeOf(device, 0, Date.now()),
      source: 'mqtt',
    });
    expect(outcome.outcome).toBe('accepted');
    await pool.close();
    store.close();

    const newKey = generateKeyPair('ES256').publicKey;
    const rotated = await cli(
      'devices',
      'rotate',
      device.deviceId,
      '--public-key',
      bytesToHex(newKey),
      '--alg',
      'ES256',
    );
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toContain('key version 2');

    const after = openStore();
    const history = deviceKeyHistory(after.database, device.deviceId);
    expect(history.map((key) => [key.keyVersion, key.alg])).toEqual([
      [1, 'EdDSA'],
      [2, 'ES256'],
    ]);
    expect(history[0]!.publicKey).toEqual(device.publicKey);
    expect(after.device(device.deviceId)).toMatchObject({ keyVersion: 2, alg: 'ES256' });
    expect(after.identities(device.deviceId)).toEqual([{ boot: 1, seq: 0 }]);
    after.close();

    const badKey = await cli('devices', 'rotate', device.deviceId, '--public-key', 'abcd');
    expect(badKey.code).toBe(2);
    expect(badKey.stderr).toContain('not a valid ES256 key');
    const same = await cli(
      'devices',
      'rotate',
      device.deviceId,
      '--public-key',
      bytesToHex(newKey),
    );
    expect(same.code).toBe(1);
    expect(same.stderr).toContain('already has this key');
  });

  it('revokes with a reason (required), once', async () => {
    const id = fleet.devices[1]!.deviceId;
    expect((await cli('devices', 'revoke', id)).code).toBe(2);
    const revoked = await cli('devices', 'revoke', id, '--reason', 'casing opened');
    expect(revoked.code).toBe(0);
    expect((await cli('devices', 'revoke', id, '--reason', 'again')).code).toBe(1);
    const store = openStore();
    expect(store.device(id)?.revoked).toBe(true);
    store.close();
  });

  it('reports a bad config with exit 2 and the offending key', async () => {
    const file = join(site.dir, 'bad.yaml');
    writeFileSync(file, 'warehouseId: "not an id!"\n');
    const result = await runPledgeguard(['devices', 'list', '--config', file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('warehouseId');
  });
});

describe('pledgeguard backup', () => {
  it('copies the evidence log online into a file that opens with the same devices', async () => {
    const file = join(site.dir, 'backup.db');
    const result = await cli('backup', file);
    expect(result.code).toBe(0);
    const copy = new EvidenceStore(file);
    expect(copy.devices().map((device) => device.deviceId)).toEqual(
      fleet.devices.map((device) => device.deviceId),
    );
    copy.close();
    expect((await cli('backup', file)).code).toBe(1);
  });
});

describe('pledgeguard tokens', () => {
  it('creates a token shown once and stored only as its SHA-256; lists and revokes it', async () => {
    const created = await cli('tokens', 'create', '--name', 'bank-a', '--role', 'auditor');
    expect(created.code).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(/^pg_[0-9a-f]{64}$/);
    const store = openStore();
    const row = store.database
      .prepare('SELECT token_hash, role FROM api_tokens WHERE name = ?')
      .get('bank-a');
    store.close();
    expect(row).toEqual({
      token_hash: createHash('sha256').update(token).digest('hex'),
      role: 'auditor',
    });
    expect((await cli('tokens', 'create', '--name', 'x', '--role', 'god')).code).toBe(2);
    expect((await cli('tokens', 'revoke', 'bank-a')).code).toBe(0);
    const list = await cli('tokens', 'list');
    expect(list.stdout).toMatch(/bank-a {2}auditor {2}created .* REVOKED/);
    expect(list.stdout).not.toContain(token);
    expect((await cli('tokens', 'revoke', 'bank-a')).code).toBe(1);
  });
});
