// The API against a real server on port 0 and a real SQLite evidence log: every non-public route
// refuses without a token and with a too-weak role (found by enumerating the registered routes),
// every error has the { code, message } shape, and each route answers its happy path.
/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies, checked by the assertions */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CODES } from '@pledgeguard/protocol';
import { ROLES_FOR, type Access } from './auth.js';
import {
  BAY_ID,
  INFO,
  LOT_ID,
  NOW_MS,
  ingestReadings,
  makeFixture,
  seedAttestation,
  seedChainEvents,
  startServer,
  type Fixture,
} from './test-fixture.js';
import type { ApiRole } from './token-store.js';
import type { ApiHandle } from './api.js';

let fixture: Fixture;
let url: string;
let app: Awaited<ReturnType<typeof startServer>>['app'];
let attestationId: number;

beforeAll(async () => {
  fixture = await makeFixture();
  await ingestReadings(fixture, 0, [0, 1, 2, 3]);
  await ingestReadings(fixture, 1, [0, 1]);
  fixture.store.closeEpoch(NOW_MS);
  attestationId = seedAttestation(fixture, [1, 2, 3, 4], {
    sequence: NOW_MS - 10_000,
    quantityGrams: '1000000000',
    flags: 0b10,
    status: 'confirmed',
    txHash: `0x${'ab'.repeat(32)}`,
  });
  seedChainEvents(fixture);
  fixture.store.database
    .prepare(
      "INSERT INTO alerts (at_ms, lot_id, device_id, kind, detail) VALUES (?, ?, 'dev-00000', 'flag-raised', 'offline')",
    )
    .run(NOW_MS - 20_000, LOT_ID);
  // Limits out of the way here; rate-limit.test.ts checks them.
  ({ url, app } = await startServer(fixture, {
    rateLimit: { perTokenPerMinute: 100_000, failedAuthPerMinute: 100_000 },
  }));
});

afterAll(async () => {
  await app.close();
  await fixture.close();
});

async function call(
  method: string,
  path: string,
  role?: ApiRole | 'none',
  body?: unknown,
): Promise<{ status: number; body: any; headers: Headers }> {
  const headers: Record<string, string> = {};
  if (role && role !== 'none') headers.authorization = `Bearer ${fixture.token[role]}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(url + path, {
    method,
    headers,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON (HEAD, SSE)
  }
  return { status: response.status, body: parsed, headers: response.headers };
}

/** A role that must be refused by each access level. */
const WEAKER: Record<Exclude<Access, 'public'>, ApiRole> = {
  read: 'gateway-peer',
  evidence: 'bank-viewer',
  admin: 'auditor',
  peer: 'operator-admin',
};

const concrete = (path: string) =>
  path
    .replace(':lotId', LOT_ID)
    .replace(':loanId', '1')
    .replace(':thumbprint', 'ab'.repeat(20))
    .replace(':id', '1');

describe('auth on every route', () => {
  it('declares an access rule on every /api/v1 route, and only openapi.json is public', () => {
    const handle = (app as unknown as { api: ApiHandle }).api;
    const apiRoutes = handle.routes.filter((route) => route.url.startsWith('/api/v1'));
    expect(apiRoutes.length).toBeGreaterThanOrEqual(15);
    for (const route of apiRoutes)
      expect(route.access, `${route.method} ${route.url}`).toBeDefined();
    expect(
      apiRoutes.filter((route) => route.access === 'public').map((route) => route.url),
    ).toEqual(['/api/v1/openapi.json', '/api/v1/openapi.json']);
  });

  it('refuses every non-public route without a token (401) and with a too-weak role (403)', async () => {
    const handle = (app as unknown as { api: ApiHandle }).api;
    const guarded = handle.routes.filter(
      (route) => route.url.startsWith('/api/v1') && route.access !== 'public',
    );
    for (const route of guarded) {
      const access = route.access as Exclude<Access, 'public'>;
      const path = concrete(route.url);
      const body = route.method === 'POST' ? { reason: 'x' } : undefined;
      const anonymous = await call(route.method, path, 'none', body);
      expect(anonymous.status, `${route.method} ${path} without token`).toBe(401);
      const weak = await call(route.method, path, WEAKER[access], body);
      expect(weak.status, `${route.method} ${path} as ${WEAKER[access]}`).toBe(403);
      expect(ROLES_FOR[access]).not.toContain(WEAKER[access]);
      if (route.method !== 'HEAD') {
        expect(anonymous.body).toMatchObject({ code: 'PG_API_UNAUTHENTICATED' });
        expect(weak.body).toMatchObject({ code: 'PG_API_FORBIDDEN' });
      }
    }
  });

  it('refuses a revoked token and a malformed header', async () => {
    const { token } = fixture.tokens.create('short-lived', 'bank-viewer', NOW_MS);
    const ok = await fetch(`${url}/api/v1/lots`, { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    fixture.tokens.revoke('short-lived', NOW_MS);
    const revoked = await fetch(`${url}/api/v1/lots`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(revoked.status).toBe(401);
    const malformed = await fetch(`${url}/api/v1/lots`, { headers: { authorization: token } });
    expect(malformed.status).toBe(401);
  });

  it('serves the public routes without a token', async () => {
    expect((await call('GET', '/health')).status).toBe(200);
    const openapi = await call('GET', '/api/v1/openapi.json');
    expect(openapi.status).toBe(200);
    expect(Object.keys(openapi.body.paths)).toContain('/api/v1/lots/{lotId}/series');
    expect((await fetch(`${url}/docs`)).status).toBeLessThan(400);
  });
});

describe('error shapes', () => {
  const expectError = (
    response: { status: number; body: any },
    status: number,
    code: keyof typeof CODES,
  ) => {
    expect(response.status).toBe(status);
    expect(Object.keys(response.body).sort()).toEqual(['code', 'message']);
    expect(response.body.code).toBe(code);
    expect(typeof response.body.message).toBe('string');
    expect(CODES[code]).toBeDefined();
  };

  it('answers every error code with { code, message } and its status', async () => {
    expectError(await call('GET', '/api/v1/lots', 'none'), 401, 'PG_API_UNAUTHENTICATED');
    expectError(await call('GET', '/api/v1/lots', 'gateway-peer'), 403, 'PG_API_FORBIDDEN');
    expectError(
      await call('GET', '/api/v1/lots/NOPE/series', 'bank-viewer'),
      404,
      'PG_API_NOT_FOUND',
    );
    expectError(await call('GET', '/api/v1/nothing-here', 'bank-viewer'), 404, 'PG_API_NOT_FOUND');
    expectError(await call('GET', '/nothing-here'), 404, 'PG_API_NOT_FOUND');
    expectError(
      await call('GET', '/api/v1/lots/LOT-1/series?points=0', 'bank-viewer'),
      400,
      'PG_API_BAD_REQUEST',
    );
    expectError(
      await call('POST', '/api/v1/devices/dev-00002/revoke', 'operator-admin', {}),
      400,
      'PG_API_BAD_REQUEST',
    );
    expectError(
      await call('POST', '/api/v1/cosign', 'gateway-peer', {}),
      503,
      'PG_API_UNAVAILABLE',
    );
    expectError(
      await call('POST', '/api/v1/quarantine/999/replay', 'operator-admin'),
      404,
      'PG_API_NOT_FOUND',
    );
  });

  it('answers 409 PG_API_CONFLICT when revoking a revoked device', async () => {
    const first = await call('POST', '/api/v1/devices/dev-00002/revoke', 'operator-admin', {
      reason: 'key leaked',
    });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ deviceId: 'dev-00002', revoked: true, online: false });
    expectError(
      await call('POST', '/api/v1/devices/dev-00002/revoke', 'operator-admin', { reason: 'again' }),
      409,
      'PG_API_CONFLICT',
    );
  });
});

describe('happy paths with seeded data', () => {
  it('GET /info returns the configured chain and contracts', async () => {
    expect((await call('GET', '/api/v1/info', 'bank-viewer')).body).toEqual(INFO);
  });

  it('GET /loans folds the stored chain events into the loan view', async () => {
    const { status, body } = await call('GET', '/api/v1/loans', 'bank-viewer');
    expect(status).toBe(200);
    expect(body).toEqual([
      {
        loanId: '1',
        receiptId: '1',
        lotId: LOT_ID,
        bayId: BAY_ID,
        lotKey: expect.stringMatching(/^0x[0-9a-f]{64}$/),
        lender: '0x00000000000000000000000000000000000000b1',
        borrower: '0x00000000000000000000000000000000000000b2',
        commodity: 'COPPER_CATHODE',
        principal: '500000000000',
        debt: '400000000000',
        state: 'MarginCall',
        frozen: false,
        ltvBps: 7600,
        maxLtvBps: 6000,
        marginCallLtvBps: 7500,
        defaultLtvBps: 9000,
        cureDeadlineS: NOW_MS / 1_000 - 30 + 3 + 86_400 - 3,
      },
    ]);
  });

  it('GET /loans/:loanId adds the LTV history and the events', async () => {
    const { body } = await call('GET', '/api/v1/loans/1', 'bank-viewer');
    expect(body.ltvHistory.map((point: { ltvBps: number }) => point.ltvBps)).toEqual([5000, 7600]);
    expect(body.events.map((event: { name: string }) => event.name)).toEqual([
      'LoanOpened',
      'LoanDrawn',
      'MarginCalled',
    ]);
    expect(body.events[2].args).toMatchObject({ loanId: '1', ltvBps: '7600' });
    expect((await call('GET', '/api/v1/loans/2', 'bank-viewer')).status).toBe(404);
  });

  it('GET /lots shows the last attestation, flags and the receipt quantity', async () => {
    const { body } = await call('GET', '/api/v1/lots', 'bank-viewer');
    expect(body).toEqual([
      {
        lotId: LOT_ID,
        bayId: BAY_ID,
        commodity: 'COPPER_CATHODE',
        quantityGrams: '1000000000',
        receiptGrams: '1000000000',
        flags: 2,
        flagNames: ['offline'],
        unverified: true,
        lastAttestation: {
          id: attestationId,
          sequence: String(NOW_MS - 10_000),
          quantityGrams: '1000000000',
          flags: 2,
          observedAtS: (NOW_MS - 10_000) / 1_000,
          txHash: `0x${'ab'.repeat(32)}`,
          status: 'confirmed',
        },
      },
    ]);
  });

  it('GET /lots/:lotId/series buckets the load-cell readings and marks events', async () => {
    const { body } = await call(
      'GET',
      `/api/v1/lots/${LOT_ID}/series?fromMs=${NOW_MS - 60_000}&toMs=${NOW_MS}&points=2`,
      'bank-viewer',
    );
    expect(body.points).toHaveLength(1); // four readings in the first 4 s of a 60 s range
    expect(BigInt(body.points[0].minGrams)).toBeLessThanOrEqual(BigInt(body.points[0].maxGrams));
    expect(body.thresholds).toEqual({ receiptGrams: '1000000000' });
    expect(body.events.map((event: { kind: string }) => event.kind)).toEqual([
      'LoanOpened',
      'LoanDrawn',
      'MarginCalled',
      'flag-raised',
      'attestation',
    ]);
  });

  it('GET /lots/:lotId/attestations and /alerts list newest first', async () => {
    const attestations = await call('GET', `/api/v1/lots/${LOT_ID}/attestations`, 'bank-viewer');
    expect(attestations.body).toHaveLength(1);
    expect(attestations.body[0]).toMatchObject({
      id: attestationId,
      flagNames: ['offline'],
      signers: ['0x00000000000000000000000000000000000000a1'],
      blockNumber: 12,
      releaseOrderId: '0',
    });
    const alerts = await call('GET', `/api/v1/lots/${LOT_ID}/alerts`, 'bank-viewer');
    expect(alerts.body).toEqual([
      expect.objectContaining({ kind: 'flag-raised', deviceId: 'dev-00000', clearedAtMs: null }),
    ]);
  });

  it('GET /attestations/:id/evidence serves envelopes whose proofs rebuild the attested root', async () => {
    const { verifyInclusion } = await import('../../core/merkle.js');
    const { leafHash } = await import('../../core/merkle.js');
    const { hexToBytes } = await import('@noble/hashes/utils.js');
    const { body, status } = await call(
      'GET',
      `/api/v1/attestations/${attestationId}/evidence`,
      'auditor',
    );
    expect(status).toBe(200);
    expect(body.leafCount).toBe(4);
    expect(body.chain).toEqual({
      chainId: INFO.chainId,
      custodyOracle: INFO.contracts.custodyOracle,
      txHash: `0x${'ab'.repeat(32)}`,
      blockNumber: 12,
    });
    expect(body.attestation).toMatchObject({
      warehouseId: '7',
      lotIdBytes32: expect.stringMatching(/^0x4c4f542d31/),
    });
    const root = hexToBytes(body.attestation.readingsRoot.slice(2));
    for (const reading of body.readings) {
      const leaf = leafHash(hexToBytes(reading.envelopeHex.slice(2)));
      const proof = reading.proof.map((p: string) => hexToBytes(p.slice(2)));
      expect(verifyInclusion(leaf, reading.leafIndex, body.leafCount, proof, root)).toBe(true);
      expect(reading.publicKeyHex).toBe(
        `0x${Buffer.from(fixture.fleet.devices[reading.deviceId === 'dev-00000' ? 0 : 1]!.publicKey).toString('hex')}`,
      );
    }
  });

  it('GET /readings/:id serves the raw envelope, its epoch proof and the attestations carrying it', async () => {
    const { body } = await call('GET', '/api/v1/readings/1', 'auditor');
    expect(body).toMatchObject({
      readingId: 1,
      deviceId: 'dev-00000',
      boot: 1,
      seq: 0,
      kind: 'weight',
      epoch: 1,
      attestations: [attestationId],
    });
    expect(body.epochProof).toMatchObject({ leafIndex: 0, leafCount: 6 });
    expect((await call('GET', '/api/v1/readings/999', 'auditor')).status).toBe(404);
  });

  it('GET /devices shows last seen, online and key; GET /devices/:id one of them', async () => {
    const { body } = await call('GET', '/api/v1/devices', 'bank-viewer');
    expect(body.map((device: { deviceId: string }) => device.deviceId)).toEqual([
      'dev-00000',
      'dev-00001',
      'dev-00002',
    ]);
    expect(body[0]).toMatchObject({
      lotId: LOT_ID,
      alg: 'EdDSA',
      keyVersion: 1,
      lastSeenMs: NOW_MS,
      online: true,
      heartbeatMs: 60_000,
      rejections: {},
    });
    const one = await call('GET', '/api/v1/devices/dev-00001', 'bank-viewer');
    expect(one.body).toMatchObject({ deviceId: 'dev-00001', lotId: null });
    expect((await call('GET', '/api/v1/devices/nope', 'bank-viewer')).status).toBe(404);
  });

  it('GET /certificates is empty without an OPC UA PKI, and approve answers 503', async () => {
    expect((await call('GET', '/api/v1/certificates', 'bank-viewer')).body).toEqual([]);
    const approve = await call(
      'POST',
      `/api/v1/certificates/${'ab'.repeat(20)}/approve`,
      'operator-admin',
    );
    expect(approve.status).toBe(503);
  });
});
