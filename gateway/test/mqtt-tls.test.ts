// The embedded broker over TLS with client certificates: a device with a certificate from the
// site CA (and its password) gets in and its readings are accepted; one without a certificate is
// refused during the handshake.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IClientOptions } from 'mqtt';
import { pino } from 'pino';
import { deviceTopic } from '@pledgeguard/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../src/app/gateway.js';
import { configSchema } from '../src/config.js';
import { envelopeOf, makeFleet } from '../src/testing/fleet.js';

const dir = mkdtempSync(join(tmpdir(), 'pg-mqtt-tls-'));
const fleet = makeFleet(1);
const device = fleet.devices[0]!;
let gateway: RunningGateway;

/** A throwaway site CA with a server certificate for 127.0.0.1 and one device certificate (openssl CLI). */
function makeCertificates(): void {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  openssl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=PledgeGuard test CA',
  );
  for (const [name, subject, extension] of [
    ['server', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1'],
    ['device', `/CN=${device.deviceId}`, 'extendedKeyUsage=clientAuth'],
  ] as const) {
    openssl(
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      subject,
    );
    writeFileSync(join(dir, `${name}.ext`), `${extension}\n`);
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
    );
  }
}

function connect(options: IClientOptions): Promise<mqtt.MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(`mqtts://127.0.0.1:${gateway.broker.port}`, {
      reconnectPeriod: 0,
      connectTimeout: 5_000,
      ca: readFileSync(join(dir, 'ca.pem')),
      ...options,
    });
    client.once('connect', () => resolve(client));
    client.once('error', (error) => {
      client.end(true);
      reject(error);
    });
  });
}

beforeAll(async () => {
  makeCertificates();
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(fleet.manifest));
  const config = configSchema.parse({
    warehouseId: fleet.warehouseId,
    dataDir: join(dir, 'data'),
    manifest: join(dir, 'manifest.json'),
    mqtt: {
      embedded: {
        port: 0,
        tls: {
          keyFile: 'server.key',
          certFile: 'server.pem',
          caFile: 'ca.pem',
          requireClientCert: true,
        },
      },
    },
    verify: { threads: 0 },
    http: { port: 0 },
  });
  gateway = await startGateway({ ...config, baseDir: dir }, pino({ level: 'silent' }), {
    nowMs: () => Date.now(),
  });
}, 30_000);

afterAll(async () => {
  await gateway.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('embedded broker over TLS', () => {
  it('admits a device presenting a certificate from the site CA and accepts its readings', async () => {
    const client = await connect({
      clientId: device.deviceId,
      username: device.deviceId,
      password: device.password,
      key: readFileSync(join(dir, 'device.key')),
      cert: readFileSync(join(dir, 'device.pem')),
    });
    await client.publishAsync(
      deviceTopic(fleet.warehouseId, device.deviceId, 'reading'),
      Buffer.from(envelopeOf(device, 0, Date.now())),
      { qos: 1 },
    );
    expect(gateway.store.readingCount()).toBe(1);
    await client.endAsync();
  });

  it('refuses a client without a certificate during the TLS handshake', async () => {
    await expect(
      connect({ clientId: device.deviceId, username: device.deviceId, password: device.password }),
    ).rejects.toThrow(/certificate|handshake|socket|closed|ECONNRESET/i);
    expect(gateway.store.readingCount()).toBe(1);
  });
});
