// The OPC UA trust list over the API: a rejected server certificate (a real X.509 file in the
// client PKI's rejected/ folder) is listed, approved by thumbprint, then listed as trusted.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  INFO,
  NOW_MS,
  WAREHOUSE_NUMBER,
  makeFixture,
  startServer,
  type Fixture,
} from './test-fixture.js';
import { SqliteApiData } from './sqlite-data.js';

let fixture: Fixture;
let url: string;
let close: () => Promise<void>;
let pkiDir: string;

beforeAll(async () => {
  fixture = await makeFixture();
  pkiDir = join(fixture.dir, 'pki');
  mkdirSync(join(pkiDir, 'rejected'), { recursive: true });
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '30',
      '-subj',
      '/CN=plc.example',
      '-keyout',
      join(fixture.dir, 'plc.key'),
      '-outform',
      'DER',
      '-out',
      join(pkiDir, 'rejected', 'plc.der'),
    ],
    { stdio: 'ignore' },
  );
  const data = new SqliteApiData({
    store: fixture.store,
    info: INFO,
    warehouseNumber: WAREHOUSE_NUMBER,
    clock: { nowMs: () => fixture.clockMs },
    opcuaPkiDir: pkiDir,
  });
  Object.assign(fixture, { data });
  const server = await startServer(fixture);
  url = server.url;
  close = () => server.app.close();
});

afterAll(async () => {
  await close();
  await fixture.close();
});

const headers = (role: keyof Fixture['token']) => ({
  authorization: `Bearer ${fixture.token[role]}`,
});

describe('OPC UA certificates', () => {
  it('lists a rejected certificate and trusts it once an operator approves its thumbprint', async () => {
    const listed = await (
      await fetch(`${url}/api/v1/certificates`, { headers: headers('bank-viewer') })
    ).json();
    expect(listed).toEqual([
      {
        thumbprint: expect.stringMatching(/^[0-9a-f]{40}$/),
        subject: 'CN=plc.example',
        status: 'rejected',
        notAfterMs: expect.any(Number),
        expiresInDays: expect.any(Number),
      },
    ]);
    expect(listed[0].expiresInDays).toBe(Math.floor((listed[0].notAfterMs - NOW_MS) / 86_400_000));
    const approve = await fetch(`${url}/api/v1/certificates/${listed[0].thumbprint}/approve`, {
      method: 'POST',
      headers: headers('operator-admin'),
    });
    expect(approve.status).toBe(200);
    expect(await approve.json()).toMatchObject({
      thumbprint: listed[0].thumbprint,
      status: 'trusted',
    });
    const after = await (
      await fetch(`${url}/api/v1/certificates`, { headers: headers('bank-viewer') })
    ).json();
    expect(after).toContainEqual(
      expect.objectContaining({ thumbprint: listed[0].thumbprint, status: 'trusted' }),
    );
    const unknown = await fetch(`${url}/api/v1/certificates/${'0'.repeat(40)}/approve`, {
      method: 'POST',
      headers: headers('operator-admin'),
    });
    expect(unknown.status).toBe(404);
  }, 60_000);
});
