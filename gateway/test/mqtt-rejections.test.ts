// Every rejection a device can provoke through the embedded broker, with a real MQTT client: each
// bad reading is acknowledged only after it is quarantined with its own code, and the gateway keeps
// serving good readings; logins and topics outside a device's rights are refused by the broker.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hexToBytes } from '@noble/hashes/utils.js';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import {
  decodeSign1,
  deviceTopic,
  generateKeyPair,
  nobleSigner,
  signReading,
  type DeviceManifest,
} from '@pledgeguard/protocol';
import { hashMqttPassword } from '@pledgeguard/protocol/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../src/app/gateway.js';
import { configSchema } from '../src/config.js';
import { envelopeOf, makeFleet, type Fleet } from '../src/testing/fleet.js';

interface VectorFile {
  devices: Array<{ kid: string; alg: 'EdDSA' | 'ES256' | 'ES256K'; publicKey: string }>;
  vectors: Array<{ name: string; envelope: string; expect: string }>;
}
const vectors = JSON.parse(
  readFileSync(new URL('../../protocol/vectors/cose-vectors.json', import.meta.url), 'utf8'),
) as VectorFile;

const dir = mkdtempSync(join(tmpdir(), 'pg-mqtt-rejections-'));
let gateway: RunningGateway;
let fleet: Fleet;
const clients: MqttClient[] = [];

function connect(username: string, password: string): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(`mqtt://127.0.0.1:${gateway.broker.port}`, {
      clientId: `${username}-${clients.length}`,
      username,
      password,
      reconnectPeriod: 0,
    });
    clients.push(client);
    client.once('connect', () => resolve(client));
    client.once('error', reject);
  });
}

function publish(client: MqttClient, topic: string, payload: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) =>
    client.publish(topic, Buffer.from(payload), { qos: 1 }, (error) =>
      error ? reject(error) : resolve(),
    ),
  );
}

function lastQuarantineCode(): string | undefined {
  return gateway.store.quarantine({ limit: 100_000 }).at(-1)?.code;
}

beforeAll(async () => {
  fleet = makeFleet(2);
  // The vector devices join the fleet so their envelopes reach the pipeline through their own logins.
  const manifest: DeviceManifest = {
    ...fleet.manifest,
    devices: [
      ...fleet.manifest.devices,
      ...vectors.devices.map((device) => ({
        deviceId: device.kid,
        alg: device.alg,
        publicKey: device.publicKey,
        kinds: [
          'weight',
          'temperature',
          'humidity',
          'count',
          'rfid-event',
          'door',
          'tamper',
        ] as const,
        bayId: 'B-07',
        heartbeatMs: 60_000,
        mqttPasswordHash: hashMqttPassword(`pw-${device.kid}`),
      })),
    ],
  };
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  const config = configSchema.parse({
    warehouseId: fleet.warehouseId,
    dataDir: dir,
    manifest: join(dir, 'manifest.json'),
    mqtt: { embedded: { host: '127.0.0.1', port: 0 } },
    verify: { threads: 1 },
    http: { host: '127.0.0.1', port: 0 },
  });
  gateway = await startGateway({ ...config, baseDir: dir }, pino({ level: 'silent' }), {
    nowMs: () => Date.now(),
  });
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.endAsync(true)));
  await gateway.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('rejections through the embedded broker', () => {
  it('quarantines every malformed or forged protocol vector with its code before acknowledging it', async () => {
    const byKid = new Map<string, MqttClient>();
    for (const device of vectors.devices)
      byKid.set(device.kid, await connect(device.kid, `pw-${device.kid}`));
    const publisher = vectors.devices[0]!.kid;
    const mismatched: string[] = [];
    for (const vector of vectors.vectors.filter((v) => v.expect !== 'ok')) {
      const bytes = hexToBytes(vector.envelope);
      const decoded = decodeSign1(bytes);
      // A vector whose kid is not a vector device (or does not decode) goes out on the first device's login.
      const kid = decoded.ok && byKid.has(decoded.value.kid) ? decoded.value.kid : publisher;
      await publish(byKid.get(kid)!, deviceTopic(fleet.warehouseId, kid, 'reading'), bytes);
      // Through MQTT the topic names the publisher, so an envelope for another kid is a topic mismatch.
      const expected =
        decoded.ok && decoded.value.kid !== kid ? 'PG_TOPIC_MISMATCH' : vector.expect;
      const code = lastQuarantineCode();
      if (code !== expected) mismatched.push(`${vector.name}: expected ${expected}, got ${code}`);
    }
    expect(mismatched).toEqual([]);
  });

  it('quarantines replay, equivocation, clock skew, implausible values and foreign bays, and still accepts good readings', async () => {
    const device = fleet.devices[0]!;
    const client = await connect(device.deviceId, device.password);
    const topic = deviceTopic(fleet.warehouseId, device.deviceId, 'reading');
    const now = Date.now();
    await publish(client, topic, envelopeOf(device, 10, now - 5_000));
    const accepted = gateway.ingest.stats.accepted;
    const forger = nobleSigner('EdDSA', device.deviceId, generateKeyPair('EdDSA').secretKey);
    const cases: Array<[Uint8Array, string]> = [
      [envelopeOf(device, 3, now - 12_000), 'PG_REPLAYED'],
      [envelopeOf(device, 10, now - 5_000, { value: 1_000_000_001n }), 'PG_EQUIVOCATION'],
      [envelopeOf(device, 11, now + 3_600_000), 'PG_CLOCK_SKEW'],
      [envelopeOf(device, 12, now - 3_000, { value: 9_000_000_000n }), 'PG_IMPLAUSIBLE_RANGE'],
      [envelopeOf(device, 13, now - 2_000, { bayId: 'B-77' }), 'PG_DEVICE_MISMATCH'],
      [
        signReading(
          {
            deviceId: device.deviceId,
            boot: 1,
            seq: 14,
            deviceTimeMs: now,
            kind: 'weight',
            value: 1_000_000_000n,
            bayId: device.bayId,
            firmware: '1',
          },
          forger,
        ),
        'PG_SIG_INVALID',
      ],
      [envelopeOf(fleet.devices[1]!, 1, now), 'PG_TOPIC_MISMATCH'],
    ];
    for (const [payload, code] of cases) {
      await publish(client, topic, payload);
      expect(lastQuarantineCode()).toBe(code);
    }
    // The same good reading again is a harmless redelivery; the next one is accepted.
    await publish(client, topic, envelopeOf(device, 10, now - 5_000));
    await publish(client, topic, envelopeOf(device, 15, now - 1_000));
    expect(gateway.ingest.stats.accepted).toBe(accepted + 1);
    expect(gateway.ingest.stats.duplicates).toBeGreaterThanOrEqual(1);
  });

  it('refuses readings of a device revoked while connected', async () => {
    const device = fleet.devices[1]!;
    const client = await connect(device.deviceId, device.password);
    gateway.store.revokeDevice(device.deviceId, 'key extracted', Date.now());
    gateway.ingest.reloadRegistry();
    await publish(
      client,
      deviceTopic(fleet.warehouseId, device.deviceId, 'reading'),
      envelopeOf(device, 0, Date.now()),
    );
    expect(lastQuarantineCode()).toBe('PG_DEVICE_REVOKED');
  });

  it('refuses logins of unknown devices, wrong passwords and revoked devices at the broker', async () => {
    const revoked = fleet.devices[1]!;
    gateway.broker.forgetLogins();
    for (const [username, password] of [
      ['dev-unknown', 'x'],
      [fleet.devices[0]!.deviceId, 'wrong password'],
      [revoked.deviceId, revoked.password],
    ] as const) {
      await expect(connect(username, password)).rejects.toThrow(/Bad username or password/);
    }
    expect(gateway.broker.stats.authFailures).toBeGreaterThanOrEqual(3);
  });

  it('disconnects a device that publishes under another device topic, and counts it', async () => {
    const device = fleet.devices[0]!;
    const client = await connect(device.deviceId, device.password);
    const denied = gateway.broker.stats.aclDenied;
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.publish(
      deviceTopic(fleet.warehouseId, fleet.devices[1]!.deviceId, 'reading'),
      Buffer.from(envelopeOf(device, 99, Date.now())),
      { qos: 1 },
    );
    await closed;
    expect(gateway.broker.stats.aclDenied).toBe(denied + 1);
  });

  it('exposes accepted and rejected counts by code on /metrics', async () => {
    const text = await (await fetch(`http://127.0.0.1:${gateway.httpPort}/metrics`)).text();
    expect(text).toMatch(/^pg_readings_accepted_total [1-9]\d*$/m);
    expect(text).toMatch(/^pg_readings_rejected_total\{code="PG_EQUIVOCATION"\} 1$/m);
    expect(text).toMatch(/^pg_mqtt_acl_denied_total [1-9]/m);
    const health = await (await fetch(`http://127.0.0.1:${gateway.httpPort}/health`)).json();
    expect(health).toMatchObject({ ok: true });
  });
});
