// Client mode against Debian's mosquitto 2.0 (MQTT 5, shared subscriptions): readings published by
// devices to an existing broker reach the evidence log once each, including those sent while the
// gateway was away (persistent session), through a shared subscription.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { deviceTopic } from '@pledgeguard/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMosquitto, type Mosquitto } from '../../firmware-sim/src/testing/brokers.js';
import { startGateway, type RunningGateway } from '../src/app/gateway.js';
import { configSchema } from '../src/config.js';
import { envelopeOf, makeFleet } from '../src/testing/fleet.js';

const dir = mkdtempSync(join(tmpdir(), 'pg-client-mode-'));
const fleet = makeFleet(4, { fastSigner: true });
const GATEWAY_PASSWORD = 'gateway-secret';
let broker: Mosquitto;
let devices: MqttClient[];

async function gateway(): Promise<RunningGateway> {
  const config = configSchema.parse({
    warehouseId: fleet.warehouseId,
    dataDir: join(dir, 'data'),
    manifest: join(dir, 'manifest.json'),
    mqtt: {
      embedded: { enabled: false },
      client: {
        url: broker.url,
        username: 'gateway',
        password: GATEWAY_PASSWORD,
        sharedGroup: 'gateways',
        silenceResubscribeMs: 60_000,
      },
    },
    verify: { threads: 0 },
    http: { port: 0 },
  });
  return startGateway({ ...config, baseDir: dir }, pino({ level: 'silent' }), {
    nowMs: () => Date.now(),
  });
}

function publishAll(from: number, to: number, startMs: number): Promise<unknown> {
  return Promise.all(
    fleet.devices.flatMap((device, i) =>
      Array.from(
        { length: to - from },
        (_, k) =>
          new Promise<void>((resolve, reject) =>
            devices[i]!.publish(
              deviceTopic(fleet.warehouseId, device.deviceId, 'reading'),
              Buffer.from(envelopeOf(device, from + k, startMs + (from + k) * 1_000)),
              { qos: 1 },
              (error) => (error ? reject(error) : resolve()),
            ),
          ),
      ),
    ),
  );
}

function brokerPasswords(): Map<string, string> {
  return new Map([
    ['gateway', GATEWAY_PASSWORD],
    ...fleet.devices.map((d) => [d.deviceId, d.password] as [string, string]),
  ]);
}

async function until(check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

beforeAll(async () => {
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(fleet.manifest));
  broker = await startMosquitto(
    join(dir, 'mosquitto'),
    new Map([
      ['gateway', GATEWAY_PASSWORD],
      ...fleet.devices.map((d) => [d.deviceId, d.password] as [string, string]),
    ]),
  );
  devices = await Promise.all(
    fleet.devices.map(
      (device) =>
        new Promise<MqttClient>((resolve, reject) => {
          const client = mqtt.connect(broker.url, {
            clientId: device.deviceId,
            username: device.deviceId,
            password: device.password,
            protocolVersion: 5,
          });
          client.once('connect', () => resolve(client)).once('error', reject);
        }),
    ),
  );
});

afterAll(async () => {
  await Promise.all(devices.map((client) => client.endAsync(true)));
  await broker.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('client mode against mosquitto', () => {
  it('ingests through an MQTT 5 shared subscription and receives what was sent while the gateway was away', async () => {
    const startMs = Date.now() - 200_000;
    let running = await gateway();
    expect(running.client?.filter).toBe(`$share/gateways/pg/v1/${fleet.warehouseId}/+/+`);
    await publishAll(0, 40, startMs);
    await until(() => running.store.readingCount() === 160);

    await running.stop();
    // Published while no gateway is connected: the broker keeps them for the persistent session.
    await publishAll(40, 80, startMs);
    running = await gateway();
    await until(() => running.store.readingCount() === 320);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(running.store.readingCount()).toBe(320);
    expect(running.store.quarantine()).toEqual([]);
    for (const device of fleet.devices)
      expect(running.store.identities(device.deviceId).map((id) => id.seq)).toEqual(
        Array.from({ length: 80 }, (_, i) => i),
      );
    await running.stop();
  }, 60_000);

  it('delivers again by itself after the broker restarts and forgets every session', async () => {
    const running = await gateway();
    const before = running.store.readingCount();
    await broker.stop();
    // persistence false: the restarted broker knows no session and no subscription.
    broker = await startMosquitto(join(dir, 'mosquitto'), brokerPasswords(), broker.port);
    await until(
      () => devices.every((client) => client.connected) && running.client!.stats.connects >= 2,
      30_000,
    );
    await publishAll(80, 100, Date.now() - 100_000);
    await until(() => running.store.readingCount() === before + 80, 20_000);
    expect(running.store.quarantine()).toEqual([]);
    await running.stop();
  }, 60_000);
});
