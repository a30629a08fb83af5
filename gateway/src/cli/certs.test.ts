// `pledgeguard certs` with a real X.509 file in the client PKI's rejected/ folder (where node-opcua
// puts a refused server certificate): listed with its thumbprint, approved, then trusted.
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeFleet } from '../testing/fleet.js';
import { runPledgeguard, writeSite, type Site } from './testing.js';

let site: Site;
let thumbprint: string;
const pkiDir = () => join(site.dir, 'data', 'pki', 'opcua');
const cli = (...args: string[]) =>
  runPledgeguard([...args, '--config', site.configFile], { env: { HOME: site.dir } });

beforeAll(() => {
  site = writeSite(makeFleet(1).manifest);
  mkdirSync(join(pkiDir(), 'rejected'), { recursive: true });
  const file = join(pkiDir(), 'rejected', 'plc.der');
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
    ].concat(['-keyout', join(site.dir, 'plc.key'), '-outform', 'DER', '-out', file]),
    { stdio: 'ignore' },
  );
  thumbprint = new X509Certificate(readFileSync(file)).fingerprint
    .replaceAll(':', '')
    .toLowerCase();
});
afterAll(() => rmSync(site.dir, { recursive: true, force: true }));

describe('pledgeguard certs', () => {
  it('lists a refused PLC certificate, approves it by thumbprint, and refuses an unknown one', async () => {
    const list = await cli('certs', 'list');
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(thumbprint);
    expect(list.stdout).toContain('CN=plc.example');

    const unknown = await cli('certs', 'approve', '00'.repeat(20));
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no rejected certificate with thumbprint');

    const approved = await cli('certs', 'approve', thumbprint);
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toContain(`trusted ${thumbprint}`);
    const trusted = join(pkiDir(), 'trusted', 'certs');
    expect(existsSync(trusted) && readdirSync(trusted).length).toBe(1);
  }, 90_000);
});
