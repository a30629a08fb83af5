// The API's cross-cutting features against a real server on port 0: rate limits (per token, and
// per address for failed authentication), SSE delivery, quarantine replay of a real quarantined
// reading, the token store, and serving the dashboard with an SPA fallback.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deviceTopic, generateKeyPair, nobleSigner } from '@pledgeguard/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { envelopeOf } from '../../testing/fleet.js';
import { rotateDeviceKey } from '../sqlite/registry-admin.js';
import {
  ingestReadings,
  makeFixture,
  NOW_MS,
  seedAttestation,
  startServer,
  type Fixture,
} from './test-fixture.js';
import { apiConfigSchema } from './api-config.js';
import { createApiOptions, startApi } from './start-api.js';
import { INFO } from './test-fixture.js';
import { tokenSha256 } from './token-store.js';

let fixture: Fixture;
let close: (() => Promise<void>) | undefined;

beforeEach(async () => {
  fixture = await makeFixture();
});

afterEach(async () => {
  await close?.();
  close = undefined;
  await fixture.close();
});

async function serve(config: Parameters<typeof startServer>[1] = {}): Promise<string> {
  const { url, app } = await startServer(fixture, config);
  close = () => app.close();
  return url;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('rate limits', () => {
  it('answers 429 PG_API_RATE_LIMITED with retry-after once a token exceeds its requests a minute', async () => {
    const url = await serve({ rateLimit: { perTokenPerMinute: 3, failedAuthPerMinute: 100 } });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push(
        (await fetch(`${url}/api/v1/lots`, { headers: bearer(fixture.token['bank-viewer']) }))
          .status,
      );
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await fetch(`${url}/api/v1/lots`, {
      headers: bearer(fixture.token['bank-viewer']),
    });
    expect(await limited.json()).toEqual({
      code: 'PG_API_RATE_LIMITED',
      message: expect.stringContaining('3 requests a minute'),
    });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another token has its own budget.
    const other = await fetch(`${url}/api/v1/lots`, { headers: bearer(fixture.token.auditor) });
    expect(other.status).toBe(200);
  });

  it('refuses an address with 429 after too many failed authentications, even with a good token', async () => {
    const url = await serve({ rateLimit: { perTokenPerMinute: 100, failedAuthPerMinute: 2 } });
    const wrong = bearer(`pg_${'0'.repeat(64)}`);
    expect((await fetch(`${url}/api/v1/lots`, { headers: wrong })).status).toBe(401);
    expect((await fetch(`${url}/api/v1/lots`, { headers: wrong })).status).toBe(401);
    const blocked = await fetch(`${url}/api/v1/lots`, {
      headers: bearer(fixture.token['bank-viewer']),
    });
    expect(blocked.status).toBe(429);
    expect(await blocked.json()).toMatchObject({ code: 'PG_API_RATE_LIMITED' });
    expect(Number(blocked.headers.get('retry-after'))).toBe(60);
    // The window passes (on the API's clock): the good token works again.
    fixture.clockMs += 60_000;
    expect(
      (await fetch(`${url}/api/v1/lots`, { headers: bearer(fixture.token['bank-viewer']) })).status,
    ).toBe(200);
  });
});

describe('server-sent events', () => {
  it('delivers a published event to a stream authenticated with ?token=', async () => {
    const url = await serve();
    const controller = new AbortController();
    const response = await fetch(`${url}/api/v1/events?token=${fixture.token['bank-viewer']}`, {
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = decoder.decode((await reader.read()).value);
    expect(text).toContain(': connected');
    fixture.bus.publish('alert', { id: 1, lotId: 'LOT-1', kind: 'flag-raised', atMs: NOW_MS });
    while (!text.includes('event: alert')) text += decoder.decode((await reader.read()).value);
    expect(text).toContain(
      `event: alert\ndata: ${JSON.stringify({ id: 1, lotId: 'LOT-1', kind: 'flag-raised', atMs: NOW_MS })}\n\n`,
    );
    controller.abort();
  });

  it('ends open streams when the server closes', async () => {
    const { url, app } = await startServer(fixture);
    const response = await fetch(`${url}/api/v1/events?token=${fixture.token.auditor}`);
    const reader = response.body!.getReader();
    await reader.read();
    const startedMs = performance.now();
    await app.close();
    while (!(await reader.read()).done);
    expect(performance.now() - startedMs).toBeLessThan(5_000);
  });

  it('refuses a stream without a token', async () => {
    const url = await serve();
    const response = await fetch(`${url}/api/v1/events`);
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ code: 'PG_API_UNAUTHENTICATED' });
  });

  it('samples readings to at most one per lot per second', () => {
    const seen: unknown[] = [];
    const unsubscribe = fixture.bus.subscribe((event) => seen.push(event.data));
    expect(fixture.bus.publish('reading', { lotId: 'LOT-1', value: '1' })).toBe(true);
    expect(fixture.bus.publish('reading', { lotId: 'LOT-1', value: '2' })).toBe(false);
    expect(fixture.bus.publish('reading', { lotId: 'LOT-2', value: '3' })).toBe(true);
    fixture.clockMs += 1_000;
    expect(fixture.bus.publish('reading', { lotId: 'LOT-1', value: '4' })).toBe(true);
    expect(fixture.bus.publish('reading', { lotId: null, deviceId: 'a', value: '5' })).toBe(true);
    expect(fixture.bus.publish('reading', { lotId: null, deviceId: 'b', value: '6' })).toBe(false);
    expect(seen).toEqual([
      { lotId: 'LOT-1', value: '1' },
      { lotId: 'LOT-2', value: '3' },
      { lotId: 'LOT-1', value: '4' },
      { lotId: null, deviceId: 'a', value: '5' },
    ]);
    unsubscribe();
  });
});

describe('quarantine replay', () => {
  it('accepts a reading quarantined for a stale key once the key is rotated, and resolves the row', async () => {
    const url = await serve();
    const device = fixture.fleet.devices[1]!;
    // The device was re-keyed in the field; the registry still holds the old key.
    const real = generateKeyPair('EdDSA');
    const rekeyed = { ...device, signer: nobleSigner('EdDSA', device.deviceId, real.secretKey) };
    const outcome = await fixture.ingest.submit({
      topic: deviceTopic(fixture.fleet.warehouseId, device.deviceId, 'reading'),
      payload: envelopeOf(rekeyed, 0, NOW_MS),
      source: 'mqtt',
    });
    expect(outcome).toMatchObject({ code: 'PG_SIG_INVALID' });
    const admin = bearer(fixture.token['operator-admin']);
    const listed = await (
      await fetch(`${url}/api/v1/quarantine?code=PG_SIG_INVALID`, { headers: admin })
    ).json();
    expect(listed).toEqual([
      expect.objectContaining({
        code: 'PG_SIG_INVALID',
        deviceId: device.deviceId,
        authentic: false,
        resolvedAtMs: null,
      }),
    ]);
    const id = listed[0].id as number;
    fixture.store.rotateKey(device.deviceId, 'EdDSA', real.publicKey, NOW_MS);
    const replay = await fetch(`${url}/api/v1/quarantine/${id}/replay`, {
      method: 'POST',
      headers: admin,
    });
    expect(replay.status).toBe(200);
    expect(await replay.json()).toEqual({
      id,
      outcome: 'accepted',
      code: null,
      detail: null,
      resolution: 'replayed: accepted',
    });
    expect(fixture.store.identities(device.deviceId)).toEqual([{ boot: 1, seq: 0 }]);
    const after = await (await fetch(`${url}/api/v1/quarantine`, { headers: admin })).json();
    expect(after[0]).toMatchObject({ id, resolution: 'replayed: accepted' });
    // A resolved row does not replay twice.
    const again = await fetch(`${url}/api/v1/quarantine/${id}/replay`, {
      method: 'POST',
      headers: admin,
    });
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ code: 'PG_API_CONFLICT' });
  });

  it('refuses to replay a final verdict (409)', async () => {
    const url = await serve();
    const device = fixture.fleet.devices[0]!;
    const topic = deviceTopic(fixture.fleet.warehouseId, device.deviceId, 'reading');
    await fixture.ingest.submit({ topic, payload: envelopeOf(device, 5, NOW_MS), source: 'mqtt' });
    const replayed = await fixture.ingest.submit({
      topic,
      payload: envelopeOf(device, 4, NOW_MS),
      source: 'mqtt',
    });
    expect(replayed).toMatchObject({ code: 'PG_REPLAYED' });
    const [row] = fixture.store.quarantine({ code: 'PG_REPLAYED' });
    const response = await fetch(`${url}/api/v1/quarantine/${row!.id}/replay`, {
      method: 'POST',
      headers: bearer(fixture.token['operator-admin']),
    });
    expect(response.status).toBe(409);
  });
});

describe('token store', () => {
  it('stores only the SHA-256 of a token, lists roles, and revokes by name', () => {
    const { token, info } = fixture.tokens.create('bank-a', 'bank-viewer', NOW_MS);
    expect(token).toMatch(/^pg_[0-9a-f]{64}$/);
    const stored = fixture.store.database
      .prepare('SELECT token_hash FROM api_tokens WHERE id = ?')
      .pluck()
      .get(info.id);
    expect(stored).toBe(tokenSha256(token));
    const dump = JSON.stringify(fixture.store.database.prepare('SELECT * FROM api_tokens').all());
    expect(dump).not.toContain(token.slice(3));
    expect(fixture.tokens.authenticate(token)).toMatchObject({
      name: 'bank-a',
      role: 'bank-viewer',
    });
    expect(fixture.tokens.list().find((t) => t.name === 'bank-a')).toMatchObject({
      role: 'bank-viewer',
      revokedAtMs: null,
    });
    expect(fixture.tokens.revoke('bank-a', NOW_MS + 1)).toBe(true);
    expect(fixture.tokens.revoke('bank-a', NOW_MS + 2)).toBe(false);
    expect(fixture.tokens.authenticate(token)).toBeUndefined();
  });

  it('bootstraps a configured token hash once, so the matching token works', async () => {
    const token = `pg_${'1f'.repeat(32)}`;
    const url = await serve({
      bootstrapTokens: [{ name: 'ops', role: 'operator-admin', sha256: tokenSha256(token) }],
    });
    expect((await fetch(`${url}/api/v1/devices`, { headers: bearer(token) })).status).toBe(200);
    expect(fixture.tokens.importHash('ops', 'bank-viewer', tokenSha256(token), NOW_MS)).toBe(false);
  });
});

describe('dashboard files', () => {
  it('serves the built dashboard, with index.html for client-side routes but not for API paths', async () => {
    const dist = join(fixture.dir, 'dist');
    mkdirSync(join(dist, 'assets'), { recursive: true });
    writeFileSync(join(dist, 'index.html'), '<!doctype html><title>PledgeGuard</title>');
    writeFileSync(join(dist, 'assets', 'app.js'), 'console.log(1)');
    const url = await serve({ dashboardDir: dist });
    const index = await fetch(`${url}/`);
    expect(index.status).toBe(200);
    expect(await index.text()).toContain('PledgeGuard');
    expect(await (await fetch(`${url}/assets/app.js`)).text()).toBe('console.log(1)');
    const deepLink = await fetch(`${url}/lots/LOT-1`);
    expect(deepLink.status).toBe(200);
    expect(await deepLink.text()).toContain('PledgeGuard');
    const api = await fetch(`${url}/api/v1/no-such-route`);
    expect(api.status).toBe(404);
    expect(await api.json()).toMatchObject({ code: 'PG_API_NOT_FOUND' });
  });
});

describe('evidence after a key rotation', () => {
  it('serves the key that signed each reading, not the key the device has now', async () => {
    const url = await serve();
    await ingestReadings(fixture, 0, [0]);
    fixture.clockMs += 1_000;
    const device = fixture.fleet.devices[0]!;
    const fresh = generateKeyPair('EdDSA');
    rotateDeviceKey(
      fixture.store.database,
      device.deviceId,
      'EdDSA',
      fresh.publicKey,
      fixture.clockMs,
    );
    const id = seedAttestation(fixture, [1], {
      sequence: NOW_MS,
      quantityGrams: '1000000000',
      flags: 0,
      status: 'pending',
    });
    const evidence = await (
      await fetch(`${url}/api/v1/attestations/${id}/evidence`, {
        headers: bearer(fixture.token.auditor),
      })
    ).json();
    expect(evidence.readings[0].publicKeyHex).toBe(
      `0x${Buffer.from(device.publicKey).toString('hex')}`,
    );
    const current = await (
      await fetch(`${url}/api/v1/devices/${device.deviceId}`, {
        headers: bearer(fixture.token.auditor),
      })
    ).json();
    expect(current).toMatchObject({
      keyVersion: 2,
      publicKeyHex: `0x${Buffer.from(fresh.publicKey).toString('hex')}`,
    });
  });
});

describe('CORS', () => {
  it('answers preflight and tags responses for an allowed origin only', async () => {
    const url = await serve({ corsOrigins: ['https://bank.example'] });
    const preflight = await fetch(`${url}/api/v1/lots`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://bank.example',
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'authorization',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://bank.example');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization');
    const allowed = await fetch(`${url}/api/v1/lots`, {
      headers: { origin: 'https://bank.example', ...bearer(fixture.token['bank-viewer']) },
    });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://bank.example');
    const other = await fetch(`${url}/api/v1/lots`, {
      headers: { origin: 'https://evil.example', ...bearer(fixture.token['bank-viewer']) },
    });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('standalone entry', () => {
  it('serves the API over an evidence log with createApiOptions and startApi, publishing to its bus', async () => {
    const token = `pg_${'2e'.repeat(32)}`;
    const options = createApiOptions({
      store: fixture.store,
      config: apiConfigSchema.parse({
        bootstrapTokens: [{ name: 'dash', role: 'bank-viewer', sha256: tokenSha256(token) }],
        dashboardDir: join(fixture.dir, 'none'),
      }),
      baseDir: fixture.dir,
      info: INFO,
      warehouseNumber: 7n,
      clock: { nowMs: () => fixture.clockMs },
    });
    const { app, port } = await startApi({ ...options, host: '127.0.0.1', port: 0 });
    close = () => app.close();
    const url = `http://127.0.0.1:${port}`;
    expect(await (await fetch(`${url}/api/v1/info`, { headers: bearer(token) })).json()).toEqual(
      INFO,
    );
    expect((await fetch(`${url}/health`)).status).toBe(200);
    expect(options.events.publish('chain', { name: 'MarginCalled' })).toBe(true);
  });
});
